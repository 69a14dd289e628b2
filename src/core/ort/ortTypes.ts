/** ONNX element types <-> onnxruntime-node tensor types, and TensorData (from readTensorData) -> ort.Tensor. */
import * as ort from 'onnxruntime-node';
import { DataType, dataTypeName } from '../onnx/dataTypes';
import type { TensorData } from '../onnx/readTensorData';

export type OrtType = ort.Tensor.Type;

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

/** A typed array of `count` elements for an ORT tensor type (string: an array of ''). */
export function allocate(type: OrtType, count: number): ort.Tensor.DataType {
  switch (type) {
    case 'float32':
      return new Float32Array(count);
    case 'float64':
      return new Float64Array(count);
    case 'int8':
    case 'int4':
      return new Int8Array(count);
    case 'uint8':
    case 'bool':
    case 'uint4':
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

/** Wraps values read from a TensorProto (readTensorData) as an ORT tensor, without copying typed arrays. */
export function tensorFromData(data: TensorData): ort.Tensor {
  const type = ortTypeOf(data.dataType);
  if (type === undefined) throw new Error(`tensor '${data.name}': element type ${dataTypeName(data.dataType)} is not supported by onnxruntime-node`);
  return new ort.Tensor(type, data.values as ort.Tensor.DataType, data.dims);
}
