/**
 * onnxruntime-node tensors: built from this layer's type table, or from values read from a TensorProto. The native
 * module loads on the first tensor made (loadOrt), never when this file is imported.
 */
import type * as ort from 'onnxruntime-node';
import { dataTypeName } from '../onnx/dataTypes';
import type { TensorData as TensorProtoData } from '../onnx/readTensorData';
import { loadOrt } from './loadOrt';
import { ortTypeOf, type OrtType, type TensorData } from './ortTypes';

export type OrtTensor = ort.Tensor;
export type OrtSession = ort.InferenceSession;
export type OrtRunOptions = ort.InferenceSession.RunOptions;
export type OrtValueMetadata = ort.InferenceSession.ValueMetadata;
export type OrtOutputs = ort.InferenceSession.ReturnType;

/** An ORT tensor over `data` (not copied). */
export function makeTensor(type: OrtType, data: TensorData, dims: readonly number[]): ort.Tensor {
  return new (loadOrt().Tensor)(type, data as ort.Tensor.DataType, dims);
}

/** Wraps values read from a TensorProto (readTensorData) as an ORT tensor, without copying typed arrays. */
export function tensorFromData(data: TensorProtoData): ort.Tensor {
  const type = ortTypeOf(data.dataType);
  if (type === undefined)
    throw new Error(`tensor '${data.name}': element type ${dataTypeName(data.dataType)} is not supported by onnxruntime-node`);
  return makeTensor(type, data.values as TensorData, data.dims);
}
