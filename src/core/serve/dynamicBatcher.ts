/**
 * Per-model request queue with dynamic batching.
 *
 * One run at a time per model: onnxruntime-node 1.30 executes `session.run` synchronously on the JS thread (inside a
 * setImmediate), so overlapping runs cannot execute concurrently anyway; ORT's intra-op thread pool uses the cores
 * within one run.
 *
 * Dispatch policy (adaptive, so that a lone client pays no batching delay):
 * - The batch target is the row count of the previous batch (when it ran less than 1 s ago), capped at maxBatchSize;
 *   1 otherwise. A client at concurrency 1 therefore never waits for companions.
 * - The head of the queue is dispatched as soon as its compatible companions reach the target, or when it has waited
 *   maxQueueDelayMs. Dispatch happens on setImmediate, so requests already read in the same I/O phase join the batch
 *   (except a lone request with target 1, which runs at once).
 * - Requests join a batch when their batch key (datatypes and non-batch dims) matches the head's and the total rows
 *   stay within maxBatchSize. Others wait for a later run.
 * - A batched run whose outputs do not have the batch's row count on dim 0 marks the model unbatchable and each request
 *   is rerun alone; a failing batched run is retried request by request so one bad request fails only itself.
 */
import { performance } from 'node:perf_hooks';
import { batchKey, concatRows, splitRows } from './batching';
import type { HostTensor } from './datatypes';
import type { InferRequest } from './inferRequest';

export interface BatchRunner {
  /** Runs the model once; returns the requested outputs by name. */
  run(inputs: HostTensor[], outputNames: string[]): Promise<Map<string, HostTensor>>;
}

export interface BatcherOptions {
  /** Max rows per run; 1 disables batching. */
  maxBatchSize: number;
  maxQueueDelayMs: number;
  /** The model's first dim is dynamic on every input and output. */
  batchable: boolean;
  /** Every output name, fetched in batched runs. */
  outputNames: string[];
  /** Called after each run: requests and rows in it, and its duration. */
  onRun?: (requests: number, rows: number, inferenceMs: number) => void;
  /** Called once when a batched run shows the model cannot be batched. */
  onUnbatchable?: (reason: string) => void;
}

export interface BatchResult {
  outputs: Map<string, HostTensor>;
  queueMs: number;
  inferenceMs: number;
  /** Requests that shared the run. */
  batchSize: number;
}

interface Entry {
  req: InferRequest;
  key: string | undefined;
  enqueuedAt: number;
  resolve: (r: BatchResult) => void;
  reject: (e: unknown) => void;
}

const RECENT_MS = 1000;

export class DynamicBatcher {
  private readonly queue: Entry[] = [];
  private running = false;
  private immediate: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastRows = 1;
  private lastRunAt = -Infinity;
  private batchable: boolean;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly runner: BatchRunner,
    private readonly options: BatcherOptions,
  ) {
    this.batchable = options.batchable && options.maxBatchSize > 1;
  }

  get isBatching(): boolean {
    return this.batchable;
  }

  /** Requests waiting plus the one running. */
  get pending(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  submit(req: InferRequest): Promise<BatchResult> {
    return new Promise<BatchResult>((resolve, reject) => {
      const key = this.batchable ? batchKey(req.inputs) : undefined;
      this.queue.push({ req, key, enqueuedAt: performance.now(), resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private target(now: number): number {
    if (!this.batchable) return 1;
    const recent = now - this.lastRunAt < RECENT_MS ? this.lastRows : 1;
    return Math.max(1, Math.min(this.options.maxBatchSize, recent));
  }

  /** Rows the head could run with now (itself plus compatible companions). */
  private readyRows(): number {
    const head = this.queue[0];
    if (head.key === undefined) return Infinity;
    let rows = 0;
    for (const e of this.queue) {
      if (e.key !== head.key) continue;
      if (rows + e.req.rows > this.options.maxBatchSize && rows > 0) break;
      rows += e.req.rows;
    }
    return rows;
  }

  private schedule(): void {
    if (this.running || this.immediate || this.queue.length === 0) return;
    const now = performance.now();
    const waited = now - this.queue[0].enqueuedAt;
    const target = this.target(now);
    if (this.readyRows() >= target || waited >= this.options.maxQueueDelayMs) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      if (target === 1 && this.queue.length === 1) {
        // A lone request with no recent company: run it now, without an extra event-loop turn.
        void this.dispatch();
        return;
      }
      this.immediate = setImmediate(() => {
        this.immediate = undefined;
        void this.dispatch();
      });
    } else if (!this.timer) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.schedule();
        },
        Math.max(0, this.options.maxQueueDelayMs - waited),
      );
    }
  }

  private take(): Entry[] {
    const head = this.queue.shift()!;
    const batch = [head];
    if (head.key === undefined) return batch;
    let rows = head.req.rows;
    for (let i = 0; i < this.queue.length;) {
      const e = this.queue[i];
      if (e.key === head.key && rows + e.req.rows <= this.options.maxBatchSize) {
        batch.push(e);
        rows += e.req.rows;
        this.queue.splice(i, 1);
      } else i++;
    }
    return batch;
  }

  private async dispatch(): Promise<void> {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const batch = this.take();
    try {
      if (batch.length === 1) await this.runAlone(batch[0]);
      else await this.runBatch(batch);
    } finally {
      this.running = false;
      if (this.queue.length > 0) this.schedule();
      else if (this.idleWaiters.length) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async timed(inputs: HostTensor[], names: string[]): Promise<{ outputs: Map<string, HostTensor>; start: number; ms: number }> {
    const start = performance.now();
    const outputs = await this.runner.run(inputs, names);
    return { outputs, start, ms: performance.now() - start };
  }

  private note(requests: number, rows: number, ms: number, end: number): void {
    this.lastRows = rows;
    this.lastRunAt = end;
    this.options.onRun?.(requests, rows, ms);
  }

  private async runAlone(e: Entry): Promise<void> {
    try {
      const { outputs, start, ms } = await this.timed(
        e.req.inputs,
        e.req.outputs.map((o) => o.name),
      );
      this.note(1, e.req.rows, ms, start + ms);
      e.resolve({ outputs, queueMs: start - e.enqueuedAt, inferenceMs: ms, batchSize: 1 });
    } catch (err) {
      e.reject(err);
    }
  }

  private async runBatch(batch: Entry[]): Promise<void> {
    const inputs = batch[0].req.inputs.map((_, i) => concatRows(batch.map((e) => e.req.inputs[i])));
    const rows = batch.map((e) => e.req.rows);
    const total = inputs[0].shape[0];
    let result;
    try {
      result = await this.timed(inputs, this.options.outputNames);
    } catch {
      // Find the culprit: each request alone gets its own answer or its own error.
      for (const e of batch) await this.runAlone(e);
      return;
    }
    const { outputs, start, ms } = result;
    this.note(batch.length, total, ms, start + ms);
    for (const [name, t] of outputs) {
      if (t.shape.length === 0 || t.shape[0] !== total) {
        this.batchable = false;
        this.options.onUnbatchable?.(`output '${name}' has shape [${t.shape.join(',')}] for a batch of ${total} rows`);
        for (const e of batch) await this.runAlone(e);
        return;
      }
    }
    const parts = new Map<string, HostTensor[]>();
    for (const [name, t] of outputs) parts.set(name, splitRows(t, rows));
    batch.forEach((e, i) => {
      const mine = new Map<string, HostTensor>();
      for (const o of e.req.outputs) mine.set(o.name, parts.get(o.name)![i]);
      e.resolve({ outputs: mine, queueMs: start - e.enqueuedAt, inferenceMs: ms, batchSize: batch.length });
    });
  }
}
