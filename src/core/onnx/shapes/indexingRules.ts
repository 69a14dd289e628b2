/**
 * Operators that pick, join or produce tensors: Concat, Split, Gather*, Slice, Shape, Size, TopK, OneHot,
 * Range, Constant, ConstantOfShape, NonZero, Compress; with value propagation of small int shape tensors.
 */
import { DataType } from '../dataTypes';
import type { OnnxAttribute } from '../onnxModel';
import { addDim, axisIndex, dimProduct, divDim, mergeDim, unknownDims } from './dimMath';
import { lengthOf } from './reshapeRules';
import { ShapeError } from './ShapeError';
import type { ShapeRule } from './nodeContext';
import type { Dim, Shape } from './shapeTypes';

const concat: ShapeRule = (ctx) => {
  const inputs: number[] = [];
  for (let i = 0; i < ctx.node.inputs.length; i++) if (ctx.has(i)) inputs.push(i);
  const shapes = inputs.map((i) => ctx.shape(i));
  const known = shapes.find((s) => s !== null);
  const elemType = inputs.map((i) => ctx.elemType(i)).find((t) => t !== null) ?? null;
  if (known === undefined) return ctx.set(0, { elemType, shape: null });
  const rank = known.length;
  const axis = axisIndex(ctx.int('axis', 0), rank);
  const shape: Dim[] = [...known];
  let sum: Dim = 0;
  for (const s of shapes) {
    if (s === null) {
      sum = null;
      continue;
    }
    if (s.length !== rank) throw new ShapeError(`Concat inputs have ranks ${rank} and ${s.length}`);
    for (let d = 0; d < rank; d++) if (d !== axis) shape[d] = mergeDim(shape[d], s[d], `Concat inputs differ in dim ${d}`);
    sum = sum === null ? null : addDim(sum, s[axis]);
  }
  shape[axis] = sum;
  let value: Dim[] | undefined;
  if (rank === 1) {
    value = [];
    for (const i of inputs) {
      const v = ctx.value(i);
      if (v === undefined) {
        value = undefined;
        break;
      }
      value.push(...v);
    }
  }
  ctx.set(0, { elemType, shape, value });
};

const split: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const elemType = ctx.elemType(0);
  const n = ctx.outputCount;
  if (s === null) {
    for (let i = 0; i < n; i++) ctx.set(i, { elemType, shape: null });
    return;
  }
  const axis = axisIndex(ctx.int('axis', 0), s.length);
  const sizes = ctx.ints('split') ?? (ctx.has(1) ? ctx.numbers(1) : undefined);
  const d = s[axis];
  for (let i = 0; i < n; i++) {
    const shape = [...s];
    if (sizes !== undefined) {
      if (sizes.length !== n) throw new ShapeError(`Split has ${sizes.length} sizes for ${n} outputs`);
      shape[axis] = sizes[i];
    } else if (ctx.has(1)) shape[axis] = null;
    else if (typeof d === 'number') {
      const chunk = Math.ceil(d / n);
      shape[axis] = i < n - 1 ? chunk : d - chunk * (n - 1);
    } else shape[axis] = divDim(d, n);
    ctx.set(i, { elemType, shape });
  }
};

/** Values of a 1-D tensor picked by indices (negative ones count from the end). */
function gatherValues(data: Dim[] | undefined, indices: number[] | undefined): Dim[] | undefined {
  if (data === undefined || indices === undefined) return undefined;
  const out: Dim[] = [];
  for (const i of indices) {
    const k = i < 0 ? i + data.length : i;
    if (k < 0 || k >= data.length) return undefined;
    out.push(data[k]);
  }
  return out;
}

const gather: ShapeRule = (ctx) => {
  const data = ctx.shape(0);
  const indices = ctx.shape(1);
  const elemType = ctx.elemType(0);
  if (data === null || indices === null) {
    const rank = data !== null && indices !== null ? data.length + indices.length - 1 : null;
    return ctx.set(0, { elemType, shape: unknownDims(rank) });
  }
  const axis = axisIndex(ctx.int('axis', 0), data.length);
  const shape = [...data.slice(0, axis), ...indices, ...data.slice(axis + 1)];
  const value = data.length === 1 ? gatherValues(ctx.value(0), ctx.numbers(1)) : undefined;
  ctx.set(0, { elemType, shape, value });
};

const gatherND: ShapeRule = (ctx) => {
  const data = ctx.shape(0);
  const indices = ctx.shape(1);
  const b = ctx.int('batch_dims', 0);
  const elemType = ctx.elemType(0);
  if (data === null || indices === null) return ctx.set(0, { elemType, shape: null });
  const last = indices[indices.length - 1];
  if (typeof last !== 'number') return ctx.set(0, { elemType, shape: null });
  ctx.set(0, { elemType, shape: [...indices.slice(0, -1), ...data.slice(b + last)] });
};

/** The length of a slice of a dim of size `d` (ONNX Slice clamping rules). */
export function sliceLength(d: number, start: number, end: number, step: number): number {
  if (step === 0) throw new ShapeError('Slice step is 0');
  let s = start < 0 ? start + d : start;
  let e = end < 0 ? end + d : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), d);
    e = Math.min(Math.max(e, 0), d);
  } else {
    s = Math.min(Math.max(s, 0), d - 1);
    e = Math.min(Math.max(e, -1), d - 1);
  }
  return Math.max(0, Math.ceil((e - s) / step));
}

const INT64_MAX = 9.2e18;

const slice: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const elemType = ctx.elemType(0);
  if (s === null) return ctx.set(0, { elemType, shape: null });
  const old = ctx.opset < 10;
  const starts = old ? ctx.ints('starts') : ctx.numbers(1);
  const ends = old ? ctx.ints('ends') : ctx.numbers(2);
  const axesGiven = old ? ctx.ints('axes') : ctx.has(3) ? ctx.numbers(3) : undefined;
  const stepsGiven = old ? undefined : ctx.has(4) ? ctx.numbers(4) : undefined;
  if (starts === undefined || ends === undefined || (!old && ctx.has(3) && axesGiven === undefined)) {
    return ctx.set(0, { elemType, shape: unknownDims(s.length) });
  }
  if (starts.length !== ends.length) throw new ShapeError('Slice starts and ends differ in length');
  const axes = (axesGiven ?? starts.map((_, i) => i)).map((a) => axisIndex(a, s.length));
  const steps = stepsGiven ?? (!old && ctx.has(4) ? undefined : axes.map(() => 1));
  const shape = [...s];
  axes.forEach((a, i) => {
    const d = s[a];
    const step = steps ? steps[i] : undefined;
    if (typeof d === 'number' && step !== undefined) shape[a] = sliceLength(d, starts[i], ends[i], step);
    else if (step === 1 && starts[i] === 0 && ends[i] >= INT64_MAX) shape[a] = d;
    else shape[a] = null;
  });
  const data = ctx.value(0);
  let value: Dim[] | undefined;
  if (data && s.length === 1 && axes.length === 1 && steps) {
    value = [];
    const n = data.length;
    const step = steps[0];
    let b = starts[0] < 0 ? starts[0] + n : starts[0];
    let e = ends[0] < 0 ? ends[0] + n : ends[0];
    b = step > 0 ? Math.min(Math.max(b, 0), n) : Math.min(Math.max(b, 0), n - 1);
    e = step > 0 ? Math.min(Math.max(e, 0), n) : Math.min(Math.max(e, -1), n - 1);
    for (let i = b; step > 0 ? i < e : i > e; i += step) value.push(data[i]);
  }
  ctx.set(0, { elemType, shape, value });
};

const shapeOp: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  if (s === null) return ctx.set(0, { elemType: DataType.INT64, shape: [null] });
  const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + s.length : v, 0), s.length);
  const start = clamp(ctx.int('start', 0));
  const end = clamp(ctx.int('end', s.length));
  const value = s.slice(start, Math.max(start, end));
  ctx.set(0, { elemType: DataType.INT64, shape: [value.length], value });
};

const size: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const n = s === null ? null : dimProduct(s);
  ctx.set(0, { elemType: DataType.INT64, shape: [], value: typeof n === 'number' ? [n] : undefined });
};

const topK: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const k: Dim = ctx.opset < 10 ? ctx.int('k', 0) : (ctx.numbers(1)?.[0] ?? null);
  let shape: Shape = null;
  if (s !== null) {
    shape = [...s];
    shape[axisIndex(ctx.int('axis', -1), s.length)] = k;
  }
  ctx.set(0, { elemType: ctx.elemType(0), shape });
  ctx.set(1, { elemType: DataType.INT64, shape });
};

const oneHot: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const depth = ctx.numbers(1)?.[0];
  const elemType = ctx.elemType(2);
  if (s === null) return ctx.set(0, { elemType, shape: null });
  const axis = axisIndex(ctx.int('axis', -1), s.length + 1);
  const shape = [...s];
  shape.splice(axis, 0, depth === undefined ? null : Math.trunc(depth));
  ctx.set(0, { elemType, shape });
};

const range: ShapeRule = (ctx) => {
  const [start, limit, delta] = [ctx.numbers(0)?.[0], ctx.numbers(1)?.[0], ctx.numbers(2)?.[0]];
  const known = start !== undefined && limit !== undefined && delta !== undefined && delta !== 0;
  const n = known ? Math.max(Math.ceil((limit - start) / delta), 0) : null;
  const isInt = ctx.elemType(0) === DataType.INT64 || ctx.elemType(0) === DataType.INT32;
  const value = known && isInt && n !== null && n <= 64 ? Array.from({ length: n }, (_, i) => start + i * delta) : undefined;
  ctx.set(0, { elemType: ctx.elemType(0), shape: [n], value });
};

const constantOfShape: ShapeRule = (ctx) => {
  const dims = ctx.value(0);
  const t = ctx.attr('value')?.t;
  const shape: Shape = dims ?? unknownDims(lengthOf(ctx, 0));
  ctx.set(0, { elemType: t?.dataType ?? DataType.FLOAT, shape });
};

/** Constant: the type and shape of whichever value attribute is set; its values come from the constants table. */
const constant: ShapeRule = (ctx) => {
  const a = ctx.node.attributes.find((x: OnnxAttribute) => x.name.startsWith('value') || x.name === 'sparse_value');
  if (a === undefined) throw new ShapeError('Constant has no value attribute');
  const own = ctx.constant(ctx.node.outputs[0]);
  switch (a.name) {
    case 'value':
      return ctx.set(0, { elemType: a.t?.dataType ?? null, shape: a.t ? [...a.t.dims] : null, value: own });
    case 'sparse_value':
      return ctx.set(0, { elemType: a.sparseTensor?.values?.dataType ?? null, shape: a.sparseTensor ? [...a.sparseTensor.dims] : null });
    case 'value_int':
      return ctx.set(0, { elemType: DataType.INT64, shape: [], value: [Number(a.i ?? 0)] });
    case 'value_ints':
      return ctx.set(0, { elemType: DataType.INT64, shape: [a.ints?.length ?? 0], value: (a.ints ?? []).map(Number) });
    case 'value_float':
      return ctx.set(0, { elemType: DataType.FLOAT, shape: [], value: [a.f ?? 0] });
    case 'value_floats':
      return ctx.set(0, { elemType: DataType.FLOAT, shape: [a.floats?.length ?? 0], value: a.floats });
    case 'value_string':
      return ctx.set(0, { elemType: DataType.STRING, shape: [] });
    case 'value_strings':
      return ctx.set(0, { elemType: DataType.STRING, shape: [a.strings?.length ?? 0] });
    default:
      throw new ShapeError(`Constant has an unknown attribute ${a.name}`);
  }
};

const nonZero: ShapeRule = (ctx) => ctx.set(0, { elemType: DataType.INT64, shape: [ctx.rank(0), null] });

const compress: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const axis = ctx.attr('axis');
  if (axis === undefined) return ctx.set(0, { elemType: ctx.elemType(0), shape: [null] });
  if (s === null) return ctx.set(0, { elemType: ctx.elemType(0), shape: null });
  const shape = [...s];
  shape[axisIndex(Number(axis.i ?? 0), s.length)] = null;
  ctx.set(0, { elemType: ctx.elemType(0), shape });
};

const gatherElements: ShapeRule = (ctx) => ctx.set(0, { elemType: ctx.elemType(0), shape: ctx.shape(1) });

export const indexingRules: Record<string, ShapeRule> = {
  Concat: concat,
  Split: split,
  Gather: gather,
  GatherElements: gatherElements,
  GatherND: gatherND,
  Slice: slice,
  Shape: shapeOp,
  Size: size,
  TopK: topK,
  OneHot: oneHot,
  Range: range,
  ConstantOfShape: constantOfShape,
  Constant: constant,
  NonZero: nonZero,
  Compress: compress,
};
