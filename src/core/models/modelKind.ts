/** Model file kinds the Models view lists; ONNX, PyTorch and safetensors files are inspected, pickles are listed by name and size. */
export type ModelKind = 'onnx' | 'pytorch' | 'safetensors' | 'pickle';

const BY_EXTENSION: Record<string, ModelKind> = {
  '.onnx': 'onnx',
  '.pt': 'pytorch',
  '.pth': 'pytorch',
  '.safetensors': 'safetensors',
  '.pkl': 'pickle',
  '.joblib': 'pickle',
};

export function modelKindOf(file: string): ModelKind | undefined {
  const dot = file.lastIndexOf('.');
  return dot < 0 ? undefined : BY_EXTENSION[file.slice(dot).toLowerCase()];
}
