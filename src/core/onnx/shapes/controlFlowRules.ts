/** If, Loop and Scan: their bodies are inferred in the node's scope, and the node's outputs follow the bodies' outputs. */
import { DataType } from '../dataTypes';
import { ShapeError } from './ShapeError';
import type { NodeContext, ShapeRule } from './nodeContext';
import type { Dim, Shape, TensorType } from './shapeTypes';

const graphAttr = (ctx: NodeContext, name: string) => ctx.attr(name)?.g;

/** What both branches agree on: the elem type, and dims equal in both (others unknown). */
function join(a: TensorType | undefined, b: TensorType | undefined): TensorType {
  if (a === undefined || b === undefined) return a ?? b ?? { elemType: null, shape: null };
  const shape: Shape =
    a.shape === null || b.shape === null || a.shape.length !== b.shape.length
      ? null
      : a.shape.map((d, i) => (d === b.shape?.[i] ? d : null));
  return { elemType: a.elemType ?? b.elemType, shape };
}

const ifRule: ShapeRule = (ctx) => {
  const thenGraph = graphAttr(ctx, 'then_branch');
  const elseGraph = graphAttr(ctx, 'else_branch');
  const a = thenGraph ? ctx.subgraph(thenGraph, 'then_branch', []) : [];
  const b = elseGraph ? ctx.subgraph(elseGraph, 'else_branch', []) : [];
  for (let i = 0; i < ctx.outputCount; i++) ctx.set(i, join(a[i], b[i]));
};

const type = (ctx: NodeContext, i: number): TensorType | undefined =>
  ctx.has(i) ? { elemType: ctx.elemType(i), shape: ctx.shape(i) } : undefined;

const loop: ShapeRule = (ctx) => {
  const body = graphAttr(ctx, 'body');
  if (body === undefined) throw new ShapeError('Loop has no body');
  const carried = ctx.node.inputs.length - 2;
  const inputs: (TensorType | undefined)[] = [
    { elemType: DataType.INT64, shape: [] },
    { elemType: DataType.BOOL, shape: [] },
  ];
  for (let i = 0; i < carried; i++) inputs.push(type(ctx, 2 + i));
  const outs = ctx.subgraph(body, 'body', inputs);
  for (let i = 0; i < ctx.outputCount; i++) {
    const o = outs[1 + i];
    if (i < carried) ctx.set(i, join(o, inputs[2 + i]));
    else ctx.set(i, { elemType: o?.elemType ?? null, shape: o?.shape ? [null, ...o.shape] : null });
  }
};

const scan: ShapeRule = (ctx) => {
  const body = graphAttr(ctx, 'body');
  if (body === undefined) throw new ShapeError('Scan has no body');
  const m = ctx.int('num_scan_inputs', 0);
  if (ctx.opset < 9) return scan8(ctx, body, m);
  const first = 0;
  const n = ctx.node.inputs.length - first - m;
  const inputAxes = ctx.ints('scan_input_axes') ?? new Array<number>(m).fill(0);
  const inputs: (TensorType | undefined)[] = [];
  let seq: Dim = null;
  for (let i = 0; i < n; i++) inputs.push(type(ctx, first + i));
  for (let j = 0; j < m; j++) {
    const t = type(ctx, first + n + j);
    const s = t?.shape ?? null;
    if (s === null) {
      inputs.push(t && { elemType: t.elemType, shape: null });
      continue;
    }
    const axis = inputAxes[j] < 0 ? inputAxes[j] + s.length : inputAxes[j];
    if (j === 0) seq = s[axis];
    inputs.push({ elemType: t?.elemType ?? null, shape: s.filter((_, k) => k !== axis) });
  }
  const outs = ctx.subgraph(body, 'body', inputs);
  const outputAxes = ctx.ints('scan_output_axes');
  for (let i = 0; i < ctx.outputCount; i++) {
    const o = outs[i];
    if (i < n) ctx.set(i, o ?? { elemType: null, shape: null });
    else {
      const s = o?.shape ?? null;
      const axis = outputAxes?.[i - n] ?? 0;
      const shape = s === null ? null : [...s];
      if (shape) shape.splice(axis < 0 ? axis + shape.length + 1 : axis, 0, seq);
      ctx.set(i, { elemType: o?.elemType ?? null, shape });
    }
  }
};

/** Scan-8: input 0 is sequence_lens; states are [batch, ...], scan inputs [batch, sequence, ...]. */
function scan8(ctx: NodeContext, body: NonNullable<ReturnType<typeof graphAttr>>, m: number): void {
  const n = ctx.node.inputs.length - 1 - m;
  const inputs: (TensorType | undefined)[] = [];
  let batch: Dim = null;
  let seq: Dim = null;
  for (let i = 1; i < ctx.node.inputs.length; i++) {
    const s = ctx.shape(i);
    const drop = i <= n ? 1 : 2;
    if (s !== null && i === n + 1) [batch, seq] = [s[0], s[1]];
    inputs.push({ elemType: ctx.elemType(i), shape: s === null ? null : s.slice(drop) });
  }
  const outs = ctx.subgraph(body, 'body', inputs);
  for (let i = 0; i < ctx.outputCount; i++) {
    const s = outs[i]?.shape ?? null;
    ctx.set(i, { elemType: outs[i]?.elemType ?? null, shape: s === null ? null : i < n ? [batch, ...s] : [batch, seq, ...s] });
  }
}

export const controlFlowRules: Record<string, ShapeRule> = { If: ifRule, Loop: loop, Scan: scan };
