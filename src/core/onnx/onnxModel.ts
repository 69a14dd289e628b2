/**
 * The model as the lazy reader returns it: the whole ModelProto structure except tensor values, which are
 * left in the file and referenced by `TensorRef`s. Types only.
 */
import type { Int64 } from './protobufReader';
import type { SparseTensorRef, TensorRef } from './tensorRef';

export type { Int64 } from './protobufReader';

export interface OperatorSetId {
  /** As written: the empty string means the default `ai.onnx` domain. */
  domain: string;
  version: number;
}

export interface StringEntry {
  key: string;
  value: string;
}

/** A dimension: a size, a symbolic name (dim_param), or null when unknown. */
export type OnnxDim = number | string | null;

export type OnnxType =
  | { kind: 'tensor'; elemType: number; shape?: OnnxDim[]; denotation?: string }
  | { kind: 'sparse_tensor'; elemType: number; shape?: OnnxDim[]; denotation?: string }
  | { kind: 'sequence'; elemType?: OnnxType; denotation?: string }
  | { kind: 'map'; keyType: number; valueType?: OnnxType; denotation?: string }
  | { kind: 'optional'; elemType?: OnnxType; denotation?: string }
  | { kind: 'unknown'; denotation?: string };

export interface ValueInfo {
  name: string;
  type?: OnnxType;
  docString: string;
}

/** A length-delimited value left in the file because it is too large to be worth loading. */
export interface BlobRef {
  offset: number;
  length: number;
}

/** AttributeProto.AttributeType. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;

export interface OnnxAttribute {
  name: string;
  /** AttributeType as written (0 in old models that leave it out: see `attributeKind`). */
  type: number;
  refAttrName?: string;
  docString?: string;
  f?: number;
  i?: Int64;
  s?: string | BlobRef;
  t?: TensorRef;
  g?: OnnxGraph;
  sparseTensor?: SparseTensorRef;
  tp?: OnnxType;
  floats?: number[];
  ints?: Int64[];
  strings?: (string | BlobRef)[];
  tensors?: TensorRef[];
  graphs?: OnnxGraph[];
  sparseTensors?: SparseTensorRef[];
  typeProtos?: OnnxType[];
}

export interface OnnxNode {
  name: string;
  opType: string;
  /** As written: empty means `ai.onnx`. */
  domain: string;
  overload: string;
  inputs: string[];
  outputs: string[];
  attributes: OnnxAttribute[];
  docString: string;
}

export interface OnnxGraph {
  name: string;
  docString: string;
  nodes: OnnxNode[];
  initializers: TensorRef[];
  sparseInitializers: SparseTensorRef[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  valueInfo: ValueInfo[];
  /** The GraphProto message in the model file. */
  offset: number;
  length: number;
}

export interface OnnxFunction {
  name: string;
  domain: string;
  overload: string;
  inputs: string[];
  outputs: string[];
  /** Names of attributes without defaults. */
  attributes: string[];
  /** Attributes with default values. */
  attributeProtos: OnnxAttribute[];
  nodes: OnnxNode[];
  opsetImports: OperatorSetId[];
  valueInfo: ValueInfo[];
  docString: string;
}

export interface OnnxTrainingInfo {
  initialization?: OnnxGraph;
  algorithm?: OnnxGraph;
  initializationBinding: StringEntry[];
  updateBinding: StringEntry[];
}

export interface OnnxModel {
  /** Absolute path of the model file. */
  path: string;
  fileSize: number;
  irVersion: number;
  opsetImports: OperatorSetId[];
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  graph: OnnxGraph;
  metadataProps: StringEntry[];
  trainingInfo: OnnxTrainingInfo[];
  functions: OnnxFunction[];
}
