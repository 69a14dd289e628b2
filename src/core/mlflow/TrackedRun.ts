import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import type { Logger } from '../logger';
import { paramToString } from '../runs/buildChildCommand';
import { fileRecord, recordedPath } from '../runs/hashFile';
import type { MetricsWriter } from '../runs/MetricsWriter';
import { readLogged } from '../runs/readLogged';
import { readMetrics } from '../runs/readMetrics';
import type { RunStore } from '../runs/RunStore';
import { LOGGED_FILE, type FileRecord, type Run, type RunStatus } from '../runs/runTypes';
import { resolveInside } from '../runs/safePath';
import { summarizeMetrics } from '../runs/summarizeMetrics';
import { invalidParameter } from './mlflowErrors';

export type MlflowStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface MlflowMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

/** Datasets from runs/log-inputs, one JSON object per line, beside the run's other files. */
export const INPUTS_FILE = 'mlflow-inputs.jsonl';

export const MLFLOW_STATUS_OF: Record<RunStatus, MlflowStatus> = {
  queued: 'SCHEDULED',
  running: 'RUNNING',
  finished: 'FINISHED',
  failed: 'FAILED',
  stopped: 'KILLED',
  interrupted: 'KILLED',
  pruned: 'KILLED',
};

const RUN_STATUS_OF: Record<Exclude<MlflowStatus, 'RUNNING' | 'SCHEDULED'>, RunStatus> = {
  FINISHED: 'finished',
  FAILED: 'failed',
  KILLED: 'stopped',
};

/**
 * A run this endpoint writes into. `launched`: the run launchRun started (the launcher owns its
 * run.json and records how it ends; what MLflow logs goes to its metrics writer and logged.jsonl,
 * which finishRun merges). `owned`: a run the script created through the endpoint (a nested run,
 * or any run in standalone mode); the endpoint owns its run.json and ends it.
 */
export class TrackedRun {
  readonly params = new Map<string, string>();
  readonly tags = new Map<string, string>();
  readonly latest = new Map<string, MlflowMetric>();
  readonly inputs: unknown[] = [];
  /** What the script said through runs/update; the launched run's own status is the launcher's. */
  mlflowStatus: MlflowStatus = 'RUNNING';
  mlflowEndTime: number | null = null;
  private ended = false;
  private files: Promise<void> = Promise.resolve();
  /** Params given at launch, as strings: a script logging the same value adds nothing. */
  private readonly launchParams = new Map<string, string>();
  private readonly loggedParams = new Set<string>();

  constructor(
    readonly store: RunStore,
    /** The run object; for the launched run, the launcher's own (it writes it when the run ends). */
    readonly run: Run,
    readonly writer: MetricsWriter,
    readonly kind: 'launched' | 'owned',
    public experimentId: string,
    private readonly logger: Logger,
  ) {
    for (const [k, v] of Object.entries(run.params)) this.launchParams.set(k, paramToString(v));
    for (const [k, v] of this.launchParams) this.params.set(k, v);
    for (const [k, v] of Object.entries(run.tags)) this.tags.set(k, v);
  }

  get id(): string {
    return this.run.id;
  }

  get dir(): string {
    return this.store.runDir(this.run.id);
  }

  get isEnded(): boolean {
    return this.ended;
  }

  artifactUri(): string {
    return `mlflow-artifacts:/${this.experimentId}/${this.id}/artifacts`;
  }

  assertWritable(): void {
    if (this.ended) {
      throw invalidParameter(
        `The run ${this.id} must be in the 'active' state. Current state is ${this.run.status}: a run's records never change after it ends.`,
      );
    }
  }

  private appendFile(name: string, lines: unknown[]): Promise<void> {
    if (!lines.length) return this.files;
    const text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
    // One append (O_APPEND) per call, in call order: lines from the Python helper never interleave with these.
    const next = this.files.then(() => fsp.appendFile(path.join(this.dir, name), text));
    this.files = next.catch(() => undefined);
    return next;
  }

  async logMetrics(metrics: MlflowMetric[]): Promise<void> {
    this.assertWritable();
    for (const m of metrics) {
      const cur = this.latest.get(m.key);
      // MLflow's latest metric: highest step, then latest timestamp, then largest value.
      if (
        !cur ||
        m.step > cur.step ||
        (m.step === cur.step && (m.timestamp > cur.timestamp || (m.timestamp === cur.timestamp && m.value > cur.value)))
      )
        this.latest.set(m.key, m);
    }
    await this.writer.append(metrics.map((m) => ({ k: m.key, v: m.value, s: m.step, t: m.timestamp })));
  }

  /** Checks every param first (MLflow params never change once logged), then records the new ones. */
  async logParams(params: Array<{ key: string; value: string }>): Promise<void> {
    this.assertWritable();
    for (const p of params) {
      const old = this.params.get(p.key);
      if (this.loggedParams.has(p.key) && old !== p.value) {
        throw invalidParameter(
          `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${old}' for run ID='${this.id}'. Attempted logging new value '${p.value}'.`,
        );
      }
    }
    const lines = [];
    for (const p of params) {
      this.loggedParams.add(p.key);
      if (this.params.get(p.key) === p.value) continue;
      const launched = this.launchParams.get(p.key);
      // The launch value stays typed (a number, for Compare) when the script logs the same number.
      if (launched !== undefined && p.value.trim() !== '' && Number(launched) === Number(p.value)) continue;
      this.params.set(p.key, p.value);
      lines.push({ type: 'param', k: p.key, v: p.value });
    }
    await this.appendFile(LOGGED_FILE, lines);
  }

  async setTags(tags: Array<{ key: string; value: string }>): Promise<void> {
    this.assertWritable();
    for (const t of tags) this.tags.set(t.key, t.value);
    await this.appendFile(
      LOGGED_FILE,
      tags.map((t) => ({ type: 'tag', k: t.key, v: t.value })),
    );
  }

  async logInputs(datasets: unknown[]): Promise<void> {
    this.assertWritable();
    this.inputs.push(...datasets);
    await this.appendFile(INPUTS_FILE, datasets);
  }

  /** Records an uploaded file (already under the run's artifacts/ folder) so the run lists it with its sha256 when it ends. */
  async recordArtifact(artifactPath: string, stored: string): Promise<void> {
    this.assertWritable();
    await this.appendFile(LOGGED_FILE, [{ type: 'artifact', path: artifactPath, stored }]);
  }

  /** Pending file writes and metrics, flushed. */
  async flush(): Promise<void> {
    await this.files;
    await this.writer.append([]);
  }

  /** Refuses every later write. For the launched run: once its child has exited. */
  seal(): void {
    this.ended = true;
  }

  /** Ends a run the endpoint owns: metrics closed, logged params/tags/artifacts merged, summary written. */
  async finish(status: Exclude<MlflowStatus, 'RUNNING' | 'SCHEDULED'>, endTime: number, error?: string): Promise<void> {
    if (this.kind !== 'owned' || this.ended) return;
    this.ended = true;
    this.mlflowStatus = status;
    this.mlflowEndTime = endTime;
    const run = this.run;
    await this.files;
    try {
      await this.writer.close();
    } catch (e) {
      this.logger.warn(`Run ${run.id}: writing MLflow metrics failed: ${(e as Error).message}`);
    }
    run.status = RUN_STATUS_OF[status];
    run.endTime = endTime;
    run.durationMs = endTime - (run.startTime ?? endTime);
    if (error) run.error = error;
    try {
      const logged = await readLogged(this.dir);
      run.params = { ...run.params, ...logged.params };
      run.tags = { ...run.tags, ...logged.tags };
      const artifacts: FileRecord[] = [];
      for (const a of logged.artifacts) {
        if (!a.stored) continue;
        const rec = await fileRecord(await resolveInside(this.dir, a.stored), run.cwd || this.dir);
        artifacts.push({ path: recordedPath(a.path, run.cwd || this.dir), sha256: rec.sha256, size: rec.size, stored: a.stored });
      }
      run.artifacts = artifacts;
      run.metrics = summarizeMetrics((await readMetrics(this.dir)).series);
    } catch (e) {
      this.logger.warn(`Run ${run.id}: recording what MLflow logged failed: ${(e as Error).message}`);
    }
    await this.store.writeRun(run);
  }
}
