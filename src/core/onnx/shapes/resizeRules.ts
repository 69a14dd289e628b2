/** Resize and Upsample with constant scales or sizes, and GridSample. */
import { unknownDims } from './dimMath';
import { ShapeError } from './ShapeError';
import type { NodeContext, ShapeRule } from './nodeContext';
import type { Dim, Shape } from './shapeTypes';

function scaled(s: Shape, scales: number[] | undefined): Shape {
  if (s === null) return null;
  if (scales === undefined) return unknownDims(s.length);
  if (scales.length !== s.length) throw new ShapeError(`${scales.length} scales for rank ${s.length}`);
  return s.map((d, i) => (typeof d === 'number' ? Math.floor(d * scales[i]) : scales[i] === 1 ? d : null));
}

const nonEmpty = (ctx: NodeContext, i: number): number[] | undefined => {
  const v = ctx.has(i) ? ctx.numbers(i) : undefined;
  return v && v.length > 0 ? v : undefined;
};

const resize: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const elemType = ctx.elemType(0);
  if (ctx.opset < 11) return ctx.set(0, { elemType, shape: scaled(s, nonEmpty(ctx, 1)) });
  const sizes = nonEmpty(ctx, 3);
  const axes = ctx.ints('axes');
  if (sizes !== undefined) {
    if (axes === undefined) return ctx.set(0, { elemType, shape: sizes });
    if (s === null) return ctx.set(0, { elemType, shape: null });
    const shape: Dim[] = [...s];
    axes.forEach((a, i) => (shape[a < 0 ? a + s.length : a] = sizes[i]));
    return ctx.set(0, { elemType, shape });
  }
  const scales = nonEmpty(ctx, 2);
  if (scales !== undefined && axes !== undefined && s !== null) {
    const full = s.map(() => 1);
    axes.forEach((a, i) => (full[a < 0 ? a + s.length : a] = scales[i]));
    return ctx.set(0, { elemType, shape: scaled(s, full) });
  }
  ctx.set(0, { elemType, shape: ctx.has(3) && scales === undefined ? unknownDims(s?.length ?? null) : scaled(s, scales) });
};

const upsample: ShapeRule = (ctx) => {
  const scales = ctx.floats('scales') ?? nonEmpty(ctx, 1);
  ctx.set(0, { elemType: ctx.elemType(0), shape: scaled(ctx.shape(0), scales) });
};

const gridSample: ShapeRule = (ctx) => {
  const x = ctx.shape(0);
  const grid = ctx.shape(1);
  const spatial = grid === null ? (x === null ? null : unknownDims(x.length - 2)) : grid.slice(1, -1);
  const shape = spatial === null ? null : [x?.[0] ?? grid?.[0] ?? null, x?.[1] ?? null, ...spatial];
  ctx.set(0, { elemType: ctx.elemType(0), shape });
};

export const resizeRules: Record<string, ShapeRule> = { Resize: resize, Upsample: upsample, GridSample: gridSample };
