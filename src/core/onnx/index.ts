/** The ONNX reader's public surface: re-exports only. */
export { OnnxFormatError, isOnnxFormatError } from './onnxFormatError';
export { ProtobufReader, WireType, type Int64 } from './protobufReader';
export { ALL_DATA_TYPES, DataType, byteSizeOf, dataTypeInfo, dataTypeName, type DataTypeInfo } from './dataTypes';
export { sniffModelFormat, SNIFF_BYTES, type ModelFormat, type SniffResult } from './sniffModelFormat';
export type * from './onnxModel';
export { AttributeType } from './onnxModel';
export { describeTensor, elementCount, tensorByteSize, type PayloadRun, type SparseTensorRef, type TensorRef } from './tensorRef';
export { readModel, readModelWithStats, readModelFromSource, type ReadModelOptions, type ReadModelResult } from './readModel';
export { DEFAULT_LIMITS, type WalkLimits } from './messageWalker';
export { bufferSource, fileSource, type ByteSource } from './byteSource';
export type * from './modelSummary';
export { summarizeModel, summarizeOnnxModel } from './summarizeModel';
export { describeShape, describeType, describeValueType } from './describeType';
export {
  readGraph,
  type ModelGraph,
  type GraphView,
  type NodeView,
  type AttributeView,
  type AttributeValue,
  type TensorView,
} from './readGraph';
export { readTensorData, type ReadTensorOptions, type TensorData, type TensorValues } from './readTensorData';
export { readTensorFile } from './readTensorFile';
export { tensorStatistics, type TensorStatistics, type TensorStatisticsOptions } from './tensorStatistics';
export { compareModels, formatDifference, type ModelComparison } from './compareModels';
export { compareWeights, type WeightChange, type WeightsComparison, type WeightsSummary } from './compareWeights';
export { compareModelFiles } from './compareModelFiles';
export { decodeBfloat16, decodeFloat16 } from './float16';
export { inferShapes, inferModelShapes, loadShapeConstants, type InferredTensor, type ShapeInferenceResult } from './shapes';
export { editModelFile, isModelEditError, ModelEditError, type EditResult, type ModelEdits } from './edit';
