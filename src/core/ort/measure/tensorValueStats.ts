/** What Measure Shapes records of each tensor's values: min, max and mean over finite values, NaN and ±Inf counts. */
import { decodeFloat16 } from '../../onnx/float16';

export interface TensorValueStats {
  /** Over the finite values; null when there are none (empty, all NaN/Inf). */
  min: number | null;
  max: number | null;
  mean: number | null;
  nanCount: number;
  infCount: number;
}

/** Statistics of a tensor's flat values as onnxruntime-node holds them (float16 as bits), or undefined for strings. */
export function tensorValueStats(type: string, data: unknown): TensorValueStats | undefined {
  if (type === 'string' || data === null || typeof data !== 'object' || !('length' in data)) return undefined;
  const values = data as ArrayLike<number | bigint>;
  const half = type === 'float16';
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  let finite = 0;
  let nanCount = 0;
  let infCount = 0;
  for (let i = 0; i < values.length; i++) {
    const raw = values[i];
    const v = half ? decodeFloat16(raw as number) : Number(raw);
    if (v !== v) nanCount++;
    else if (v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY) infCount++;
    else {
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
      finite++;
    }
  }
  return finite === 0 ? { min: null, max: null, mean: null, nanCount, infCount } : { min, max, mean: sum / finite, nanCount, infCount };
}
