/** Small arithmetic on dimensions that may be symbolic or unknown. */
import { ShapeError } from './ShapeError';
import type { Dim, Shape } from './shapeTypes';

/** A non-negative axis for a rank, from a possibly negative one; throws when out of range. */
export function axisIndex(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new ShapeError(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** The product of dims: a number when all are known, the one symbol when the rest are 1, else null. */
export function dimProduct(dims: readonly Dim[]): Dim {
  let n = 1;
  let symbol: string | undefined;
  for (const d of dims) {
    if (typeof d === 'number') n *= d;
    else if (d === null || symbol !== undefined) return dims.some((x) => x === 0) ? 0 : null;
    else symbol = d;
  }
  if (symbol === undefined) return n;
  return n === 1 ? symbol : n === 0 ? 0 : null;
}

export const mulDim = (a: Dim, b: Dim): Dim => {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (a === 1) return b;
  if (b === 1) return a;
  if (a === 0 || b === 0) return 0;
  return null;
};

export const addDim = (a: Dim, b: Dim): Dim => {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  return null;
};

/** a / b when both are known and b divides a exactly (or a symbol over 1). */
export const divDim = (a: Dim, b: Dim): Dim => {
  if (b === 1) return a;
  if (typeof a === 'number' && typeof b === 'number' && b !== 0 && a % b === 0) return a / b;
  if (typeof a === 'string' && a === b) return 1;
  return null;
};

/** Two dims of the same tensor seen twice: the known one wins; different known sizes are an error. */
export function mergeDim(a: Dim, b: Dim, what: string): Dim {
  if (a === null) return b;
  if (b === null) return a;
  if (typeof a === 'number' && typeof b === 'number' && a !== b) throw new ShapeError(`${what}: ${a} vs ${b}`);
  return typeof a === 'number' ? a : b;
}

/** Unifies two shapes of one tensor (rank must agree when both are known). */
export function mergeShape(a: Shape, b: Shape, what: string): Shape {
  if (a === null) return b;
  if (b === null) return a;
  if (a.length !== b.length) throw new ShapeError(`${what}: rank ${a.length} vs ${b.length}`);
  return a.map((d, i) => mergeDim(d, b[i], what));
}

/** A shape of the given rank with every dim unknown (null when the rank is unknown). */
export const unknownDims = (rank: number | null): Shape => (rank === null ? null : new Array<Dim>(rank).fill(null));

/** Dims read from a shape-like value: non-negative integers and names stay, anything else is unknown. */
export const asDim = (v: Dim): Dim => (typeof v === 'number' ? (Number.isInteger(v) && v >= 0 ? v : null) : v);
