/**
 * Reads the values of a model's small numeric constants (initializers and Constant node tensors, subgraphs
 * included): the shapes, axes, indices and scales shape inference needs. Large tensors (weights) are never read.
 */
import { open } from 'node:fs/promises';
import { DataType } from '../dataTypes';
import type { OnnxGraph, OnnxModel } from '../onnxModel';
import { readTensorData } from '../readTensorData';
import { typedView } from '../tensorBytes';
import { elementCount, TensorField, type TensorRef } from '../tensorRef';
import type { ConstantTensor } from './shapeTypes';

/** Tensors with more elements than this are not read. */
export const MAX_CONSTANT_ELEMENTS = 64;

const NUMERIC: ReadonlySet<number> = new Set([
  DataType.FLOAT, DataType.DOUBLE, DataType.INT64, DataType.INT32, DataType.INT16, DataType.INT8,
  DataType.UINT8, DataType.UINT16, DataType.UINT32, DataType.UINT64, DataType.BOOL,
]); // prettier-ignore

/** The small numeric tensors of a graph and its subgraphs, keyed by the name they have in the graph. */
export function shapeConstantRefs(graph: OnnxGraph, into = new Map<string, TensorRef>()): Map<string, TensorRef> {
  const small = (t: TensorRef): boolean => NUMERIC.has(t.dataType) && elementCount(t.dims) <= MAX_CONSTANT_ELEMENTS;
  for (const t of graph.initializers) if (small(t)) into.set(t.name, t);
  for (const node of graph.nodes) {
    for (const a of node.attributes) {
      if (a.g) shapeConstantRefs(a.g, into);
      for (const g of a.graphs ?? []) shapeConstantRefs(g, into);
      if (node.opType === 'Constant' && a.name === 'value' && a.t && small(a.t) && node.outputs[0]) into.set(node.outputs[0], a.t);
    }
  }
  return into;
}

/** Raw values closer than this in the file are read in one go. */
const MERGE_GAP = 4096;

export async function loadShapeConstants(model: OnnxModel, signal?: AbortSignal): Promise<Map<string, ConstantTensor>> {
  const out = new Map<string, ConstantTensor>();
  const raw: { name: string; ref: TensorRef; offset: number; length: number }[] = [];
  const keep = (name: string, ref: TensorRef, values: ArrayLike<number | bigint>): void => {
    const numbers = Array.from(values, Number);
    if (numbers.length === Math.max(elementCount(ref.dims), 0)) out.set(name, { dataType: ref.dataType, dims: ref.dims, values: numbers });
  };
  for (const [name, ref] of shapeConstantRefs(model.graph)) {
    const run = ref.dataLocation === 'default' ? ref.payload.find((r) => r.field === TensorField.rawData) : undefined;
    if (run !== undefined) {
      raw.push({ name, ref, offset: run.offset, length: run.length });
      continue;
    }
    try {
      signal?.throwIfAborted();
      keep(name, ref, (await readTensorData(ref, { signal, maxBytes: 1024 * 1024 })).values as ArrayLike<number | bigint>);
    } catch (e) {
      if (signal?.aborted) throw e;
      // An unreadable constant only means less is known.
    }
  }
  if (raw.length === 0) return out;
  raw.sort((a, b) => a.offset - b.offset);
  const handle = await open(model.path, 'r');
  try {
    for (let i = 0; i < raw.length;) {
      signal?.throwIfAborted();
      // One read for a run of constants that sit close together (they are small, and often adjacent).
      let j = i + 1;
      let end = raw[i].offset + raw[i].length;
      while (j < raw.length && raw[j].offset - end <= MERGE_GAP) end = Math.max(end, raw[j].offset + raw[j++].length);
      const start = raw[i].offset;
      const bytes = new Uint8Array(end - start);
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, start);
      for (; i < j; i++) {
        const c = raw[i];
        if (c.offset + c.length - start > bytesRead) continue;
        const buffer = new ArrayBuffer(c.length);
        new Uint8Array(buffer).set(bytes.subarray(c.offset - start, c.offset - start + c.length));
        keep(c.name, c.ref, typedView(c.ref.dataType, buffer));
      }
    }
  } finally {
    await handle.close();
  }
  return out;
}
