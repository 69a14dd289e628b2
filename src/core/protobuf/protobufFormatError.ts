/**
 * What the generic protobuf reader throws for malformed bytes: truncated varints, lengths past the end
 * of a message, wire types that cannot be skipped. `offset` is the absolute byte offset of the problem.
 */
export class ProtobufFormatError extends Error {
  override readonly name: string = 'ProtobufFormatError';

  constructor(
    message: string,
    readonly offset: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
