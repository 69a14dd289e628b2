/**
 * Nodes and tensors a rewrite adds to a model (a recipe's quantised weights, its Casts and QuantizeLinear nodes),
 * and their encoding as pieces of the output file. A tensor's values are produced only when the writer reaches
 * them, one tensor at a time, so rewriting gigabytes of weights holds one tensor in memory, not all of them.
 */
import { ProtobufWriter, keySize, varintSize } from '../../protobuf/protobufWriter';
import type { Int64 } from '../protobufReader';
import { bytesPiece, lazyPiece, messagePiece, type Piece } from './splicePieces';

/** A tensor written as raw_data (little-endian), its bytes made by `bytes()` when the file is written. */
export interface NewTensor {
  name: string;
  /** TensorProto.DataType code. */
  dataType: number;
  dims: readonly number[];
  /** Exactly the length `bytes()` returns. */
  byteLength: number;
  bytes: () => Uint8Array | Promise<Uint8Array>;
}

export type NewAttribute =
  | { name: string; kind: 'float'; value: number }
  | { name: string; kind: 'int'; value: Int64 }
  | { name: string; kind: 'string'; value: string }
  | { name: string; kind: 'floats'; value: readonly number[] }
  | { name: string; kind: 'ints'; value: readonly Int64[] }
  | { name: string; kind: 'strings'; value: readonly string[] }
  | { name: string; kind: 'tensor'; value: NewTensor };

export interface NewNode {
  opType: string;
  /** Empty or absent: ai.onnx. */
  domain?: string;
  name?: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: readonly NewAttribute[];
}

/** AttributeProto.AttributeType codes of the kinds above. */
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7, strings: 8 } as const;

/** A tensor's bytes from a typed array, as raw_data wants them (this machine is little-endian, as Node's targets are). */
export function tensorFromArray(name: string, dataType: number, dims: readonly number[], values: ArrayBufferView): NewTensor {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return { name, dataType, dims, byteLength: bytes.length, bytes: () => bytes };
}

/** The content of a TensorProto: dims, data_type, name, then raw_data last so it can stream. */
export function tensorContent(t: NewTensor): Piece[] {
  const head = new ProtobufWriter();
  for (const d of t.dims) head.varint(1, d);
  head.varint(2, t.dataType);
  head.string(8, t.name);
  const rawKey = new ProtobufWriter().key(9, 2).rawVarint(t.byteLength).finish();
  const produce = async (): Promise<Uint8Array> => {
    const bytes = await t.bytes();
    if (bytes.length !== t.byteLength) throw new Error(`tensor ${t.name}: ${bytes.length} bytes produced, ${t.byteLength} expected`);
    return bytes;
  };
  return [bytesPiece(head.finish()), bytesPiece(rawKey), lazyPiece(t.byteLength, produce)];
}

/** A TensorProto as field `field` of its parent (5: GraphProto.initializer). */
export function tensorPiece(field: number, t: NewTensor): Piece {
  return messagePiece(field, tensorContent(t));
}

function attributePiece(a: NewAttribute): Piece {
  const w = new ProtobufWriter();
  w.string(1, a.name);
  w.varint(20, ATTRIBUTE_TYPE[a.kind]);
  switch (a.kind) {
    case 'float':
      w.key(2, 5).raw(float32Bytes([a.value]));
      break;
    case 'int':
      w.varint(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'floats':
      if (a.value.length > 0) w.bytes(7, float32Bytes(a.value));
      break;
    case 'ints': {
      const packed = new ProtobufWriter();
      for (const v of a.value) packed.rawVarint(v);
      if (a.value.length > 0) w.bytes(8, packed.finish());
      break;
    }
    case 'strings':
      for (const s of a.value) w.string(9, s);
      break;
    case 'tensor':
      return messagePiece(5, [bytesPiece(w.finish()), messagePiece(5, tensorContent(a.value))]);
  }
  return messagePiece(5, [bytesPiece(w.finish())]);
}

function float32Bytes(values: readonly number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** A NodeProto as GraphProto.node (field 1). */
export function nodePiece(n: NewNode): Piece {
  const w = new ProtobufWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name !== undefined && n.name !== '') w.string(3, n.name);
  w.string(4, n.opType);
  if (n.domain !== undefined && n.domain !== '') w.string(7, n.domain);
  return messagePiece(1, [bytesPiece(w.finish()), ...(n.attributes ?? []).map(attributePiece)]);
}

/** Bytes a length-delimited field of `size` content bytes takes. */
export function fieldSize(field: number, size: number): number {
  return keySize(field) + varintSize(size) + size;
}
