/** Readers of weights files that are not ONNX (safetensors, PyTorch checkpoints): re-exports only. */
export type * from './weightsSummary';
export { summarizeWeightsFile, isWeightsFile, WEIGHTS_EXTENSIONS } from './summarizeWeightsFile';
export { readSafetensors } from './safetensors';
export { readTorchCheckpoint } from './torchCheckpoint';
export { WeightsFormatError, isWeightsFormatError } from './weightsFormatError';
export { loadPickle, type PyValue } from './pickle';
