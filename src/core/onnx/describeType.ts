/** Text for ONNX types and shapes, in ONNX's own notation: `tensor(float)`, `seq(tensor(int64))`, `map(string,tensor(float))`. */
import { dataTypeName } from './dataTypes';
import type { OnnxDim, OnnxType } from './onnxModel';

export function describeType(type: OnnxType | undefined): string {
  if (type === undefined) return 'unknown';
  switch (type.kind) {
    case 'tensor':
      return `tensor(${dataTypeName(type.elemType)})`;
    case 'sparse_tensor':
      return `sparse_tensor(${dataTypeName(type.elemType)})`;
    case 'sequence':
      return `seq(${type.elemType ? describeType(type.elemType) : '?'})`;
    case 'map':
      return `map(${dataTypeName(type.keyType)},${type.valueType ? describeType(type.valueType) : '?'})`;
    case 'optional':
      return `optional(${type.elemType ? describeType(type.elemType) : '?'})`;
    case 'unknown':
      return 'unknown';
  }
}

/** `[1,3,"N",?]`-style text; `unknown rank` when there is no shape. */
export function describeShape(shape: readonly OnnxDim[] | undefined | null): string {
  if (shape === undefined || shape === null) return 'unknown rank';
  return `[${shape.map((d) => (d === null ? '?' : typeof d === 'string' ? d : String(d))).join(',')}]`;
}

/** The type with its shape when it has one: `tensor(float)[1,3,N,?]`. */
export function describeValueType(type: OnnxType | undefined): string {
  const base = describeType(type);
  if (type !== undefined && (type.kind === 'tensor' || type.kind === 'sparse_tensor') && type.shape !== undefined) {
    return base + describeShape(type.shape);
  }
  return base;
}
