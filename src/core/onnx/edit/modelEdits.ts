/** What `mlw edit` and the inspector's editor ask of a model. Every name is a name in the source model. */

export interface Rename {
  from: string;
  to: string;
}

/** One dimension of a graph input's (or output's) shape: a size, or a symbolic name (dim_param). */
export interface DimEdit {
  tensor: string;
  /** 0-based; negative counts from the last axis. */
  axis: number;
  value: number | string;
}

export interface ModelEdits {
  renameInputs?: Rename[];
  renameOutputs?: Rename[];
  renameNodes?: Rename[];
  setDims?: DimEdit[];
  /** Sets (or adds) metadata_props entries. */
  setMeta?: { key: string; value: string }[];
  removeMeta?: string[];
  /** Tensors of the graph made graph outputs (their type from value_info or shape inference). */
  addOutputs?: string[];
  removeOutputs?: string[];
  /**
   * Keeps only the subgraph between these tensors, as onnx.utils.extract_model does; a string is the CLI's
   * `IN1,IN2:OUT1,OUT2` (see parseExtractSpec).
   */
  extract?: { inputs: string[]; outputs: string[] } | string;
  /** The ai.onnx opset to stamp, when no node's meaning changes with it. */
  opset?: number;
  docString?: string;
  modelVersion?: number;
}

/** Why an edit cannot be made: one line naming the flag and the cause. Nothing is written. */
export class ModelEditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelEditError';
  }
}

export function isModelEditError(error: unknown): error is ModelEditError {
  return error instanceof Error && error.name === 'ModelEditError';
}
