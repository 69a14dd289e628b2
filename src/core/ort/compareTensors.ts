/**
 * Compares an output tensor with expected values (e.g. a test data set's output_N.pb): same shape, and every
 * element within |actual − expected| ≤ atol + rtol·|expected|. NaN equals NaN; infinities must match exactly.
 */
import { decodeFloat16 } from '../onnx/float16';
import { DataType } from '../onnx/dataTypes';
import type { TensorData } from '../onnx/readTensorData';

export interface Tolerance {
  rtol: number;
  atol: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-3, atol: 1e-4 };

export interface TensorMismatch {
  equal: false;
  reason: string;
}

export type TensorComparison = { equal: true; maxAbsDiff: number } | TensorMismatch;

/** What to compare: the fields of an ort.Tensor that matter. */
export interface ActualTensor {
  type: string;
  dims: readonly number[];
  data: unknown;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function asNumber(v: unknown, half: boolean): number {
  if (half) return decodeFloat16(v as number);
  return typeof v === 'bigint' ? Number(v) : Number(v);
}

export function compareTensors(expected: TensorData, actual: ActualTensor, tolerance: Tolerance = DEFAULT_TOLERANCE): TensorComparison {
  if (!sameShape(expected.dims, actual.dims))
    return { equal: false, reason: `shape [${actual.dims.join(',')}] ≠ expected [${expected.dims.join(',')}]` };
  const e = expected.values as ArrayLike<unknown>;
  const a = actual.data as ArrayLike<unknown>;
  if (e.length !== a.length) return { equal: false, reason: `${a.length} values ≠ expected ${e.length}` };
  if (expected.dataType === DataType.STRING) {
    for (let i = 0; i < e.length; i++)
      if (String(e[i]) !== String(a[i])) return { equal: false, reason: `value ${i}: '${String(a[i])}' ≠ '${String(e[i])}'` };
    return { equal: true, maxAbsDiff: 0 };
  }
  const eHalf = expected.dataType === DataType.FLOAT16;
  const aHalf = actual.type === 'float16';
  let maxAbsDiff = 0;
  for (let i = 0; i < e.length; i++) {
    const x = asNumber(e[i], eHalf);
    const y = asNumber(a[i], aHalf);
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) && Number.isNaN(y)) continue;
      return { equal: false, reason: `value ${i}: ${y} ≠ expected ${x}` };
    }
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      if (x === y) continue;
      return { equal: false, reason: `value ${i}: ${y} ≠ expected ${x}` };
    }
    const diff = Math.abs(x - y);
    if (diff > tolerance.atol + tolerance.rtol * Math.abs(x))
      return { equal: false, reason: `value ${i}: ${y} ≠ expected ${x} (|diff| ${diff.toExponential(2)})` };
    if (diff > maxAbsDiff) maxAbsDiff = diff;
  }
  return { equal: true, maxAbsDiff };
}
