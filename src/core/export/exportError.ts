/** Why an export to ONNX did not happen, as one line for the user; `kind` says which way out to offer. */
export type ExportErrorKind =
  /** The interpreter does not exist. */
  | 'interpreter-not-found'
  /** The interpreter cannot import torch. */
  | 'torch-missing'
  /** The model class (`module:Class`, or the class a pickled module names) cannot be imported from the workspace. */
  | 'class-not-importable'
  | 'constructor-failed'
  /** torch.load / torch.jit.load failed, or the file holds something else than the kind says. */
  | 'load-failed'
  | 'state-dict-mismatch'
  /** The model does not run on the sample inputs (torch's message's last line). */
  | 'shape-mismatch'
  | 'export-failed'
  /** A parameter is malformed (a shape, a name, a dynamic axis, the opset). */
  | 'bad-parameter'
  /** The output file exists and overwriting was not asked for. */
  | 'exists';

export class ExportError extends Error {
  override readonly name = 'ExportError';
  constructor(
    readonly kind: ExportErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export const isExportError = (e: unknown): e is ExportError => e instanceof Error && e.name === 'ExportError';
