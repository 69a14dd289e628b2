import * as path from 'node:path';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { expandSweep, type SweepSpec } from './expandSweep';
import { launchRun, type LaunchOptions, type RunHandle } from './launchRun';
import { processIdentity } from './processLiveness';
import { newRunId } from './runId';
import type { Run, RunStatus } from './runTypes';

type Launch = (options: LaunchOptions, logger: Logger, signal?: AbortSignal) => Promise<RunHandle>;

export interface RunQueueOptions {
  /** Runs at once (at least 1). */
  parallelism: number;
  logger?: Logger;
  /** Injectable for tests; default launchRun. */
  launch?: Launch;
  /** Called whenever a run of this queue changes status. */
  onChange?: (id: string, status: RunStatus) => void;
  /** Grace period when cancelling a running run. Default 5000 ms. */
  stopGraceMs?: number;
}

interface Entry {
  id: string;
  options: LaunchOptions;
  handle?: RunHandle;
  cancelled: boolean;
  done: Promise<Run>;
  resolve: (run: Run) => void;
}

/**
 * Runs launched one after another with at most `parallelism` at a time. `enqueue` records the
 * run in the store at once (status queued, owned by this process, so a crash of this process
 * shows it as interrupted); runs start in the order they were enqueued.
 */
export class RunQueue {
  private parallelism: number;
  private readonly pending: Entry[] = [];
  private readonly active = new Map<string, Entry>();
  private readonly entries = new Map<string, Entry>();
  private readonly logger: Logger;
  private readonly launch: Launch;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: RunQueueOptions) {
    this.parallelism = Math.max(1, Math.floor(options.parallelism));
    this.logger = options.logger ?? silentLogger;
    this.launch = options.launch ?? launchRun;
  }

  /** Ids of runs waiting for a slot, in start order. */
  get queued(): string[] {
    return this.pending.map((e) => e.id);
  }

  /** Ids of runs currently running. */
  get running(): string[] {
    return [...this.active.keys()];
  }

  setParallelism(n: number): void {
    this.parallelism = Math.max(1, Math.floor(n));
    this.pump();
  }

  /** Records a queued run and returns its id; the run starts when a slot is free. */
  async enqueue(options: LaunchOptions): Promise<string> {
    const store = options.store;
    const id = options.runId ?? newRunId();
    const script = options.script ?? options.command?.[0] ?? 'run';
    await store.createRun({
      id,
      name: options.name ?? `${path.basename(script).replace(/\.[^.]*$/, '')}-${id.slice(-4)}`,
      experiment: options.experiment ?? 'Default',
      command: options.script
        ? [options.interpreter ?? 'python3', options.script, ...(options.args ?? [])]
        : [...(options.command ?? []), ...(options.args ?? [])],
      cwd: path.resolve(options.cwd ?? store.workspace),
      params: options.params ?? {},
      tags: options.tags ?? {},
      status: 'queued',
      createdTime: Date.now(),
      owner: { launcher: processIdentity() },
    });
    let resolve!: (run: Run) => void;
    const done = new Promise<Run>((r) => (resolve = r));
    const entry: Entry = { id, options: { ...options, runId: id }, cancelled: false, done, resolve };
    this.entries.set(id, entry);
    this.pending.push(entry);
    this.options.onChange?.(id, 'queued');
    this.pump();
    return id;
  }

  /** Enqueues one run per param set of the sweep, as runs of one experiment; returns their ids. */
  async enqueueSweep(base: Omit<LaunchOptions, 'params' | 'runId'>, spec: SweepSpec): Promise<string[]> {
    const sets = expandSweep(spec);
    const sweepId = newRunId().slice(-6);
    const experiment = base.experiment ?? `sweep-${sweepId}`;
    const ids: string[] = [];
    for (let i = 0; i < sets.length; i++) {
      ids.push(
        await this.enqueue({
          ...base,
          experiment,
          name: `${base.name ?? experiment}-${i + 1}`,
          params: sets[i],
          tags: { ...(base.tags ?? {}), 'mlw.sweep': sweepId, 'mlw.sweep.index': String(i) },
        }),
      );
    }
    return ids;
  }

  /** The final run of `id` once it has ended (or was cancelled). */
  result(id: string): Promise<Run> | undefined {
    return this.entries.get(id)?.done;
  }

  /**
   * Cancels a run of this queue: a queued one is marked `stopped` and never starts, a running
   * one is stopped (SIGTERM, then SIGKILL after the grace period).
   */
  async cancel(id: string, graceMs = this.options.stopGraceMs ?? 5000): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry || entry.cancelled) return;
    entry.cancelled = true;
    const index = this.pending.indexOf(entry);
    if (index >= 0) {
      this.pending.splice(index, 1);
      const run = await entry.options.store.updateRun(id, (r) => {
        r.status = 'stopped';
        r.error = 'Cancelled before it started';
        r.endTime = Date.now();
      });
      this.settle(entry, run);
      return;
    }
    if (entry.handle) await entry.handle.stop(graceMs);
    // A run between dequeue and spawn is stopped as soon as its handle exists (see start()).
  }

  /** Cancels everything: queued runs first, so that none starts, then the running ones. */
  async cancelAll(graceMs?: number): Promise<void> {
    for (const e of [...this.pending]) await this.cancel(e.id, graceMs);
    await Promise.all([...this.active.keys()].map((id) => this.cancel(id, graceMs)));
  }

  /** Resolves when nothing is queued or running. */
  onIdle(): Promise<void> {
    if (!this.pending.length && !this.active.size) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private settle(entry: Entry, run: Run): void {
    this.active.delete(entry.id);
    entry.resolve(run);
    this.options.onChange?.(entry.id, run.status);
    this.pump();
    if (!this.pending.length && !this.active.size) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private pump(): void {
    while (this.active.size < this.parallelism && this.pending.length) {
      const entry = this.pending.shift() as Entry;
      this.active.set(entry.id, entry);
      void this.start(entry);
    }
  }

  private async start(entry: Entry): Promise<void> {
    const store = entry.options.store;
    try {
      const handle = await this.launch(entry.options, this.logger);
      entry.handle = handle;
      this.options.onChange?.(entry.id, 'running');
      if (entry.cancelled) void handle.stop(this.options.stopGraceMs ?? 5000);
      this.settle(entry, await handle.done);
    } catch (e) {
      this.logger.error(`Run ${entry.id} could not start: ${(e as Error).message}`);
      let run: Run | undefined;
      try {
        run = await store.updateRun(entry.id, (r) => {
          if (r.status === 'queued' || r.status === 'running') {
            r.status = 'failed';
            r.endTime = Date.now();
          }
          r.error = (e as Error).message;
        });
      } catch {
        run = await store.readRun(entry.id);
      }
      this.settle(entry, run ?? ({ id: entry.id, status: 'failed', error: (e as Error).message } as Run));
    }
  }
}
