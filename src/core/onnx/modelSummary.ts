/** ModelSummary: what a model is, in one small JSON-able object (for the inspector, `mlw inspect`, the server). */
import type { OnnxDim, OnnxType, StringEntry } from './onnxModel';

export interface ValueSummary {
  name: string;
  /** ONNX type text: `tensor(float)`, `seq(tensor(int64))`, `map(string,tensor(float))`, `optional(...)`. */
  type: string;
  kind: OnnxType['kind'];
  /** Tensor and sparse tensor element type code, and its name (`float`, `int64`, `float8e4m3fn`, ...). */
  elemType?: number;
  elemTypeName?: string;
  /** Tensor shape: sizes, symbolic names (dim_param), null for unknown dims; undefined when the rank is unknown. */
  shape?: OnnxDim[];
  docString?: string;
}

export interface DtypeParameters {
  dataType: number;
  dtype: string;
  tensors: number;
  elements: number;
  bytes: number;
}

export interface OperatorCount {
  /** `ai.onnx` for the default (empty) domain. */
  domain: string;
  opType: string;
  count: number;
}

export interface FunctionSummary {
  name: string;
  domain: string;
  overload?: string;
  /** Nodes in the body, subgraphs included. */
  nodeCount: number;
  inputs: string[];
  outputs: string[];
}

export interface SparseInitializerSummary {
  name: string;
  dtype: string;
  dims: number[];
  /** Stored values (non-zeros). */
  nnz: number;
}

export interface ExternalFileSummary {
  location: string;
  /** Size from stat; undefined when the file is missing or the location is rejected (see `error`). */
  size?: number;
  tensors: number;
  /** Bytes of tensor data referenced in it. */
  bytes: number;
  error?: string;
}

export interface ModelSummary {
  path: string;
  fileSize: number;
  /** Bytes the reader read to build the summary (tensor data is skipped). */
  bytesRead: number;
  irVersion: number;
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  graphName: string;
  /** Domains normalized: `ai.onnx` for the empty domain. */
  opsetImports: { domain: string; version: number }[];
  metadataProps: StringEntry[];
  /** Graph inputs that are not initializers (old IR versions list every initializer as an input too). */
  inputs: ValueSummary[];
  outputs: ValueSummary[];
  /** Initializers of the main graph. */
  initializerCount: number;
  sparseInitializerCount: number;
  sparseInitializers: SparseInitializerSummary[];
  /**
   * Elements of all weights: initializers and sparse initializer values of every graph and subgraph, and
   * tensors held in node attributes (Constant values and the like), in subgraphs and function bodies too.
   */
  parameterCount: number;
  parameterBytes: number;
  /** Per element type, largest bytes first. */
  parametersByDtype: DtypeParameters[];
  /** Tensors in node attributes (Constant nodes and the like) counted in the parameters. */
  attributeTensorCount: number;
  /** Per domain and op type, over the main graph and all subgraphs; most used first within a domain. */
  operators: OperatorCount[];
  /** Nodes of the main graph and all subgraphs (not function bodies). */
  nodeCount: number;
  /** Subgraphs held by node attributes (If branches, Loop/Scan bodies), at any depth. */
  subgraphCount: number;
  functions: FunctionSummary[];
  externalData: ExternalFileSummary[];
  /** TrainingInfoProto entries; their graphs are not counted in nodes, operators or parameters. */
  trainingInfoCount: number;
  /** Things that are odd but did not stop the summary (invalid dims, unsafe external locations, ...). */
  warnings: string[];
}
