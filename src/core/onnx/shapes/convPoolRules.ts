/**
 * Convolutions and pooling: output spatial size from input size, kernel, pads, strides, dilations,
 * auto_pad and ceil_mode (the ONNX operator spec's formulas).
 */
import { DataType } from '../dataTypes';
import { ShapeError } from './ShapeError';
import type { NodeContext, ShapeRule } from './nodeContext';
import type { Dim, Shape } from './shapeTypes';

interface Window {
  kernel: (number | null)[];
  strides: number[];
  dilations: number[];
  pads: number[];
  autoPad: string;
}

function windowOf(ctx: NodeContext, spatial: number, kernelFromWeight: Shape): Window {
  const given = ctx.ints('kernel_shape');
  const kernel: (number | null)[] =
    given ?? (kernelFromWeight ? kernelFromWeight.slice(2).map((d) => (typeof d === 'number' ? d : null)) : new Array(spatial).fill(null));
  if (kernel.length !== spatial) throw new ShapeError(`kernel_shape has ${kernel.length} dims for ${spatial} spatial dims`);
  const strides = ctx.ints('strides') ?? new Array<number>(spatial).fill(1);
  const dilations = ctx.ints('dilations') ?? new Array<number>(spatial).fill(1);
  const pads = ctx.ints('pads') ?? new Array<number>(spatial * 2).fill(0);
  if (strides.length !== spatial || dilations.length !== spatial || pads.length !== spatial * 2) {
    throw new ShapeError(`strides, dilations or pads do not match ${spatial} spatial dims`);
  }
  return { kernel, strides, dilations, pads, autoPad: ctx.str('auto_pad', 'NOTSET') };
}

/** The size of one spatial output dim of a convolution or pool. */
function windowOut(w: Window, i: number, input: Dim, ceilMode: boolean): Dim {
  if (typeof input !== 'number') return null;
  const stride = w.strides[i];
  if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') return Math.ceil(input / stride);
  const k = w.kernel[i];
  if (k === null) return null;
  const effective = (k - 1) * w.dilations[i] + 1;
  const padded = w.autoPad === 'VALID' ? input : input + w.pads[i] + w.pads[i + w.kernel.length];
  const span = padded - effective;
  if (span < 0) throw new ShapeError(`the kernel (${effective}) is larger than the padded input (${padded})`);
  return (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
}

const conv =
  (elemType: (ctx: NodeContext) => number | null, x: number, weight: number): ShapeRule =>
  (ctx) => {
    const xs = ctx.shape(x);
    const ws = ctx.shape(weight);
    const rank = xs?.length ?? ws?.length ?? null;
    if (rank === null) return ctx.set(0, { elemType: elemType(ctx), shape: null });
    if (rank < 3) throw new ShapeError(`Conv input must have rank >= 3, got ${rank}`);
    const w = windowOf(ctx, rank - 2, ws);
    const out: Dim[] = [xs ? xs[0] : null, ws ? ws[0] : null];
    for (let i = 0; i < rank - 2; i++) out.push(windowOut(w, i, xs ? xs[i + 2] : null, false));
    ctx.set(0, { elemType: elemType(ctx), shape: out });
  };

const convTranspose: ShapeRule = (ctx) => {
  const xs = ctx.shape(0);
  const ws = ctx.shape(1);
  if (xs === null) return ctx.set(0, { elemType: ctx.elemType(0), shape: null });
  const spatial = xs.length - 2;
  const w = windowOf(ctx, spatial, ws);
  const group = ctx.int('group', 1);
  const channels = ws && typeof ws[1] === 'number' ? ws[1] * group : null;
  const outputShape = ctx.ints('output_shape');
  const outputPadding = ctx.ints('output_padding') ?? new Array<number>(spatial).fill(0);
  const out: Dim[] = [xs[0], channels];
  for (let i = 0; i < spatial; i++) {
    const input = xs[i + 2];
    if (outputShape) out.push(outputShape[outputShape.length - spatial + i]);
    else if (typeof input !== 'number') out.push(null);
    else if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') out.push(input * w.strides[i]);
    else {
      const k = w.kernel[i];
      const pads = w.autoPad === 'VALID' ? 0 : w.pads[i] + w.pads[i + spatial];
      out.push(k === null ? null : w.strides[i] * (input - 1) + outputPadding[i] + (k - 1) * w.dilations[i] + 1 - pads);
    }
  }
  ctx.set(0, { elemType: ctx.elemType(0), shape: out });
};

const pool: ShapeRule = (ctx) => {
  const xs = ctx.shape(0);
  const elemType = ctx.elemType(0);
  if (xs === null) {
    ctx.set(0, { elemType, shape: null });
    ctx.set(1, { elemType: DataType.INT64, shape: null });
    return;
  }
  if (xs.length < 3) throw new ShapeError(`pooling input must have rank >= 3, got ${xs.length}`);
  if (!ctx.ints('kernel_shape')) throw new ShapeError('kernel_shape is required');
  const w = windowOf(ctx, xs.length - 2, null);
  const ceilMode = ctx.int('ceil_mode', 0) === 1;
  const shape: Dim[] = [xs[0], xs[1]];
  for (let i = 0; i < xs.length - 2; i++) shape.push(windowOut(w, i, xs[i + 2], ceilMode));
  ctx.set(0, { elemType, shape });
  ctx.set(1, { elemType: DataType.INT64, shape });
};

const globalPool: ShapeRule = (ctx) => {
  const xs = ctx.shape(0);
  ctx.set(0, { elemType: ctx.elemType(0), shape: xs === null ? null : [xs[0], xs[1], ...xs.slice(2).map(() => 1)] });
};

const maxUnpool: ShapeRule = (ctx) => {
  const xs = ctx.shape(0);
  const given = ctx.has(2) ? ctx.value(2) : undefined;
  if (given) return ctx.set(0, { elemType: ctx.elemType(0), shape: given });
  if (xs === null || ctx.has(2)) return ctx.set(0, { elemType: ctx.elemType(0), shape: ctx.has(2) ? lengthOf(ctx, 2) : null });
  const w = windowOf(ctx, xs.length - 2, null);
  const shape: Dim[] = [xs[0], xs[1]];
  for (let i = 0; i < xs.length - 2; i++) {
    const d = xs[i + 2];
    const k = w.kernel[i];
    shape.push(typeof d === 'number' && k !== null ? (d - 1) * w.strides[i] + k - w.pads[i] - w.pads[i + xs.length - 2] : null);
  }
  ctx.set(0, { elemType: ctx.elemType(0), shape });
};

/** A shape of unknown dims whose rank is the length of 1-D input i. */
function lengthOf(ctx: NodeContext, i: number): Shape {
  const s = ctx.shape(i);
  return s && s.length === 1 && typeof s[0] === 'number' ? new Array<Dim>(s[0]).fill(null) : null;
}

const roiPool: ShapeRule = (ctx) => {
  const xs = ctx.shape(0);
  const rois = ctx.shape(1);
  const pooled = ctx.ints('pooled_shape') ?? [ctx.int('output_height', 1), ctx.int('output_width', 1)];
  ctx.set(0, { elemType: ctx.elemType(0), shape: [rois ? rois[0] : null, xs ? xs[1] : null, ...pooled] });
};

export const convPoolRules: Record<string, ShapeRule> = {
  Conv: conv((ctx) => ctx.elemType(0), 0, 1),
  ConvInteger: conv(() => DataType.INT32, 0, 1),
  QLinearConv: conv((ctx) => ctx.elemType(7), 0, 3),
  ConvTranspose: convTranspose,
  MaxPool: pool,
  AveragePool: pool,
  LpPool: pool,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  GlobalLpPool: globalPool,
  MaxUnpool: maxUnpool,
  MaxRoiPool: roiPool,
  RoiAlign: roiPool,
};
