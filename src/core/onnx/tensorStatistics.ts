/**
 * Summary statistics of a tensor's values: min, max, mean, standard deviation, NaN/Inf/zero counts and the
 * first values. Raw and external data are streamed in chunks, so a large tensor is never held whole.
 * Types without a plain numeric reading (float8, 4-bit, 2-bit, complex) are reported as unsupported.
 */
import { dataTypeInfo, dataTypeName, DataType } from './dataTypes';
import { decodeBfloat16, decodeFloat16 } from './float16';
import { readByteRange, readTensorData, DEFAULT_MAX_TENSOR_BYTES } from './readTensorData';
import { checkedElementCount, rawByteRange, typedView, viewElementBytes, type TensorValues } from './tensorBytes';
import type { TensorRef } from './tensorRef';

export interface TensorStatistics {
  name: string;
  dataType: number;
  dtype: string;
  dims: number[];
  /** Number of elements. */
  count: number;
  /** False when the type has no numeric reading here; `reason` says why. */
  supported: boolean;
  reason?: string;
  /** Over finite values (NaN and ±Inf are counted apart). Undefined when there are none. */
  min?: number;
  max?: number;
  mean?: number;
  /** Population standard deviation. */
  std?: number;
  nanCount?: number;
  infCount?: number;
  zeroCount?: number;
  /** The first values: numbers (int64 beyond 2^53 as decimal strings), booleans, or strings (cut at 200 chars). */
  first: (number | string | boolean)[];
}

export interface TensorStatisticsOptions {
  /** How many leading values to return. Default 16. */
  maxValues?: number;
  signal?: AbortSignal;
  /** Limit for tensors held in typed fields, which are read whole. Default 1 GiB. */
  maxBytes?: number;
}

const CHUNK_BYTES = 8 * 1024 * 1024;

export async function tensorStatistics(ref: TensorRef, options: TensorStatisticsOptions = {}): Promise<TensorStatistics> {
  const maxValues = options.maxValues ?? 16;
  const count = checkedElementCount(ref);
  const base = { name: ref.name, dataType: ref.dataType, dtype: dataTypeName(ref.dataType), dims: ref.dims, count };
  const numeric = dataTypeInfo(ref.dataType)?.numeric;
  if (numeric === 'unsupported' || numeric === 'complex' || numeric === 'undefined' || numeric === undefined) {
    return { ...base, supported: false, reason: `statistics are not supported for ${base.dtype} tensors`, first: [] };
  }
  if (numeric === 'string') {
    const data = await readTensorData(ref, { signal: options.signal, maxBytes: options.maxBytes ?? DEFAULT_MAX_TENSOR_BYTES });
    const strings = data.values as string[];
    return {
      ...base,
      supported: true,
      reason: 'string tensor: no numeric statistics',
      first: strings.slice(0, maxValues).map((s) => (s.length > 200 ? `${s.slice(0, 200)}…` : s)),
    };
  }

  const acc = new Accumulator(ref.dataType, maxValues);
  const range = await rawByteRange(ref);
  if (range !== undefined) {
    // Chunks are a multiple of the element size so every chunk is a whole typed array.
    const width = viewElementBytes(ref.dataType);
    const chunk = Math.max(width, CHUNK_BYTES - (CHUNK_BYTES % width));
    let buffer: ArrayBuffer | undefined;
    for (let done = 0; done < range.length; done += chunk) {
      const n = Math.min(chunk, range.length - done);
      if (buffer === undefined || buffer.byteLength < n) buffer = new ArrayBuffer(n);
      await readByteRange({ path: range.path, offset: range.offset + done, length: n }, new Uint8Array(buffer, 0, n), options.signal);
      acc.add(typedView(ref.dataType, buffer, 0, n));
    }
  } else {
    const data = await readTensorData(ref, { signal: options.signal, maxBytes: options.maxBytes ?? DEFAULT_MAX_TENSOR_BYTES });
    acc.add(data.values);
  }
  return { ...base, supported: true, ...acc.result() };
}

class Accumulator {
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private min = Infinity;
  private max = -Infinity;
  private nan = 0;
  private inf = 0;
  private zero = 0;
  private readonly first: (number | string | boolean)[] = [];
  private readonly read: (values: TensorValues, i: number) => number;

  constructor(
    private readonly dataType: number,
    private readonly maxValues: number,
  ) {
    this.read =
      dataType === DataType.FLOAT16
        ? (v, i) => decodeFloat16((v as Uint16Array)[i])
        : dataType === DataType.BFLOAT16
          ? (v, i) => decodeBfloat16((v as Uint16Array)[i])
          : dataType === DataType.INT64 || dataType === DataType.UINT64
            ? (v, i) => Number((v as BigInt64Array)[i])
            : (v, i) => (v as Float64Array)[i];
  }

  add(values: TensorValues): void {
    const length = values.length;
    const read = this.read;
    for (let i = 0; i < length; i++) {
      const x = read(values, i);
      if (this.first.length < this.maxValues) this.first.push(this.shown(values, i, x));
      if (x !== x) {
        this.nan++;
        continue;
      }
      if (x === Infinity || x === -Infinity) {
        this.inf++;
        continue;
      }
      if (x === 0) this.zero++;
      if (x < this.min) this.min = x;
      if (x > this.max) this.max = x;
      const delta = x - this.mean;
      this.n++;
      this.mean += delta / this.n;
      this.m2 += delta * (x - this.mean);
    }
  }

  private shown(values: TensorValues, i: number, x: number): number | string | boolean {
    if (this.dataType === DataType.BOOL) return x !== 0;
    if (this.dataType === DataType.INT64 || this.dataType === DataType.UINT64) {
      const big = (values as BigInt64Array)[i];
      return Number.isSafeInteger(x) ? x : big.toString();
    }
    return x;
  }

  result(): Omit<TensorStatistics, 'name' | 'dataType' | 'dtype' | 'dims' | 'count' | 'supported'> {
    const finite = this.n > 0;
    return {
      ...(finite ? { min: this.min, max: this.max, mean: this.mean, std: Math.sqrt(this.m2 / this.n) } : {}),
      nanCount: this.nan,
      infCount: this.inf,
      zeroCount: this.zero,
      first: this.first,
    };
  }
}
