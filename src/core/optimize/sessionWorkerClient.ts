/**
 * The parent's side of a session worker: one child process per model (sessionWorker.js, run with
 * process.execPath), requests answered in order over IPC. A worker that dies fails its pending requests with
 * one line (its exit code or signal and the last line it wrote to stderr).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadResult, MemoryResult, TimeResult, WireTensor, WorkerMessage, WorkerRequest, WorkerResult } from './sessionWorkerProtocol';
import type { GraphOptimizationLevel } from '../ort/graphOptimizationLevel';

/** dist/sessionWorker.js beside the bundle (mlw.js), or the compiled sessionWorker.js beside this file. */
export function sessionWorkerPath(): string {
  const path = join(__dirname, 'sessionWorker.js');
  if (!existsSync(path)) throw new Error(`the session worker ${path} is missing: rebuild with npm run build`);
  return path;
}

export class SessionWorkerClient {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: WorkerResult) => void; reject: (e: Error) => void }>();
  private stderr = '';
  private exited: Error | undefined;

  constructor(
    readonly label: string,
    signal?: AbortSignal,
  ) {
    this.child = fork(sessionWorkerPath(), [], {
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      ...(signal ? { signal } : {}),
    });
    this.child.stderr?.on('data', (b: Buffer) => {
      if (this.stderr.length < 16 * 1024) this.stderr += b.toString('utf8');
    });
    this.child.on('message', (m: WorkerMessage) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error));
    });
    this.child.on('error', (e) => this.fail(e));
    this.child.on('exit', (code, sig) => {
      const last = this.stderr.trim().split('\n').pop();
      this.fail(new Error(`the session process of ${label} exited (${sig ?? `code ${code}`})${last ? `: ${last}` : ''}`));
    });
  }

  private fail(e: Error): void {
    this.exited ??= e;
    for (const p of this.pending.values()) p.reject(this.exited);
    this.pending.clear();
  }

  private request<T extends WorkerResult>(request: WorkerRequest): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: WorkerResult) => void, reject });
      this.child.send({ id, request }, (e) => {
        if (e) this.fail(e);
      });
    });
  }

  load(path: string, graphOptimizationLevel: GraphOptimizationLevel, intraOpThreads?: number): Promise<LoadResult> {
    return this.request({ op: 'load', path, graphOptimizationLevel, ...(intraOpThreads ? { intraOpThreads } : {}) });
  }

  async run(feeds: WireTensor[]): Promise<WireTensor[]> {
    return (await this.request<{ outputs: WireTensor[] }>({ op: 'run', feeds })).outputs;
  }

  async setTimedFeeds(feeds: WireTensor[]): Promise<void> {
    await this.request({ op: 'setTimedFeeds', feeds });
  }

  time(runs: number): Promise<TimeResult> {
    return this.request({ op: 'time', runs });
  }

  memory(): Promise<MemoryResult> {
    return this.request({ op: 'memory' });
  }

  /** Ends the worker (closing its IPC channel makes it exit); waits for it to be gone. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}
