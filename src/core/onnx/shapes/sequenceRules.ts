/** Sequence and Optional operators: what is known of their elements' type and shape. */
import { DataType } from '../dataTypes';
import { axisIndex } from './dimMath';
import type { NodeContext, ShapeRule } from './nodeContext';
import type { Dim, Shape, TensorType } from './shapeTypes';

const NONE: TensorType = { elemType: null, shape: null };

/** What two elements have in common: the elem type, and dims equal in both. */
function common(a: TensorType | undefined, b: TensorType | undefined): TensorType {
  if (a === undefined || b === undefined) return a ?? b ?? NONE;
  const shape: Shape =
    a.shape === null || b.shape === null || a.shape.length !== b.shape.length
      ? null
      : a.shape.map((d, i) => (d === b.shape?.[i] ? d : null));
  return { elemType: a.elemType ?? b.elemType, shape };
}

const tensor = (ctx: NodeContext, i: number): TensorType | undefined =>
  ctx.has(i) ? { elemType: ctx.elemType(i), shape: ctx.shape(i) } : undefined;

const sequence = (ctx: NodeContext, element: TensorType): void => ctx.set(0, { ...NONE, element });

const concatFromSequence: ShapeRule = (ctx) => {
  const e = ctx.element(0) ?? NONE;
  if (e.shape === null) return ctx.set(0, { elemType: e.elemType, shape: null });
  const newAxis = ctx.int('new_axis', 0) === 1;
  const rank = e.shape.length + (newAxis ? 1 : 0);
  const axis = axisIndex(ctx.int('axis', 0), rank);
  const shape: Dim[] = [...e.shape];
  if (newAxis) shape.splice(axis, 0, null);
  else shape[axis] = null;
  ctx.set(0, { elemType: e.elemType, shape });
};

/** Without `split`, elements are size 1 along the axis (dropped when keepdims=0); with it, their size there is split's when all agree. */
const splitToSequence: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  if (s === null) return sequence(ctx, { elemType: ctx.elemType(0), shape: null });
  const axis = axisIndex(ctx.int('axis', 0), s.length);
  const shape: Dim[] = [...s];
  if (!ctx.has(1)) {
    if (ctx.int('keepdims', 1) === 1) shape[axis] = 1;
    else shape.splice(axis, 1);
  } else {
    const split = ctx.numbers(1);
    shape[axis] = split !== undefined && split.length > 0 && split.every((v) => v === split[0]) ? split[0] : null;
  }
  sequence(ctx, { elemType: ctx.elemType(0), shape });
};

export const sequenceRules: Record<string, ShapeRule> = {
  SequenceEmpty: (ctx) => sequence(ctx, { elemType: ctx.int('dtype', DataType.FLOAT), shape: null }),
  SequenceConstruct: (ctx) => {
    let e: TensorType | undefined;
    for (let i = 0; i < ctx.node.inputs.length; i++) e = i === 0 ? tensor(ctx, 0) : common(e, tensor(ctx, i));
    sequence(ctx, e ?? NONE);
  },
  SequenceInsert: (ctx) =>
    sequence(ctx, ctx.element(0)?.elemType === undefined ? (tensor(ctx, 1) ?? NONE) : common(ctx.element(0), tensor(ctx, 1))),
  SequenceErase: (ctx) => sequence(ctx, ctx.element(0) ?? NONE),
  SplitToSequence: splitToSequence,
  SequenceAt: (ctx) => ctx.set(0, ctx.element(0) ?? NONE),
  ConcatFromSequence: concatFromSequence,
  Optional: (ctx) => sequence(ctx, tensor(ctx, 0) ?? NONE),
  OptionalGetElement: (ctx) => ctx.set(0, ctx.element(0) ?? tensor(ctx, 0) ?? NONE),
};
