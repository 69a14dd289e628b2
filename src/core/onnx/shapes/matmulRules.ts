/** Matrix products: MatMul (numpy semantics: batch broadcasting, 1-D operands), Gemm, Einsum. */
import { DataType } from '../dataTypes';
import { broadcastShapes } from './broadcastShapes';
import { mergeDim } from './dimMath';
import { ShapeError } from './ShapeError';
import type { NodeContext, ShapeRule } from './nodeContext';
import type { Dim, Shape } from './shapeTypes';

export function matmulShape(a: Shape, b: Shape): Shape {
  if (a === null || b === null) return null;
  if (a.length === 0 || b.length === 0) throw new ShapeError('MatMul operands must have rank >= 1');
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  mergeDim(a2[a2.length - 1], b2[b2.length - 2], `MatMul inner dims of [${a.join(',')}] and [${b.join(',')}] differ`);
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)]) as Dim[];
  const out: Dim[] = [...batch];
  if (a.length !== 1) out.push(a2[a2.length - 2]);
  if (b.length !== 1) out.push(b2[b2.length - 1]);
  return out;
}

const matmul =
  (elemType: (ctx: NodeContext) => number | null, a: number, b: number): ShapeRule =>
  (ctx) =>
    ctx.set(0, { elemType: elemType(ctx), shape: matmulShape(ctx.shape(a), ctx.shape(b)) });

const gemm: ShapeRule = (ctx) => {
  const a = ctx.shape(0);
  const b = ctx.shape(1);
  const elemType = ctx.elemType(0);
  if (a === null || b === null) return ctx.set(0, { elemType, shape: a === null && b === null ? null : [null, null] });
  if (a.length !== 2 || b.length !== 2) throw new ShapeError(`Gemm operands must be 2-D, got ranks ${a.length} and ${b.length}`);
  const [m, ka] = ctx.int('transA', 0) ? [a[1], a[0]] : [a[0], a[1]];
  const [kb, n] = ctx.int('transB', 0) ? [b[1], b[0]] : [b[0], b[1]];
  mergeDim(ka, kb, 'Gemm inner dims differ');
  ctx.set(0, { elemType, shape: [m, n] });
};

/** Einsum: letters of each operand (with `...` for broadcast dims), output given after `->` or implicit (sorted letters used once). */
const einsum: ShapeRule = (ctx) => {
  const equation = ctx.str('equation', '').replace(/\s+/g, '');
  const [lhs, rhs] = equation.split('->');
  const terms = lhs.split(',');
  const letters = new Map<string, Dim>();
  const counts = new Map<string, number>();
  let ellipsis: Shape = [];
  for (let t = 0; t < terms.length; t++) {
    const shape = ctx.shape(t);
    if (shape === null) return ctx.set(0, { elemType: ctx.elemType(0), shape: null });
    const term = terms[t];
    const dots = term.indexOf('...');
    const named = term.replace('...', '');
    const dotRank = dots >= 0 ? shape.length - named.length : 0;
    if (dotRank < 0 || (dots < 0 && named.length !== shape.length))
      throw new ShapeError(`Einsum term '${term}' does not match rank ${shape.length}`);
    let k = 0;
    for (let c = 0; c < term.length; c++) {
      if (term.startsWith('...', c)) {
        ellipsis = broadcastShapes([ellipsis, shape.slice(k, k + dotRank)]);
        k += dotRank;
        c += 2;
        continue;
      }
      const letter = term[c];
      const d = shape[k++];
      letters.set(letter, letters.has(letter) ? pickDim(letters.get(letter) ?? null, d) : d);
      counts.set(letter, (counts.get(letter) ?? 0) + 1);
    }
  }
  const output =
    rhs ??
    '...' +
      [...counts.keys()]
        .filter((l) => counts.get(l) === 1)
        .sort()
        .join('');
  const out: Dim[] = [];
  for (let c = 0; c < output.length; c++) {
    if (output.startsWith('...', c)) {
      out.push(...(ellipsis ?? []));
      c += 2;
    } else out.push(letters.get(output[c]) ?? null);
  }
  ctx.set(0, { elemType: ctx.elemType(0), shape: out });
};

/** The same letter in two operands: a size wins over 1 (broadcast), else the two must agree. */
const pickDim = (a: Dim, b: Dim): Dim => (a === 1 ? b : b === 1 ? a : mergeDim(a, b, 'Einsum dims of one letter differ'));

export const matmulRules: Record<string, ShapeRule> = {
  MatMul: matmul((ctx) => ctx.elemType(0), 0, 1),
  MatMulInteger: matmul(() => DataType.INT32, 0, 1),
  QLinearMatMul: matmul((ctx) => ctx.elemType(7), 0, 3),
  Gemm: gemm,
  Einsum: einsum,
};
