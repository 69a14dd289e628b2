/**
 * Lays out graphs for the inspector without blocking the page: in a Web Worker (layoutWorker.ts) when one can
 * be made, else on the page's thread in time slices. Starting a new run cancels the one before; `cancel()`
 * stops it.
 *
 * A webview cannot start a worker from its resource URL (another origin), so the worker bundle is fetched
 * and started from a blob: URL; the page's CSP allows exactly that (worker-src blob:, connect-src of that one
 * file). If any step fails, the reason is logged and layouts run on the page, as before.
 */
import { layoutSteps, type GraphLayout, type LayoutProgress } from '../lib/graphLayout';
import { runInSlices } from './runInSlices';
import { parseFromLayoutWorker, type ToLayoutWorker } from './layoutWorkerProtocol';

export interface RunnerInput {
  nodeCount: number;
  sources: Int32Array;
  targets: Int32Array;
  widths: Float64Array;
  heights: Float64Array;
}

/** Where a layout ran, for the status line. */
export type LayoutPlace = 'worker' | 'page';
export type OnProgress = (p: LayoutProgress) => void;
export type OnDone = (layout: GraphLayout, ms: number, place: LayoutPlace) => void;
export type OnFail = (message: string) => void;

interface Job {
  id: number;
  input: RunnerInput;
  onProgress: OnProgress;
  onDone: OnDone;
  onFail: OnFail;
  t0: number;
}

const SLICE_MS = 14;

export class LayoutRunner {
  private run = 0;
  private worker: Promise<Worker | undefined> | undefined;
  private blobUrl: string | undefined;
  /** The job the worker is on. */
  private live: Job | undefined;
  /** Why layouts run on the page, once known. */
  fallbackReason: string | undefined;

  /** `workerUrl`: the worker bundle's webview URI; undefined runs every layout on the page. */
  constructor(
    private readonly workerUrl: string | undefined,
    private readonly log: (message: string) => void = (m) => console.warn(m),
  ) {}

  start(input: RunnerInput, onProgress: OnProgress, onDone: OnDone, onFail: OnFail): void {
    this.cancel();
    const job: Job = { id: this.run, input, onProgress, onDone, onFail, t0: performance.now() };
    void this.getWorker().then((worker) => {
      if (job.id !== this.run) return; // cancelled while the worker was being made
      if (!worker) return this.startOnPage(job);
      this.live = job;
      const message: ToLayoutWorker = { type: 'layout', id: job.id, ...input };
      worker.postMessage(message);
    });
  }

  cancel(): void {
    this.run++;
    if (this.live) {
      const old = this.live.id;
      this.live = undefined;
      void this.worker?.then((w) => w?.postMessage({ type: 'cancel', id: old } satisfies ToLayoutWorker));
    }
  }

  /** Stops the live job and ends the worker (a new start makes another). */
  dispose(): void {
    this.cancel();
    const worker = this.worker;
    this.worker = undefined;
    void worker?.then((w) => w?.terminate());
    if (this.blobUrl) URL.revokeObjectURL(this.blobUrl);
    this.blobUrl = undefined;
  }

  private getWorker(): Promise<Worker | undefined> {
    this.worker ??= this.createWorker().catch((e: unknown) => {
      this.fallbackReason = e instanceof Error ? e.message : String(e);
      this.log(`ONNX inspector: graph layout runs on the page thread: ${this.fallbackReason}`);
      return undefined;
    });
    return this.worker;
  }

  private async createWorker(): Promise<Worker> {
    if (!this.workerUrl) throw new Error('the page names no layout worker script');
    if (typeof Worker === 'undefined' || typeof Blob === 'undefined') throw new Error('this webview has no Web Worker support');
    let text: string;
    try {
      const response = await fetch(this.workerUrl);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      text = await response.text();
    } catch (e) {
      throw new Error(`could not fetch the layout worker script (${e instanceof Error ? e.message : String(e)})`);
    }
    this.blobUrl = URL.createObjectURL(new Blob([text], { type: 'text/javascript' }));
    const worker = new Worker(this.blobUrl, { name: 'inspector-layout' });
    worker.addEventListener('message', (event: MessageEvent<unknown>) => this.onWorkerMessage(event.data));
    worker.addEventListener('error', (event: ErrorEvent) => {
      event.preventDefault();
      this.workerFailed(`the layout worker failed: ${event.message || 'it could not start (blocked by the page policy?)'}`);
    });
    return worker;
  }

  private onWorkerMessage(raw: unknown): void {
    const message = parseFromLayoutWorker(raw);
    const job = this.live;
    if (!message || !job || message.id !== job.id) return;
    switch (message.type) {
      case 'progress':
        job.onProgress(message.progress);
        break;
      case 'done':
        this.live = undefined;
        this.run++;
        job.onDone(message.layout, performance.now() - job.t0, 'worker');
        break;
      case 'failed':
        // A bug in the layout itself: the page would fail the same way; say so instead of retrying.
        this.live = undefined;
        this.run++;
        this.log(`ONNX inspector: graph layout failed: ${message.message}`);
        job.onFail(message.message);
        break;
    }
  }

  /** The worker broke (could not start, or threw outside a job): drop it and finish the live job on the page. */
  private workerFailed(reason: string): void {
    this.fallbackReason = reason;
    this.log(`ONNX inspector: graph layout runs on the page thread: ${reason}`);
    void this.worker?.then((w) => w?.terminate());
    this.worker = Promise.resolve(undefined);
    if (this.blobUrl) URL.revokeObjectURL(this.blobUrl);
    this.blobUrl = undefined;
    const job = this.live;
    this.live = undefined;
    if (job && job.id === this.run) this.startOnPage(job);
  }

  /** The page-thread fallback: the same generator in slices of ~14 ms, one per macrotask. */
  private startOnPage(job: Job): void {
    runInSlices(layoutSteps(job.input), SLICE_MS, () => job.id === this.run, {
      progress: job.onProgress,
      done: (layout) => {
        this.run++;
        job.onDone(layout, performance.now() - job.t0, 'page');
      },
      failed: (text) => {
        this.run++;
        this.log(`ONNX inspector: graph layout failed: ${text}`);
        job.onFail(text);
      },
    });
  }
}
