/**
 * Types of shape inference: what it says about each tensor, what it needs as input, what it returns.
 * Plain JSON-able data.
 */

/** A dimension: a size, a symbolic name (dim_param, e.g. `batch`), or null when unknown. */
export type Dim = number | string | null;

/** One entry per dimension, or null when even the rank is unknown. */
export type Shape = Dim[] | null;

export interface TensorType {
  /** TensorProto.DataType code (see dataTypes.ts), or null when unknown. */
  elemType: number | null;
  shape: Shape;
}

export interface InferredTensor extends TensorType {
  name: string;
  /** `file`: the model states it (graph inputs, initializers, value_info, typed outputs); `inferred`: worked out here. */
  source: 'file' | 'inferred';
  /** The tensor's values when inference knows them (a Shape's output and what is computed from it); with `keepValues`. */
  value?: number[];
}

/** A node whose rule found its inputs inconsistent (e.g. shapes that do not broadcast); its outputs stay unknown. */
export interface ShapeWarning {
  node: string;
  opType: string;
  message: string;
}

/** The tensors of a subgraph (the body of If, Loop, Scan), inferred in the scope of the node holding it. */
export interface SubgraphShapes {
  /** The node's name, or `opType#index` when it has none. */
  node: string;
  attribute: string;
  result: ShapeInferenceResult;
}

export interface ShapeInferenceResult {
  /** Every tensor of the graph: inputs, initializers (that are not inputs), then node outputs in node order. */
  tensors: InferredTensor[];
  warnings: ShapeWarning[];
  subgraphs: SubgraphShapes[];
}

/** A small constant tensor's values as numbers (int64 beyond 2^53 loses precision: fine for shapes and indices). */
export interface ConstantTensor {
  dataType: number;
  dims: number[];
  values: number[];
}

export interface InferShapesOptions {
  /** The model's opset imports (domain '' or 'ai.onnx' gives the default opset). */
  opsetImports?: readonly { domain: string; version: number }[];
  /** Values of small constant tensors (initializers and Constant outputs) by tensor name: see loadShapeConstants. */
  constants?: ReadonlyMap<string, ConstantTensor>;
  /** Report the values inference knows of small integer tensors (InferredTensor.value): what simplify folds. */
  keepValues?: boolean;
}
