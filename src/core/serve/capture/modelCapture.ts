/**
 * Request capture of one served model: sampled requests with their predictions, written off the request path to
 * `<dir>/<model>/` as chunks meant for replay as training data:
 *   chunk-000001.jsonl                  one line per captured request (time, id, protocol, tensors, prediction)
 *   chunk-000001.inputs.<name>.npy      every captured request's rows of that input, stacked along axis 0
 *   chunk-000001.outputs.<name>.npy     the same for each output
 * An index line names, per tensor, its file and its row range [start, end) in it. A new chunk starts when the
 * current one reaches the rotation size or when a tensor's row shape or type changes. Capture stops for good
 * when the folder reaches its size cap. The queue is bounded: a request that finds it full is dropped and counted,
 * never waited for. Writes are batched (one append per file every flushDelayMs), which keeps capture at 10 % within
 * a few percent of the p50 latency (bench/serve-capture.mjs).
 */
import { mkdir, open, readdir, stat, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from '../../logger';
import type { NpyType } from '../../ort/parseNpy';
import { decodeFloat16 } from '../../onnx/float16';
import { ortTypeOfDatatype, type HostTensor } from '../datatypes';
import { NPY_HEADER_BYTES, NpyRowFile } from './npyRowFile';

export interface CaptureConfig {
  /** Fraction of requests captured, in (0, 1]. */
  rate: number;
  /** Folder of captures; each model writes into its own subfolder. */
  dir: string;
  /** Capture stops when the model's folder holds this many bytes. */
  maxBytes: number;
  /** A chunk is closed and a new one started once it holds this many bytes. */
  rotateBytes: number;
  /** Requests waiting to be written at most (default 1000); more are dropped. */
  queueLimit?: number;
  /** Bytes of tensor data waiting to be written at most (default 32 MiB); more are dropped. */
  queueBytesLimit?: number;
  /**
   * How long a sampled request waits before the writer takes it, with whatever else arrived meanwhile (default
   * 200 ms): one batch of appends costs the server far less than one write per request.
   */
  flushDelayMs?: number;
  /** Sampling source (default Math.random). */
  random?: () => number;
}

export interface CapturedTensor {
  name: string;
  tensor: HostTensor;
}

export interface CaptureEntry {
  time: string;
  id?: string;
  protocol: string;
  inputs: CapturedTensor[];
  outputs: CapturedTensor[];
}

export type DropReason = 'queue_full' | 'size_cap' | 'error';

/** The capture section of GET /v2/models/{name}/stats. */
export interface CaptureStatus {
  enabled: true;
  rate: number;
  dir: string;
  captured: number;
  dropped: Record<DropReason, number>;
  queued: number;
  bytes: number;
  max_bytes: number;
  rotate_bytes: number;
  chunk: string | null;
  /** Set once capture has stopped: why. */
  stopped: string | null;
}

/** A file-name-safe form of a model or tensor name. */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^\.+/, '_') || '_';
}

const chunkName = (seq: number) => `chunk-${String(seq).padStart(6, '0')}`;

interface Part {
  kind: 'inputs' | 'outputs';
  name: string;
  tensor: HostTensor;
  type?: NpyType;
  inner: number[];
  rows: number;
  data?: Buffer;
}

function partOf(kind: Part['kind'], t: CapturedTensor): Part {
  const { tensor } = t;
  const rows = tensor.shape.length === 0 ? 1 : tensor.shape[0];
  const inner = tensor.shape.slice(1);
  if (tensor.datatype === 'BYTES' || Array.isArray(tensor.data)) return { kind, name: t.name, tensor, inner, rows };
  const d = tensor.data as Exclude<HostTensor['data'], string[]>;
  return {
    kind,
    name: t.name,
    tensor,
    type: ortTypeOfDatatype(tensor.datatype) as NpyType,
    inner,
    rows,
    data: Buffer.from(d.buffer, d.byteOffset, d.byteLength),
  };
}

function valueAt(t: HostTensor, i: number): number {
  const d = t.data;
  if (t.datatype === 'FP16') return decodeFloat16((d as Uint16Array)[i]);
  const v = (d as ArrayLike<number | bigint>)[i];
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

/** What an index line says about an output: the class per row for [rows, classes] scores, else its values or range. */
export function predictionSummary(t: HostTensor): object {
  if (t.datatype === 'BYTES') return { values: (t.data as string[]).slice(0, 16) };
  const n = t.data.length;
  if (t.shape.length === 2 && t.shape[1] > 1 && t.datatype.startsWith('FP')) {
    const [rows, k] = t.shape;
    const argmax: number[] = [];
    for (let r = 0; r < Math.min(rows, 32); r++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (valueAt(t, r * k + j) > valueAt(t, r * k + best)) best = j;
      argmax.push(best);
    }
    return { argmax };
  }
  if (n <= 32) return { values: Array.from({ length: n }, (_, i) => valueAt(t, i)) };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = valueAt(t, i);
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { mean: sum / n, min, max };
}

/** The open chunk: its files by tensor, its index, and what waits to be appended to them. */
class Chunk {
  readonly files = new Map<string, NpyRowFile>();
  readonly fileNames = new Map<string, string>();
  index: FileHandle | undefined;
  indexBytes = 0;
  readonly pending = new Map<string, { data: Buffer; rows: number }[]>();
  readonly pendingRows = new Map<string, number>();
  pendingIndex: string[] = [];
  /** Bytes queued for the files and the index but not written yet. */
  pendingBytes = 0;

  constructor(
    readonly name: string,
    readonly dir: string,
  ) {}

  get bytes(): number {
    let n = this.indexBytes + this.pendingBytes;
    for (const f of this.files.values()) n += f.bytes;
    return n;
  }

  accepts(parts: readonly Part[]): boolean {
    return parts.every((p) => {
      const f = this.files.get(`${p.kind}/${p.name}`);
      return !p.type || !f || f.accepts(p.type, p.inner);
    });
  }

  /** Creates the file of a tensor on its first use. */
  async ensure(p: Part): Promise<void> {
    const key = `${p.kind}/${p.name}`;
    if (this.files.has(key)) return;
    let name = `${this.name}.${p.kind}.${safeName(p.name)}.npy`;
    for (let i = 2; [...this.fileNames.values()].includes(name); i++) name = `${this.name}.${p.kind}.${safeName(p.name)}-${i}.npy`;
    this.files.set(key, await NpyRowFile.create(path.join(this.dir, name), p.type!, p.inner));
    this.fileNames.set(key, name);
  }

  /** The (ensured) file of a tensor: its name and the rows already in it or pending. */
  place(p: Part): { name: string; start: number } {
    const key = `${p.kind}/${p.name}`;
    return { name: this.fileNames.get(key)!, start: this.files.get(key)!.rows + (this.pendingRows.get(key) ?? 0) };
  }

  queue(p: Part): void {
    const key = `${p.kind}/${p.name}`;
    const list = this.pending.get(key) ?? [];
    list.push({ data: p.data!, rows: p.rows });
    this.pending.set(key, list);
    this.pendingRows.set(key, (this.pendingRows.get(key) ?? 0) + p.rows);
    this.pendingBytes += p.data!.length;
  }

  addLine(line: string): void {
    this.pendingIndex.push(line);
    this.pendingBytes += Buffer.byteLength(line);
  }

  /** Appends what is pending: tensor data first, then the index lines that point at it. */
  async flush(): Promise<void> {
    for (const [key, blocks] of this.pending) await this.files.get(key)!.append(blocks);
    this.pending.clear();
    this.pendingRows.clear();
    this.pendingBytes = 0;
    if (this.pendingIndex.length) {
      this.index ??= await open(path.join(this.dir, `${this.name}.jsonl`), 'a');
      const text = this.pendingIndex.join('');
      this.pendingIndex = [];
      await this.index.write(text);
      this.indexBytes += Buffer.byteLength(text);
    }
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      for (const f of this.files.values()) await f.close().catch(() => undefined);
      await this.index?.close().catch(() => undefined);
    }
  }
}

export class ModelCapture {
  readonly dir: string;
  captured = 0;
  readonly dropped: Record<DropReason, number> = { queue_full: 0, size_cap: 0, error: 0 };
  bytes = 0;
  stopped: string | undefined;
  private queue: CaptureEntry[] = [];
  private queuedBytes = 0;
  private writing: Promise<void> | undefined;
  private scheduled = false;
  private started = false;
  private nextChunk = 1;
  private chunk: Chunk | undefined;
  private seq = 0;
  private readonly queueLimit: number;
  private readonly queueBytesLimit: number;

  constructor(
    readonly model: string,
    private readonly config: CaptureConfig,
    private readonly logger: Logger,
  ) {
    this.dir = path.join(config.dir, safeName(model));
    this.queueLimit = config.queueLimit ?? 1000;
    this.queueBytesLimit = config.queueBytesLimit ?? 32 * 2 ** 20;
  }

  /** Queues a sampled request; never waits. Returns false when it was dropped. */
  offer(entry: CaptureEntry): boolean {
    if (this.stopped) {
      this.dropped[this.stopped.startsWith('size cap') ? 'size_cap' : 'error']++;
      return false;
    }
    let size = 0;
    for (const t of entry.inputs) size += dataBytes(t.tensor);
    for (const t of entry.outputs) size += dataBytes(t.tensor);
    if (this.queue.length >= this.queueLimit || (this.queue.length > 0 && this.queuedBytes + size > this.queueBytesLimit)) {
      this.dropped.queue_full++;
      return false;
    }
    this.queue.push(entry);
    this.queuedBytes += size;
    if (!this.scheduled && !this.writing) {
      this.scheduled = true;
      setTimeout(() => {
        this.scheduled = false;
        this.kick();
      }, this.config.flushDelayMs ?? 200).unref();
    }
    return true;
  }

  get queued(): number {
    return this.queue.length;
  }

  status(): CaptureStatus {
    return {
      enabled: true,
      rate: this.config.rate,
      dir: this.dir,
      captured: this.captured,
      dropped: { ...this.dropped },
      queued: this.queue.length,
      bytes: this.bytes,
      max_bytes: this.config.maxBytes,
      rotate_bytes: this.config.rotateBytes,
      chunk: this.chunk?.name ?? null,
      stopped: this.stopped ?? null,
    };
  }

  /** Writes what is queued, then closes the open chunk. */
  async close(): Promise<void> {
    this.kick();
    while (this.writing) await this.writing;
    const c = this.chunk;
    this.chunk = undefined;
    if (c) await c.close().catch((e: unknown) => this.fail(e));
  }

  private kick(): void {
    if (this.writing || this.queue.length === 0) return;
    this.writing = (async () => {
      try {
        while (this.queue.length) {
          const batch = this.queue;
          this.queue = [];
          this.queuedBytes = 0;
          await this.write(batch);
        }
      } catch (e) {
        this.fail(e);
      } finally {
        this.writing = undefined;
      }
    })();
  }

  private fail(e: unknown): void {
    if (this.stopped) return;
    this.stopped = `write error: ${(e as Error).message}`;
    this.dropped.error += this.queue.length;
    this.queue = [];
    this.logger.warn(`capture of model '${this.model}' stopped: ${this.stopped}`);
  }

  /** Reads what the folder holds already (its size counts against the cap; chunk numbers go on after the last). */
  private async start(): Promise<void> {
    this.started = true;
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) {
      const m = /^chunk-(\d+)\./.exec(name);
      if (m) this.nextChunk = Math.max(this.nextChunk, Number(m[1]) + 1);
      const s = await stat(path.join(this.dir, name)).catch(() => undefined);
      if (s?.isFile()) this.bytes += s.size;
    }
  }

  private async write(batch: CaptureEntry[]): Promise<void> {
    if (!this.started) await this.start();
    for (let k = 0; k < batch.length; k++) {
      const entry = batch[k];
      if (this.stopped) {
        this.dropped[this.stopped.startsWith('size cap') ? 'size_cap' : 'error'] += batch.length - k;
        break;
      }
      const parts = [...entry.inputs.map((t) => partOf('inputs', t)), ...entry.outputs.map((t) => partOf('outputs', t))];
      let chunk = this.chunk;
      if (chunk && (chunk.bytes >= this.config.rotateBytes || !chunk.accepts(parts))) {
        await chunk.close();
        chunk = this.chunk = undefined;
      }
      const newFiles = parts.filter((p) => p.type && !chunk?.files.has(`${p.kind}/${p.name}`)).length;
      const size = parts.reduce((n, p) => n + (p.data?.length ?? 0), 0) + newFiles * NPY_HEADER_BYTES + 512;
      if (this.bytes + size > this.config.maxBytes) {
        this.stopped = `size cap of ${mb(this.config.maxBytes)} MB reached in ${this.dir}`;
        this.logger.warn(
          `capture of model '${this.model}' stopped: ${this.stopped} (${this.captured} requests captured; raise --capture-max-mb or move the captures away)`,
        );
        this.dropped.size_cap += batch.length - k;
        break;
      }
      if (!chunk) chunk = this.chunk = new Chunk(chunkName(this.nextChunk++), this.dir);
      const before = chunk.bytes;
      for (const p of parts) if (p.type && !chunk.files.has(`${p.kind}/${p.name}`)) await chunk.ensure(p);
      const describe = (p: Part): object => {
        if (!p.type) return { name: p.name, datatype: p.tensor.datatype, shape: p.tensor.shape, skipped: 'BYTES tensors are not captured' };
        const { name, start } = chunk.place(p);
        chunk.queue(p);
        return { name: p.name, datatype: p.tensor.datatype, shape: p.tensor.shape, file: name, rows: [start, start + p.rows] };
      };
      const inputs = parts.filter((p) => p.kind === 'inputs').map(describe);
      const outputs = parts.filter((p) => p.kind === 'outputs').map(describe);
      const prediction: Record<string, object> = {};
      for (const o of entry.outputs) prediction[o.name] = predictionSummary(o.tensor);
      const line =
        JSON.stringify({
          time: entry.time,
          seq: ++this.seq,
          id: entry.id ?? null,
          protocol: entry.protocol,
          model: this.model,
          inputs,
          outputs,
          prediction,
        }) + '\n';
      chunk.addLine(line);
      this.bytes += chunk.bytes - before;
      this.captured++;
    }
    await this.chunk?.flush();
  }
}

function dataBytes(t: HostTensor): number {
  return Array.isArray(t.data) ? 0 : (t.data as ArrayBufferView).byteLength;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 100) / 100;
