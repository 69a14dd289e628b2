/**
 * Where a tensor's fixed-width values are as one byte range (raw_data in the model file, or a range of an
 * external data file), checked against what dims and type need; and typed-array views over such bytes.
 */
import { stat } from 'node:fs/promises';
import { byteSizeOf, dataTypeInfo, DataType } from './dataTypes';
import { externalDataInfo, resolveExternalLocation } from './externalData';
import { OnnxFormatError } from './onnxFormatError';
import { elementCount, TensorField, type TensorRef } from './tensorRef';

export type TensorValues =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | string[];

export interface ByteRange {
  path: string;
  offset: number;
  length: number;
}

/** Element count from dims, or an OnnxFormatError naming the tensor. */
export function checkedElementCount(ref: TensorRef): number {
  const count = elementCount(ref.dims);
  if (Number.isNaN(count)) {
    throw new OnnxFormatError(`tensor '${ref.name}' has invalid dims [${ref.dims.join(',')}] at offset ${ref.offset}`, ref.offset);
  }
  if (dataTypeInfo(ref.dataType) === undefined || ref.dataType === DataType.UNDEFINED) {
    throw new OnnxFormatError(`tensor '${ref.name}' has unknown data type ${ref.dataType} at offset ${ref.offset}`, ref.offset);
  }
  return count;
}

/**
 * The byte range holding the values when they are raw (raw_data or external), checked to match dims and
 * type exactly; undefined when the values are in typed fields (float_data, int32_data, ...).
 */
export async function rawByteRange(ref: TensorRef): Promise<ByteRange | undefined> {
  const count = checkedElementCount(ref);
  const expected = byteSizeOf(ref.dataType, count);
  if (ref.dataLocation === 'external') {
    const info = externalDataInfo(ref);
    if (expected === undefined) {
      throw new OnnxFormatError(`tensor '${ref.name}': external data of type string is not supported (offset ${ref.offset})`, ref.offset);
    }
    const path = await resolveExternalLocation(ref.modelPath, info.location, ref.offset);
    const size = (await stat(path)).size;
    const length = info.length ?? expected;
    if (length !== expected) {
      throw new OnnxFormatError(
        `tensor '${ref.name}': external data length ${length} does not match the ${expected} bytes its dims and type need (offset ${ref.offset})`,
        ref.offset,
      );
    }
    if (info.offset + length > size) {
      throw new OnnxFormatError(
        `tensor '${ref.name}': external data range ${info.offset}+${length} exceeds '${info.location}' of ${size} bytes (offset ${ref.offset})`,
        ref.offset,
      );
    }
    return { path, offset: info.offset, length };
  }
  const raw = ref.payload.find((run) => run.field === TensorField.rawData);
  if (raw === undefined) return undefined;
  if (expected === undefined) {
    throw new OnnxFormatError(`tensor '${ref.name}' of type string cannot use raw_data (offset ${raw.offset})`, raw.offset);
  }
  if (raw.length !== expected) {
    throw new OnnxFormatError(
      `tensor '${ref.name}': raw_data holds ${raw.length} bytes but dims and type need ${expected} (offset ${raw.offset})`,
      raw.offset,
    );
  }
  return { path: ref.modelPath, offset: raw.offset, length: raw.length };
}

/** A little-endian typed view over raw value bytes (the buffer must be aligned: offset 0 of its own ArrayBuffer). */
export function typedView(
  dataType: number,
  buffer: ArrayBuffer,
  byteOffset = 0,
  byteLength = buffer.byteLength - byteOffset,
): Exclude<TensorValues, string[]> {
  const n = (width: number): number => Math.floor(byteLength / width);
  switch (dataType) {
    case DataType.FLOAT:
    case DataType.COMPLEX64:
      return new Float32Array(buffer, byteOffset, n(4));
    case DataType.DOUBLE:
    case DataType.COMPLEX128:
      return new Float64Array(buffer, byteOffset, n(8));
    case DataType.INT64:
      return new BigInt64Array(buffer, byteOffset, n(8));
    case DataType.UINT64:
      return new BigUint64Array(buffer, byteOffset, n(8));
    case DataType.INT32:
      return new Int32Array(buffer, byteOffset, n(4));
    case DataType.UINT32:
      return new Uint32Array(buffer, byteOffset, n(4));
    case DataType.INT16:
      return new Int16Array(buffer, byteOffset, n(2));
    case DataType.UINT16:
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
      return new Uint16Array(buffer, byteOffset, n(2));
    case DataType.INT8:
      return new Int8Array(buffer, byteOffset, byteLength);
    default:
      // UINT8, BOOL, the float8 types, and the packed 4-bit and 2-bit types: bytes as stored.
      return new Uint8Array(buffer, byteOffset, byteLength);
  }
}

/** Bytes per element of the typed array `typedView` returns (1 for packed sub-byte types). */
export function viewElementBytes(dataType: number): number {
  const bits = dataTypeInfo(dataType)?.bits ?? 8;
  if (dataType === DataType.COMPLEX64) return 4;
  if (dataType === DataType.COMPLEX128) return 8;
  return Math.max(1, bits / 8);
}

/** Number of typed-array elements that hold `count` values (2 per complex value; packed bytes for sub-byte types). */
export function storageLength(dataType: number, count: number): number {
  const info = dataTypeInfo(dataType);
  if (info === undefined) return count;
  if (dataType === DataType.COMPLEX64 || dataType === DataType.COMPLEX128) return count * 2;
  if (info.bits > 0 && info.bits < 8) return Math.ceil((count * info.bits) / 8);
  return count;
}
