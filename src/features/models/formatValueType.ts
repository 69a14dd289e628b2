import type { ValueSummary } from '../../core/onnx';

/** `float[N,3,224,224]` for tensors, `float` when the rank is unknown, the ONNX type text otherwise. */
export function formatValueType(v: Pick<ValueSummary, 'kind' | 'type' | 'elemTypeName' | 'shape'>): string {
  if ((v.kind === 'tensor' || v.kind === 'sparse_tensor') && v.elemTypeName) {
    const prefix = v.kind === 'sparse_tensor' ? 'sparse ' : '';
    if (!v.shape) return `${prefix}${v.elemTypeName}`;
    return `${prefix}${v.elemTypeName}[${v.shape.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
  }
  return v.type;
}
