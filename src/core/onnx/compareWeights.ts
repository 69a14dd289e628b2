/**
 * Differences between the weights of two models: initializers (of every graph and subgraph) and tensors held
 * in node attributes (Constant values and the like), matched by name. Values are streamed from both files in
 * chunks (raw_data or external data), a chunk whose bytes are equal is skipped with one memcmp, and only
 * chunks that differ are decoded, so two models with GBs of external weights are compared in little memory.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { fileSource, readExactly, type ByteSource } from './byteSource';
import { dataTypeInfo, dataTypeName, DataType } from './dataTypes';
import { decodeBfloat16, decodeFloat16 } from './float16';
import type { OnnxAttribute, OnnxGraph, OnnxModel } from './onnxModel';
import { readTensorData } from './readTensorData';
import { checkedElementCount, rawByteRange, typedView, type ByteRange, type TensorValues } from './tensorBytes';
import type { TensorRef } from './tensorRef';

export interface WeightChange {
  /** The initializer's name; a Constant's output name; `output:attribute` for other node attributes. */
  name: string;
  change: 'changed' | 'added' | 'removed';
  /** B's element type and dims (A's for a removed tensor). */
  dtype: string;
  shape: number[];
  /** A's element type and dims, when they differ from B's. */
  before?: { dtype: string; shape: number[] };
  /**
   * Largest |a - b| over the elements, and largest |a - b| / max(|a|, |b|) (0 where both are 0). Null when the
   * values are not compared element by element: added, removed, retyped or reshaped tensors, strings, and the
   * float8 / 4-bit / 2-bit types (whose bytes are compared only).
   */
  maxAbsDiff: number | null;
  maxRelDiff: number | null;
  /** Elements whose values differ (NaN equals NaN); null when not compared element by element. */
  changedElements: number | null;
  /** Elements of B's tensor (A's for a removed one). */
  elements: number;
  /** Why there is no numeric difference, or what else is worth knowing (NaN on one side only). */
  note?: string;
}

export interface WeightsSummary {
  /** Tensors in A and in B. */
  tensorsA: number;
  tensorsB: number;
  /** Tensors with the same name in both that were compared, and how many of them are the same. */
  compared: number;
  unchanged: number;
  changed: number;
  added: number;
  removed: number;
  /** Value bytes read from both models' files. */
  bytesRead: number;
  /** Tensors whose values could not be read (a missing external file, a corrupt tensor): not compared. */
  errors: { name: string; message: string }[];
}

export interface WeightsComparison {
  /** Changed tensors first, largest max abs difference first; then added, then removed; by name within each. */
  weights: WeightChange[];
  summary: WeightsSummary;
}

export interface CompareWeightsOptions {
  signal?: AbortSignal;
  /** Bytes read from each side at a time. Default 8 MiB. */
  chunkBytes?: number;
}

const DEFAULT_CHUNK = 8 * 1024 * 1024;

/** Every weight of a model by name: initializers and node-attribute tensors of every graph and subgraph, in file order. */
export function namedWeights(model: OnnxModel): Map<string, TensorRef> {
  const out = new Map<string, TensorRef>();
  const put = (name: string, ref: TensorRef): void => {
    let key = name;
    // A name used again (in another subgraph) gets a suffix; both models are walked in the same order.
    for (let n = 2; out.has(key); n++) key = `${name}#${n}`;
    out.set(key, ref);
  };
  const graph = (g: OnnxGraph): void => {
    for (const t of g.initializers) put(t.name, t);
    for (const node of g.nodes) {
      const owner = node.outputs[0] || node.name;
      for (const attr of node.attributes) {
        if (attr.t) put(node.opType === 'Constant' && attr.name === 'value' ? owner : `${owner}:${attr.name}`, attr.t);
        (attr.tensors ?? []).forEach((t, i) => put(`${owner}:${attr.name}[${i}]`, t));
        for (const sub of subgraphs(attr)) graph(sub);
      }
    }
  };
  graph(model.graph);
  return out;
}

const subgraphs = (attr: OnnxAttribute): OnnxGraph[] => [...(attr.g ? [attr.g] : []), ...(attr.graphs ?? [])];

export async function compareWeights(a: OnnxModel, b: OnnxModel, options: CompareWeightsOptions = {}): Promise<WeightsComparison> {
  const wa = namedWeights(a);
  const wb = namedWeights(b);
  const files = new FileCache();
  const chunk = Math.max(16, (options.chunkBytes ?? DEFAULT_CHUNK) - ((options.chunkBytes ?? DEFAULT_CHUNK) % 16));
  const buffers = { a: new ArrayBuffer(0), b: new ArrayBuffer(0), chunk };
  const summary: WeightsSummary = {
    tensorsA: wa.size,
    tensorsB: wb.size,
    compared: 0,
    unchanged: 0,
    changed: 0,
    added: 0,
    removed: 0,
    bytesRead: 0,
    errors: [],
  };
  const changes: WeightChange[] = [];
  try {
    for (const [name, ra] of wa) {
      options.signal?.throwIfAborted();
      const rb = wb.get(name);
      if (rb === undefined) {
        changes.push(outline(name, 'removed', ra));
        continue;
      }
      summary.compared++;
      try {
        const change = await compareTensor(name, ra, rb, files, buffers, summary, options.signal);
        if (change === undefined) summary.unchanged++;
        else changes.push(change);
      } catch (error) {
        if ((error as Error).name === 'AbortError') throw error;
        summary.errors.push({ name, message: (error as Error).message });
      }
    }
    for (const [name, rb] of wb) if (!wa.has(name)) changes.push(outline(name, 'added', rb));
  } finally {
    await files.close();
  }
  summary.changed = changes.filter((c) => c.change === 'changed').length;
  summary.added = changes.filter((c) => c.change === 'added').length;
  summary.removed = changes.filter((c) => c.change === 'removed').length;
  const rank = { changed: 0, added: 1, removed: 2 } as const;
  changes.sort(
    (x, y) =>
      rank[x.change] - rank[y.change] || (y.maxAbsDiff ?? -1) - (x.maxAbsDiff ?? -1) || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0),
  );
  return { weights: changes, summary };
}

function outline(name: string, change: 'added' | 'removed', ref: TensorRef): WeightChange {
  return {
    name,
    change,
    dtype: dataTypeName(ref.dataType),
    shape: ref.dims,
    maxAbsDiff: null,
    maxRelDiff: null,
    changedElements: null,
    elements: safeCount(ref),
  };
}

function safeCount(ref: TensorRef): number {
  try {
    return checkedElementCount(ref);
  } catch {
    return Number.NaN;
  }
}

interface Buffers {
  a: ArrayBuffer;
  b: ArrayBuffer;
  chunk: number;
}

/** Undefined when the two tensors hold the same values; else what changed. */
async function compareTensor(
  name: string,
  ra: TensorRef,
  rb: TensorRef,
  files: FileCache,
  buffers: Buffers,
  summary: WeightsSummary,
  signal?: AbortSignal,
): Promise<WeightChange | undefined> {
  const dtype = dataTypeName(rb.dataType);
  const base = { name, change: 'changed' as const, dtype, shape: rb.dims, elements: safeCount(rb) };
  const sameDims = ra.dims.length === rb.dims.length && ra.dims.every((d, i) => d === rb.dims[i]);
  if (ra.dataType !== rb.dataType || !sameDims) {
    return {
      ...base,
      before: { dtype: dataTypeName(ra.dataType), shape: ra.dims },
      maxAbsDiff: null,
      maxRelDiff: null,
      changedElements: null,
      note: ra.dataType !== rb.dataType ? 'element type changed' : 'shape changed',
    };
  }
  const count = checkedElementCount(ra);
  checkedElementCount(rb);
  const diff = new Difference(ra.dataType);
  const [rangeA, rangeB] = await Promise.all([rawByteRange(ra), rawByteRange(rb)]);
  if (rangeA !== undefined && rangeB !== undefined) {
    if (rangeA.path === rangeB.path && rangeA.offset === rangeB.offset) return undefined; // the very same bytes
    await streamRanges(rangeA, rangeB, files, buffers, diff, summary, signal);
  } else {
    // Values in typed fields (float_data, int64_data, string_data, ...) on at least one side: small, read whole.
    const [va, vb] = await Promise.all([readTensorData(ra, { signal }), readTensorData(rb, { signal })]);
    summary.bytesRead += valueBytes(va.values) + valueBytes(vb.values);
    diff.add(va.values, vb.values);
  }
  if (!diff.differs) return undefined;
  return { ...base, ...diff.result(count) };
}

const valueBytes = (v: TensorValues): number => (Array.isArray(v) ? v.reduce((n, s) => n + s.length, 0) : v.byteLength);

async function streamRanges(
  a: ByteRange,
  b: ByteRange,
  files: FileCache,
  buffers: Buffers,
  diff: Difference,
  summary: WeightsSummary,
  signal?: AbortSignal,
): Promise<void> {
  const [sa, sb] = await Promise.all([files.get(a.path), files.get(b.path)]);
  const size = Math.min(buffers.chunk, a.length);
  if (buffers.a.byteLength < size) {
    buffers.a = new ArrayBuffer(size);
    buffers.b = new ArrayBuffer(size);
  }
  for (let done = 0; done < a.length; done += buffers.chunk) {
    signal?.throwIfAborted();
    const n = Math.min(buffers.chunk, a.length - done);
    const ba = new Uint8Array(buffers.a, 0, n);
    const bb = new Uint8Array(buffers.b, 0, n);
    await Promise.all([readExactly(sa, ba, 0, n, a.offset + done), readExactly(sb, bb, 0, n, b.offset + done)]);
    summary.bytesRead += 2 * n;
    if (Buffer.from(buffers.a, 0, n).equals(Buffer.from(buffers.b, 0, n))) continue;
    diff.add(typedView(diff.dataType, buffers.a, 0, n), typedView(diff.dataType, buffers.b, 0, n), true);
  }
}

/** Open files, kept for the whole comparison (a model's external data is usually one or a few files). */
class FileCache {
  private readonly open = new Map<string, Promise<{ handle: FileHandle; source: ByteSource }>>();

  async get(path: string): Promise<ByteSource> {
    let entry = this.open.get(path);
    if (entry === undefined) {
      entry = open(path, 'r').then(async (handle) => ({ handle, source: fileSource(handle, (await handle.stat()).size) }));
      this.open.set(path, entry);
    }
    return (await entry).source;
  }

  async close(): Promise<void> {
    const entries = [...this.open.values()];
    this.open.clear();
    await Promise.all(entries.map((e) => e.then((x) => x.handle.close()).catch(() => undefined)));
  }
}

/** Accumulates max abs / rel difference and the count of differing elements over pairs of value chunks. */
class Difference {
  maxAbs = 0;
  maxRel = 0;
  changed = 0;
  nanOneSide = 0;
  /** Bytes differ (for types whose values are not decoded). */
  bytesDiffer = false;
  private readonly kind: 'number' | 'half' | 'bfloat' | 'bigint' | 'string' | 'bytes';

  constructor(readonly dataType: number) {
    const numeric = dataTypeInfo(dataType)?.numeric;
    this.kind =
      dataType === DataType.FLOAT16
        ? 'half'
        : dataType === DataType.BFLOAT16
          ? 'bfloat'
          : dataType === DataType.INT64 || dataType === DataType.UINT64
            ? 'bigint'
            : numeric === 'string'
              ? 'string'
              : numeric === 'float' || numeric === 'int' || numeric === 'uint' || numeric === 'bool' || numeric === 'complex'
                ? 'number'
                : 'bytes';
  }

  get differs(): boolean {
    return this.changed > 0 || this.bytesDiffer;
  }

  /** `knownDifferent`: the caller already saw the bytes differ (so undecoded types count as changed). */
  add(a: TensorValues, b: TensorValues, knownDifferent = false): void {
    switch (this.kind) {
      case 'string': {
        const x = a as string[];
        const y = b as string[];
        for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) this.changed++;
        return;
      }
      case 'bytes': {
        const x = a as Uint8Array;
        const y = b as Uint8Array;
        if (knownDifferent || !Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength)))
          this.bytesDiffer = true;
        return;
      }
      case 'bigint': {
        const x = a as BigInt64Array;
        const y = b as BigInt64Array;
        for (let i = 0; i < x.length; i++) {
          if (x[i] === y[i]) continue;
          const big = x[i] - y[i];
          this.pair(Number(x[i]), Number(y[i]), Math.abs(Number(big)));
        }
        return;
      }
      case 'half':
      case 'bfloat': {
        const decode = this.kind === 'half' ? decodeFloat16 : decodeBfloat16;
        const x = a as Uint16Array;
        const y = b as Uint16Array;
        for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) this.numbers(decode(x[i]), decode(y[i]));
        return;
      }
      default: {
        const x = a as Float32Array;
        const y = b as Float32Array;
        for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) this.numbers(x[i], y[i]);
      }
    }
  }

  private numbers(x: number, y: number): void {
    if (x !== x || y !== y) {
      if (x !== x && y !== y) return; // NaN on both sides: the same
      this.changed++;
      this.nanOneSide++;
      return;
    }
    if (x === y) return; // +0 and -0
    this.pair(x, y, Math.abs(x - y));
  }

  private pair(x: number, y: number, abs: number): void {
    this.changed++;
    if (abs > this.maxAbs) this.maxAbs = abs;
    const scale = Math.max(Math.abs(x), Math.abs(y));
    const rel = scale === Infinity ? 1 : abs / scale;
    if (rel > this.maxRel) this.maxRel = rel;
  }

  result(count: number): Pick<WeightChange, 'maxAbsDiff' | 'maxRelDiff' | 'changedElements' | 'note'> {
    if (this.kind === 'bytes') {
      return {
        maxAbsDiff: null,
        maxRelDiff: null,
        changedElements: null,
        note: `bytes differ (${dataTypeName(this.dataType)} values are not decoded)`,
      };
    }
    if (this.kind === 'string') return { maxAbsDiff: null, maxRelDiff: null, changedElements: this.changed };
    return {
      maxAbsDiff: this.maxAbs,
      maxRelDiff: this.maxRel,
      changedElements: this.changed,
      ...(this.nanOneSide > 0 ? { note: `${this.nanOneSide} of ${count} elements are NaN on one side only` } : {}),
    };
  }
}
