/**
 * The one table of ONNX Runtime tensor element types: ONNX element type codes -> ORT type names, and the typed
 * array each type is held in. Pure (no native module), so the server's codecs and the pure reader can use it.
 *
 * float16: onnxruntime-node on Node 20 has no Float16Array, so a 'float16' tensor holds the raw IEEE 754 half
 * bits in a Uint16Array (src/core/onnx/float16.ts converts them).
 */
import { DataType } from '../onnx/dataTypes';

/** The element types this layer exchanges with onnxruntime-node (int4/uint4 and bfloat16 are not exposed by ORT node). */
export type OrtType =
  'bool' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'int8' | 'int16' | 'int32' | 'int64' | 'float16' | 'float32' | 'float64' | 'string';

/** Element storage of a tensor: typed arrays for numbers (float16 as bits, bool as 0/1 bytes), string[] for strings. */
export type TensorData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array
  | string[];

const BY_CODE: Partial<Record<number, OrtType>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.UINT8]: 'uint8',
  [DataType.INT8]: 'int8',
  [DataType.UINT16]: 'uint16',
  [DataType.INT16]: 'int16',
  [DataType.INT32]: 'int32',
  [DataType.INT64]: 'int64',
  [DataType.STRING]: 'string',
  [DataType.BOOL]: 'bool',
  [DataType.FLOAT16]: 'float16',
  [DataType.DOUBLE]: 'float64',
  [DataType.UINT32]: 'uint32',
  [DataType.UINT64]: 'uint64',
};

/** The ORT tensor type for an ONNX element type code, or undefined when onnxruntime-node cannot hold it. */
export function ortTypeOf(code: number): OrtType | undefined {
  return BY_CODE[code];
}

/** A zeroed array of `count` elements for an ORT tensor type (string: an array of ''). */
export function allocate(type: OrtType, count: number): TensorData {
  switch (type) {
    case 'float32':
      return new Float32Array(count);
    case 'float64':
      return new Float64Array(count);
    case 'int8':
      return new Int8Array(count);
    case 'uint8':
    case 'bool':
      return new Uint8Array(count);
    case 'int16':
      return new Int16Array(count);
    case 'uint16':
    case 'float16':
      return new Uint16Array(count);
    case 'int32':
      return new Int32Array(count);
    case 'uint32':
      return new Uint32Array(count);
    case 'int64':
      return new BigInt64Array(count);
    case 'uint64':
      return new BigUint64Array(count);
    case 'string':
      return new Array<string>(count).fill('');
  }
}

/** The ONNX element type code of an ORT tensor type. */
export function codeOfOrtType(type: OrtType): number {
  for (const [code, t] of Object.entries(BY_CODE)) if (t === type) return Number(code);
  throw new Error(`no ONNX element type for ORT type ${type}`);
}
