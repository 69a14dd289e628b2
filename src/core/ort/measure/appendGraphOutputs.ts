/**
 * Writes a copy of a model file with extra graph outputs, without decoding or re-encoding anything else: the
 * bytes before the ModelProto's `graph` field, a new field header (tag 7 and the grown length), the GraphProto's
 * bytes as they are, the appended `output` entries (GraphProto field 12, a repeated field, so appending is the
 * same as listing them last), then the rest of the file. The file is copied in 8 MiB chunks, never held whole.
 *
 * Each appended output is a ValueInfoProto with a name and a tensor type: the element type and, when the rank is
 * known, the shape (ONNX's checker wants graph outputs shaped; onnxruntime only warns, below the level sessions log
 * at, when a run's shape differs, and returns what the run produced).
 * Field numbers from onnx.proto: ModelProto graph 7; GraphProto output 12; ValueInfoProto name 1, type 2;
 * TypeProto tensor_type 1; TypeProto.Tensor elem_type 1, shape 2; TensorShapeProto dim 1; Dimension dim_value 1,
 * dim_param 2.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { OnnxModel } from '../../onnx/onnxModel';

export interface AddedOutput {
  name: string;
  /** TensorProto.DataType code. */
  elemType: number;
  /** Dims (a size, a symbolic name, or null for unknown); absent when the rank is unknown. */
  shape?: readonly (number | string | null)[];
}

const CHUNK = 8 * 1024 * 1024;
const MODEL_GRAPH_TAG = (7 << 3) | 2;
const GRAPH_OUTPUT_FIELD = 12;

function varint(value: number): number[] {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot encode ${value} as a varint`);
  const out: number[] = [];
  let v = value;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) byte |= 0x80;
    out.push(byte);
  } while (v > 0);
  return out;
}

function lengthDelimited(field: number, body: readonly number[] | Uint8Array): number[] {
  return [...varint((field << 3) | 2), ...varint(body.length), ...body];
}

/** The bytes of `output` entries for the given tensors, ready to be appended to a GraphProto's body. */
export function encodeGraphOutputs(outputs: readonly AddedOutput[]): Uint8Array {
  const encoder = new TextEncoder();
  const parts: number[][] = [];
  for (const o of outputs) {
    const tensorType = [...varint(1 << 3), ...varint(o.elemType)];
    if (o.shape) {
      const dims = o.shape.flatMap((d) =>
        lengthDelimited(
          1,
          typeof d === 'number' && d >= 0
            ? [...varint(1 << 3), ...varint(d)]
            : typeof d === 'string' && d
              ? lengthDelimited(2, encoder.encode(d))
              : [],
        ),
      );
      tensorType.push(...lengthDelimited(2, dims));
    }
    const typeProto = lengthDelimited(1, tensorType);
    const valueInfo = [...lengthDelimited(1, encoder.encode(o.name)), ...lengthDelimited(2, typeProto)];
    parts.push(lengthDelimited(GRAPH_OUTPUT_FIELD, valueInfo));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function copyRange(from: FileHandle, to: FileHandle, start: number, end: number, signal?: AbortSignal): Promise<void> {
  const buf = new Uint8Array(Math.min(CHUNK, Math.max(1, end - start)));
  for (let pos = start; pos < end;) {
    signal?.throwIfAborted();
    const { bytesRead } = await from.read(buf, 0, Math.min(buf.length, end - pos), pos);
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${pos}`);
    await to.write(buf, 0, bytesRead);
    pos += bytesRead;
  }
}

/**
 * Writes `model`'s file to `target` with `outputs` appended to its main graph's outputs. Throws when the file's
 * graph field is not where the reader found it (a graph split over several fields, a non-minimal length).
 */
export async function appendGraphOutputs(
  model: Pick<OnnxModel, 'path' | 'fileSize' | 'graph'>,
  outputs: readonly AddedOutput[],
  target: string,
  signal?: AbortSignal,
): Promise<void> {
  const { offset, length } = model.graph;
  const header = [MODEL_GRAPH_TAG, ...varint(length)];
  const headerStart = offset - header.length;
  const source = await open(model.path, 'r');
  try {
    const found = new Uint8Array(header.length);
    if (headerStart >= 0) await source.read(found, 0, found.length, headerStart);
    if (headerStart < 0 || found.some((b, i) => b !== header[i])) {
      throw new Error(`${model.path}: the graph is not stored as one field; cannot add outputs to it`);
    }
    const added = encodeGraphOutputs(outputs);
    const newHeader = Uint8Array.from([MODEL_GRAPH_TAG, ...varint(length + added.length)]);
    const out = await open(target, 'w');
    try {
      await copyRange(source, out, 0, headerStart, signal);
      await out.write(newHeader);
      await copyRange(source, out, offset, offset + length, signal);
      await out.write(added);
      await copyRange(source, out, offset + length, model.fileSize, signal);
    } finally {
      await out.close();
    }
  } finally {
    await source.close();
  }
}
