/**
 * The one error the ONNX reader throws for anything wrong with the bytes it is given: truncated data,
 * lengths past the end of a message, wire types that cannot be skipped, nesting too deep, resource limits,
 * unsafe external data paths. `offset` is the absolute byte offset in the model file where the problem was
 * found (for external data: the offset of the tensor that refers to it).
 */
export class OnnxFormatError extends Error {
  override readonly name = 'OnnxFormatError';

  constructor(
    message: string,
    readonly offset: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isOnnxFormatError(error: unknown): error is OnnxFormatError {
  return error instanceof OnnxFormatError;
}
