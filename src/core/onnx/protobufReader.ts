/**
 * The ONNX reader's protobuf reader: the generic wire-format reader (src/core/protobuf/protobufReader.ts)
 * whose format errors are `OnnxFormatError`s, so everything reading a model throws the one ONNX error.
 */
import { ProtobufReader as GenericProtobufReader } from '../protobuf/protobufReader';
import { OnnxFormatError } from './onnxFormatError';

export { WireType, decodeUtf8, type Int64 } from '../protobuf/protobufReader';

export class ProtobufReader extends GenericProtobufReader {
  protected override formatError(message: string, offset: number): Error {
    return new OnnxFormatError(message, offset);
  }
}
