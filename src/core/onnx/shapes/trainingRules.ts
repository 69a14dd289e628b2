/** ai.onnx.preview.training optimizers: each output group (new X, new accumulators) is shaped like the tensors X. */
import type { ShapeRule } from './nodeContext';

/** Inputs R, T, then `groups` groups of n tensors (X first); outputs: groups - 1 groups of n (X_new first). */
const optimizer =
  (groups: number): ShapeRule =>
  (ctx) => {
    const n = (ctx.node.inputs.length - 2) / groups;
    if (!Number.isInteger(n)) return;
    for (let o = 0; o < ctx.outputCount; o++) ctx.set(o, { elemType: ctx.elemType(2 + (o % n)), shape: ctx.shape(2 + (o % n)) });
  };

export const trainingRules: Record<string, ShapeRule> = {
  'ai.onnx.preview.training:Adagrad': optimizer(3),
  'ai.onnx.preview.training:Momentum': optimizer(3),
  'ai.onnx.preview.training:Adam': optimizer(4),
};
