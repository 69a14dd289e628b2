/**
 * float32 weights to float16, one tensor at a time: the values are read when the writer reaches the tensor (raw
 * bytes in chunks, straight from the model or its external data file), converted with round-to-nearest-even, and
 * only the float16 result is held. So converting a gigabyte of weights holds one converted tensor plus a chunk.
 */
import { DataType } from '../onnx/dataTypes';
import { tensorFromArray, type NewTensor } from '../onnx/edit';
import { encodeFloat16 } from '../onnx/float16';
import { readByteRange, readTensorData } from '../onnx/readTensorData';
import { rawByteRange, checkedElementCount } from '../onnx/tensorBytes';
import { tensorByteSize, type TensorRef } from '../onnx/tensorRef';

/** Float32 values read per chunk (16 MiB). */
const CHUNK_FLOATS = 4 * 1024 * 1024;

/**
 * float32 bits (as a Uint32Array holds them) to float16 bits, rounding to nearest even; the same result as
 * encodeFloat16 of the float32's value (NaN is 0x7e00), by integer arithmetic on the bits.
 */
export function float32BitsToFloat16(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return mantissa === 0 ? sign | 0x7c00 : 0x7e00;
  const e = exponent - 112; // float16's biased exponent
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: zero
    const full = mantissa | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = full & ((1 << shift) - 1);
    let m = full >>> shift;
    if (rest > half || (rest === half && (m & 1) === 1)) m++; // may carry into the smallest normal: still right
    return sign | m;
  }
  const rest = mantissa & 0x1fff;
  let out = sign | (e << 10) | (mantissa >>> 13);
  if (rest > 0x1000 || (rest === 0x1000 && (out & 1) === 1)) out++; // a carry into the exponent (up to Inf) is right
  return out;
}

/** float32 values as float16 bits. */
export function toFloat16Bits(values: Float32Array, into = new Uint16Array(values.length), at = 0): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) into[at + i] = float32BitsToFloat16(bits[i]);
  return into;
}

/** Float16 bits of `ref`'s float32 values, read in chunks when they are raw. */
export async function readAsFloat16(ref: TensorRef, signal?: AbortSignal): Promise<Uint16Array> {
  if (ref.dataType !== DataType.FLOAT) throw new Error(`tensor '${ref.name}' is not float32`);
  const count = checkedElementCount(ref);
  const range = await rawByteRange(ref);
  if (range === undefined) return toFloat16Bits((await readTensorData(ref, { signal })).values as Float32Array);
  const out = new Uint16Array(count);
  const chunk = new Float32Array(Math.min(CHUNK_FLOATS, count));
  const bytes = new Uint8Array(chunk.buffer);
  for (let done = 0; done < count; done += chunk.length) {
    signal?.throwIfAborted();
    const n = Math.min(chunk.length, count - done);
    const part = bytes.subarray(0, n * 4);
    await readByteRange({ path: range.path, offset: range.offset + done * 4, length: n * 4 }, part, signal);
    toFloat16Bits(chunk.subarray(0, n), out, done);
  }
  return out;
}

/** A new float16 tensor `name` whose values are `ref`'s, converted when the writer reaches it. */
export function halfTensorOf(ref: TensorRef, name: string, signal?: AbortSignal): NewTensor {
  const count = checkedElementCount(ref);
  return {
    name,
    dataType: DataType.FLOAT16,
    dims: ref.dims,
    byteLength: count * 2,
    bytes: async () => {
      const half = await readAsFloat16(ref, signal);
      return new Uint8Array(half.buffer, half.byteOffset, half.byteLength);
    },
  };
}

/** A tensor copied as it is (a re-created node's tensor attribute), read when the writer reaches it. */
export function copiedTensorOf(ref: TensorRef, signal?: AbortSignal): NewTensor {
  if (ref.dataType === DataType.STRING) throw new Error(`tensor '${ref.name}' holds strings, which a re-created node cannot copy`);
  checkedElementCount(ref);
  const byteLength = tensorByteSize(ref);
  return {
    name: ref.name,
    dataType: ref.dataType,
    dims: ref.dims,
    byteLength,
    bytes: async () => {
      const { values } = await readTensorData(ref, { signal });
      const view = values as ArrayBufferView;
      return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    },
  };
}

/** A small float16 tensor from numbers (a Constant's value_float(s), ConstantOfShape's default value). */
export function halfTensorFromNumbers(name: string, dims: readonly number[], values: readonly number[]): NewTensor {
  return tensorFromArray(name, DataType.FLOAT16, dims, Uint16Array.from(values, encodeFloat16));
}
