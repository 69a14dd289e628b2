/** Reductions (keepdims; axes as attribute or input; noop_with_empty_axes) and ArgMax/ArgMin. */
import { DataType } from '../dataTypes';
import { axisIndex, unknownDims } from './dimMath';
import { axesOf } from './reshapeRules';
import type { NodeContext, ShapeRule } from './nodeContext';
import type { Shape } from './shapeTypes';

export function reduceShape(s: Shape, axes: number[] | undefined, keepDims: boolean, noopWhenEmpty: boolean): Shape {
  if (s === null) return null;
  if (axes === undefined || axes.length === 0) {
    if (noopWhenEmpty) return s;
    return keepDims ? s.map(() => 1) : [];
  }
  const set = new Set(axes.map((a) => axisIndex(a, s.length)));
  if (keepDims) return s.map((d, i) => (set.has(i) ? 1 : d));
  return s.filter((_, i) => !set.has(i));
}

const reduce: ShapeRule = (ctx: NodeContext) => {
  const s = ctx.shape(0);
  const keepDims = ctx.int('keepdims', 1) === 1;
  const { axes, given } = axesOf(ctx, 1);
  const elemType = ctx.elemType(0);
  if (given && axes === undefined) {
    return ctx.set(0, { elemType, shape: keepDims && s !== null ? unknownDims(s.length) : null });
  }
  ctx.set(0, { elemType, shape: reduceShape(s, axes, keepDims, ctx.int('noop_with_empty_axes', 0) === 1) });
};

const argReduce: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const shape = s === null ? null : reduceShape(s, [ctx.int('axis', 0)], ctx.int('keepdims', 1) === 1, false);
  ctx.set(0, { elemType: DataType.INT64, shape });
};

export const reduceRules: Record<string, ShapeRule> = {
  ArgMax: argReduce,
  ArgMin: argReduce,
};
for (const op of ['L1', 'L2', 'LogSum', 'LogSumExp', 'Max', 'Mean', 'Min', 'Prod', 'Sum', 'SumSquare']) reduceRules[`Reduce${op}`] = reduce;
