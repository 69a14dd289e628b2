/** Operators that rearrange dims: Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Expand, Tile, Pad, DepthToSpace. */
import { broadcastShapes } from './broadcastShapes';
import { addDim, asDim, axisIndex, dimProduct, divDim, mulDim, unknownDims } from './dimMath';
import { ShapeError } from './ShapeError';
import type { NodeContext, ShapeRule } from './nodeContext';
import type { Dim, Shape } from './shapeTypes';

/** The rank a 1-D input's length gives, when its shape is known. */
export function lengthOf(ctx: NodeContext, i: number): number | null {
  const s = ctx.shape(i);
  return s && s.length === 1 && typeof s[0] === 'number' ? s[0] : null;
}

/** Axes from the `axes` attribute (older opsets) or from input `input` (newer ones); undefined when not known. */
export function axesOf(ctx: NodeContext, input: number): { axes: number[] | undefined; given: boolean } {
  const attr = ctx.ints('axes');
  if (attr !== undefined) return { axes: attr, given: true };
  if (!ctx.has(input)) return { axes: undefined, given: false };
  return { axes: ctx.numbers(input), given: true };
}

export function reshapeShape(input: Shape, target: Dim[], allowZero: boolean): Dim[] {
  const out: Dim[] = [];
  let inferAt = -1;
  for (let i = 0; i < target.length; i++) {
    const v = target[i];
    if (v === 0 && !allowZero) out.push(input ? (input[i] ?? null) : null);
    else if (v === -1) {
      if (inferAt >= 0) throw new ShapeError('Reshape target has more than one -1');
      inferAt = i;
      out.push(null);
    } else if (typeof v === 'number' && v < 0) throw new ShapeError(`Reshape target has invalid dim ${v}`);
    else out.push(v);
  }
  if (inferAt >= 0 && input !== null)
    out[inferAt] = quotient(
      input,
      out.filter((_, i) => i !== inferAt),
    );
  else if (inferAt < 0 && input !== null) {
    const a = dimProduct(input);
    const b = dimProduct(out);
    if (typeof a === 'number' && typeof b === 'number' && a !== b) {
      throw new ShapeError(`Reshape of ${a} elements into [${target.join(',')}] (${b} elements)`);
    }
  }
  return out;
}

/** prod(numerator) / prod(denominator) with symbols cancelled; null when it cannot be told. */
function quotient(numerator: readonly Dim[], denominator: readonly Dim[]): Dim {
  const symbols: string[] = [];
  let n = 1;
  for (const d of numerator) {
    if (d === null) return null;
    if (typeof d === 'number') n *= d;
    else symbols.push(d);
  }
  let m = 1;
  for (const d of denominator) {
    if (d === null) return null;
    if (typeof d === 'number') m *= d;
    else {
      const at = symbols.indexOf(d);
      if (at < 0) return null;
      symbols.splice(at, 1);
    }
  }
  if (m === 0) return null;
  if (n % m !== 0) throw new ShapeError(`Reshape cannot infer -1: ${n} elements do not divide by ${m}`);
  if (symbols.length === 0) return n / m;
  return symbols.length === 1 && n === m ? symbols[0] : null;
}

const reshape: ShapeRule = (ctx) => {
  const target = ctx.value(1);
  const input = ctx.shape(0);
  const elemType = ctx.elemType(0);
  if (target === undefined) return ctx.set(0, { elemType, shape: unknownDims(lengthOf(ctx, 1)) });
  const shape = reshapeShape(input, target, ctx.int('allowzero', 0) === 1);
  const value = ctx.value(0);
  ctx.set(0, { elemType, shape, value: value && shape.length <= 1 ? value : undefined });
};

const flatten: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  if (s === null) return ctx.set(0, { elemType: ctx.elemType(0), shape: [null, null] });
  const axis = ctx.int('axis', 1);
  const a = axis < 0 ? axis + s.length : axis;
  if (a < 0 || a > s.length) throw new ShapeError(`Flatten axis ${axis} is out of range for rank ${s.length}`);
  ctx.set(0, { elemType: ctx.elemType(0), shape: [dimProduct(s.slice(0, a)), dimProduct(s.slice(a))] });
};

const squeeze: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const { axes, given } = axesOf(ctx, 1);
  const elemType = ctx.elemType(0);
  if (s === null || (given && axes === undefined)) return ctx.set(0, { elemType, shape: null });
  let shape: Dim[];
  if (axes === undefined || axes.length === 0) {
    if (s.some((d) => typeof d !== 'number')) return ctx.set(0, { elemType, shape: null });
    shape = s.filter((d) => d !== 1);
  } else {
    const drop = new Set(axes.map((a) => axisIndex(a, s.length)));
    for (const a of drop) {
      if (typeof s[a] === 'number' && s[a] !== 1) throw new ShapeError(`Squeeze axis ${a} has size ${s[a]}, not 1`);
    }
    shape = s.filter((_, i) => !drop.has(i));
  }
  ctx.set(0, { elemType, shape, value: ctx.value(0) });
};

const unsqueeze: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const { axes } = axesOf(ctx, 1);
  const elemType = ctx.elemType(0);
  if (s === null || axes === undefined) return ctx.set(0, { elemType, shape: null });
  const rank = s.length + axes.length;
  const at = new Set(axes.map((a) => axisIndex(a, rank)));
  if (at.size !== axes.length) throw new ShapeError('Unsqueeze axes repeat');
  const shape: Dim[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) shape.push(at.has(i) ? 1 : s[k++]);
  ctx.set(0, { elemType, shape, value: ctx.value(0) });
};

const transpose: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const perm = ctx.ints('perm');
  if (s === null) return ctx.set(0, { elemType: ctx.elemType(0), shape: perm ? unknownDims(perm.length) : null });
  const p = perm ?? s.map((_, i) => s.length - 1 - i);
  if (p.length !== s.length) throw new ShapeError(`Transpose perm has ${p.length} entries for rank ${s.length}`);
  ctx.set(0, { elemType: ctx.elemType(0), shape: p.map((i) => s[axisIndex(i, s.length)]) });
};

const expand: ShapeRule = (ctx) => {
  const target = ctx.value(1);
  const s = ctx.shape(0);
  const elemType = ctx.elemType(0);
  if (target === undefined) {
    const n = lengthOf(ctx, 1);
    if (n === null || s === null) return ctx.set(0, { elemType, shape: null });
    // Whatever the target, a dim of the input other than 1 survives broadcasting.
    const rank = Math.max(n, s.length);
    const shape = unknownDims(rank) as Dim[];
    s.forEach((d, i) => (shape[rank - s.length + i] = typeof d === 'number' && d !== 1 ? d : null));
    return ctx.set(0, { elemType, shape });
  }
  ctx.set(0, { elemType, shape: broadcastShapes([s, target.map(asDim)]) });
};

const tile: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const repeats = ctx.value(1);
  if (s === null) return ctx.set(0, { elemType: ctx.elemType(0), shape: unknownDims(lengthOf(ctx, 1)) });
  if (repeats === undefined) return ctx.set(0, { elemType: ctx.elemType(0), shape: unknownDims(s.length) });
  if (repeats.length !== s.length) throw new ShapeError(`Tile repeats has ${repeats.length} entries for rank ${s.length}`);
  ctx.set(0, { elemType: ctx.elemType(0), shape: s.map((d, i) => mulDim(d, repeats[i])) });
};

const pad: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const elemType = ctx.elemType(0);
  const pads = ctx.ints('pads') ?? ctx.ints('paddings') ?? (ctx.has(1) ? ctx.numbers(1) : undefined);
  if (s === null) return ctx.set(0, { elemType, shape: null });
  if (pads === undefined) return ctx.set(0, { elemType, shape: unknownDims(s.length) });
  const axesGiven = ctx.has(3) ? ctx.numbers(3) : undefined;
  if (ctx.has(3) && axesGiven === undefined) return ctx.set(0, { elemType, shape: unknownDims(s.length) });
  const axes = axesGiven ? axesGiven.map((a) => axisIndex(a, s.length)) : s.map((_, i) => i);
  if (pads.length !== axes.length * 2) throw new ShapeError(`Pad has ${pads.length} pads for ${axes.length} axes`);
  const shape = [...s];
  axes.forEach((a, i) => (shape[a] = addDim(s[a], pads[i] + pads[i + axes.length])));
  ctx.set(0, { elemType, shape });
};

const depthToSpace: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const b = ctx.int('blocksize', 1);
  if (s === null) return ctx.set(0, { elemType: ctx.elemType(0), shape: unknownDims(4) });
  if (s.length !== 4) throw new ShapeError(`DepthToSpace input must be 4-D, got rank ${s.length}`);
  ctx.set(0, { elemType: ctx.elemType(0), shape: [s[0], divDim(s[1], b * b), mulDim(s[2], b), mulDim(s[3], b)] });
};

const spaceToDepth: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const b = ctx.int('blocksize', 1);
  if (s === null) return ctx.set(0, { elemType: ctx.elemType(0), shape: unknownDims(4) });
  if (s.length !== 4) throw new ShapeError(`SpaceToDepth input must be 4-D, got rank ${s.length}`);
  ctx.set(0, { elemType: ctx.elemType(0), shape: [s[0], mulDim(s[1], b * b), divDim(s[2], b), divDim(s[3], b)] });
};

export const reshapeRules: Record<string, ShapeRule> = {
  Reshape: reshape,
  Flatten: flatten,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Transpose: transpose,
  Expand: expand,
  Tile: tile,
  Pad: pad,
  DepthToSpace: depthToSpace,
  SpaceToDepth: spaceToDepth,
};
