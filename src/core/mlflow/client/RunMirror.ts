import { paramToString } from '../../runs/buildChildCommand';
import type { Logger } from '../../logger';
import { readMetrics } from '../../runs/readMetrics';
import type { RunStore } from '../../runs/RunStore';
import type { Run } from '../../runs/runTypes';
import { MAX_METRICS_PER_BATCH, MAX_PARAMS_TAGS_PER_BATCH } from '../mlflowLimits';
import { MLFLOW_STATUS_OF } from '../TrackedRun';
import type { KeyValue, MetricPoint, MlflowClient } from './MlflowClient';
import { chunks, ensureExperiment, NOTE_TAG, PUSHED_FROM_TAG, toMetricPoints, uploadArtifacts } from './pushRun';

export interface RunMirrorOptions {
  client: MlflowClient;
  /** The server experiment to log into (created when missing); default the run's experiment. */
  experiment?: string;
  /** How often new metric points are sent; default 2 s. */
  intervalMs?: number;
}

export interface MirrorResult {
  /** The run's page on the server, once it was created there. */
  url?: string;
  remoteRunId?: string;
  metricPoints: number;
  artifacts: number;
  /** Why the server's copy is incomplete; the local run is complete either way. */
  error?: string;
}

interface Remote {
  runId: string;
  experimentId: string;
  artifactUri: string;
}

const DEFAULT_INTERVAL_MS = 2000;

/**
 * Logs a launched run to an MLflow tracking server while it runs, beside the local record (which
 * stays the source of truth, so a dropped link loses nothing). The server run is made at start
 * with the run's name, params and tags; every few seconds the points appended to metrics.jsonl
 * since the last send go out in runs/log-batch calls of at most 1,000; when the run ends, the rest,
 * params the script logged meanwhile, the artifacts' snapshot bytes and the final status follow.
 * A failed call is retried on the next tick from where it stopped; if the server is still away at
 * the end, `finish` says how to send the run later (`mlw runs push`).
 */
export class RunMirror {
  private remote: Remote | undefined;
  private offset = 0;
  private pending: MetricPoint[] = [];
  private sent = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private down: string | undefined;
  private readonly sentParams = new Set<string>();

  private constructor(
    private readonly options: RunMirrorOptions,
    private readonly run: Run,
    private readonly runDir: string,
    private readonly store: RunStore,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => this.queue(() => this.sync()), options.intervalMs ?? DEFAULT_INTERVAL_MS);
    this.timer.unref();
    this.queue(() => this.sync());
  }

  /** Starts mirroring `run` (already recorded in `store` as running); never throws, never waits for the server. */
  static start(options: RunMirrorOptions, run: Run, store: RunStore, logger: Logger): RunMirror {
    return new RunMirror(options, run, store.runDir(run.id), store, logger);
  }

  private get url(): string {
    return this.options.client.url;
  }

  private queue(step: () => Promise<unknown>): Promise<void> {
    this.chain = this.chain.then(step).then(
      () => undefined,
      (e: Error) => this.lost(e),
    );
    return this.chain;
  }

  private lost(e: Error): void {
    if (this.down === undefined)
      this.logger.warn(
        `Run ${this.run.id}: logging to MLflow server ${this.url} paused: ${e.message} (retrying; the local run keeps everything)`,
      );
    this.down = e.message;
  }

  private async ensureRemote(): Promise<Remote> {
    if (this.remote) return this.remote;
    const client = this.options.client;
    const experimentId = await ensureExperiment(client, this.options.experiment ?? (this.run.experiment || 'Default'));
    const tags: KeyValue[] = Object.entries(this.run.tags).map(([key, value]) => ({ key, value }));
    if (this.run.notes && !this.run.tags[NOTE_TAG]) tags.push({ key: NOTE_TAG, value: this.run.notes });
    tags.push({ key: PUSHED_FROM_TAG, value: this.run.id });
    const made = await client.createRun({ experimentId, runName: this.run.name, startTime: this.run.startTime ?? undefined });
    this.remote = { runId: made.info.run_id, experimentId, artifactUri: made.info.artifact_uri };
    await this.sendParams(this.run.params);
    for (const t of chunks(tags, MAX_PARAMS_TAGS_PER_BATCH)) await client.logBatch(this.remote.runId, { tags: t });
    this.logger.info(`Run ${this.run.id}: logging to ${client.runPageUrl(experimentId, this.remote.runId)}`);
    return this.remote;
  }

  private async sendParams(params: Run['params']): Promise<void> {
    const fresh: KeyValue[] = Object.entries(params)
      .filter(([key]) => !this.sentParams.has(key))
      .map(([key, v]) => ({ key, value: paramToString(v) }));
    for (const p of chunks(fresh, MAX_PARAMS_TAGS_PER_BATCH)) {
      await this.options.client.logBatch((this.remote as Remote).runId, { params: p });
      for (const { key } of p) this.sentParams.add(key);
    }
  }

  /** Sends what was logged since the last send; returns whether anything new was found. */
  private async sync(): Promise<boolean> {
    const remote = await this.ensureRemote();
    let found = false;
    for (;;) {
      if (!this.pending.length) {
        const read = await readMetrics(this.runDir, { sinceByteOffset: this.offset });
        this.offset = read.reset ? 0 : read.offset; // a replaced file is never expected: start again rather than skip
        this.pending = toMetricPoints(read.series.values(), this.run.startTime ?? Date.now());
        if (!this.pending.length) break;
        found = true;
      }
      while (this.pending.length) {
        const batch = this.pending.slice(0, MAX_METRICS_PER_BATCH);
        await this.options.client.logBatch(remote.runId, { metrics: batch });
        this.pending.splice(0, batch.length);
        this.sent += batch.length;
      }
    }
    if (this.down !== undefined) {
      this.logger.info(`Run ${this.run.id}: logging to MLflow server ${this.url} resumed`);
      this.down = undefined;
    }
    return found;
  }

  /**
   * After the run ended locally (`final` is its finished record): sends the remaining points, new
   * params, artifacts and the end status. Never throws: an incomplete server copy is reported in
   * the result, with how to send the run again.
   */
  async finish(final: Run): Promise<MirrorResult> {
    clearInterval(this.timer);
    await this.chain;
    const result: MirrorResult = { metricPoints: 0, artifacts: 0 };
    try {
      while (await this.sync()) {
        /* until nothing new */
      }
      const remote = this.remote as Remote;
      await this.sendParams(final.params);
      const into = { artifacts: [] as Array<{ path: string; size: number }>, skipped: [] as Array<{ path: string; reason: string }> };
      await uploadArtifacts(this.options.client, final, remote.artifactUri, { workspace: this.store.workspace, store: this.store }, into);
      for (const s of into.skipped) this.logger.warn(`Run ${final.id}: artifact ${s.path} not sent to ${this.url}: ${s.reason}`);
      await this.options.client.updateRun(remote.runId, MLFLOW_STATUS_OF[final.status], final.endTime ?? Date.now());
      result.artifacts = into.artifacts.length;
    } catch (e) {
      result.error = `${(e as Error).message}. The run is complete here: send it again with mlw runs push ${final.id} --to ${this.url}`;
      this.logger.warn(`Run ${final.id}: logging to MLflow server ${this.url} did not complete: ${result.error}`);
    }
    result.metricPoints = this.sent;
    if (this.remote) {
      result.remoteRunId = this.remote.runId;
      result.url = this.options.client.runPageUrl(this.remote.experimentId, this.remote.runId);
    }
    return result;
  }
}
