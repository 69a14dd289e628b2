/**
 * Reads the values of a model's small numeric constants (initializers and Constant node tensors, subgraphs
 * included): the shapes, axes, indices and scales shape inference needs. Large tensors (weights) are never read.
 */
import { open, type FileHandle } from 'node:fs/promises';
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

export async function loadShapeConstants(model: OnnxModel, signal?: AbortSignal): Promise<Map<string, ConstantTensor>> {
  const refs = shapeConstantRefs(model.graph);
  const out = new Map<string, ConstantTensor>();
  let handle: FileHandle | undefined;
  try {
    for (const [name, ref] of refs) {
      signal?.throwIfAborted();
      try {
        const raw = ref.dataLocation === 'default' ? ref.payload.find((r) => r.field === TensorField.rawData) : undefined;
        let values: ArrayLike<number | bigint>;
        if (raw !== undefined) {
          handle ??= await open(model.path, 'r');
          const buffer = new ArrayBuffer(raw.length);
          await handle.read(new Uint8Array(buffer), 0, raw.length, raw.offset);
          values = typedView(ref.dataType, buffer);
        } else {
          values = (await readTensorData(ref, { signal, maxBytes: 1024 * 1024 })).values as ArrayLike<number | bigint>;
        }
        const numbers = Array.from(values, Number);
        if (numbers.length === Math.max(elementCount(ref.dims), 0))
          out.set(name, { dataType: ref.dataType, dims: ref.dims, values: numbers });
      } catch {
        // An unreadable constant only means less is known.
      }
    }
  } finally {
    await handle?.close();
  }
  return out;
}
