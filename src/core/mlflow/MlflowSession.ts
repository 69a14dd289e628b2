import * as path from 'node:path';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { MetricsWriter } from '../runs/MetricsWriter';
import { processIdentity } from '../runs/processLiveness';
import type { RunStore } from '../runs/RunStore';
import { newRunId } from '../runs/runId';
import { METRICS_FILE, type Run } from '../runs/runTypes';
import { doesNotExist, invalidParameter } from './mlflowErrors';
import { ExperimentRegistry, type MlflowExperiment } from './mlflowExperiments';
import { TrackedRun } from './TrackedRun';

export const PARENT_RUN_TAG = 'mlflow.parentRunId';
export const RUN_NAME_TAG = 'mlflow.runName';

export interface SessionOptions {
  store: RunStore;
  logger?: Logger;
  /** The run launchRun started, and the writer of its metrics file. Absent: standalone (every created run is new). */
  launched?: { run: Run; writer: MetricsWriter };
}

export interface CreateRunInput {
  experimentId?: string;
  runName?: string;
  startTime?: number;
  tags: Array<{ key: string; value: string }>;
}

/**
 * The state behind one endpoint: its experiments, the runs it writes (the launched run and the
 * runs the script created), and the rules that map MLflow's runs onto ML Workbench's.
 *
 *   - `mlflow.start_run()` with MLFLOW_RUN_ID set resumes the launched run (runs/get, runs/update).
 *   - The first runs/create without `mlflow.parentRunId` (MlflowClient.create_run, Lightning's
 *     MLFlowLogger) also becomes the launched run.
 *   - Any later runs/create, and every one with `mlflow.parentRunId`, is a child run: a run of its
 *     own in the run store with `parentId` (the parent named by the tag, else the launched run).
 *   - An experiment the script picks (set_experiment, or runs/create's experiment_id) before it
 *     first touches the launched run becomes the launched run's experiment, so MLflow's check that
 *     the active experiment matches MLFLOW_RUN_ID's passes.
 */
export class MlflowSession {
  readonly store: RunStore;
  readonly experiments: ExperimentRegistry;
  readonly logger: Logger;
  readonly launched: TrackedRun | undefined;
  private readonly reopening = new Map<string, Promise<TrackedRun>>();
  private readonly runs = new Map<string, TrackedRun>();
  private adopted = false;
  private pickedExperiment: MlflowExperiment | undefined;

  constructor(options: SessionOptions) {
    this.store = options.store;
    this.logger = options.logger ?? silentLogger;
    this.experiments = new ExperimentRegistry(options.store);
    if (options.launched) {
      const { run, writer } = options.launched;
      const exp = this.experiments.ensure(run.experiment);
      this.launched = new TrackedRun(this.store, run, writer, 'launched', exp.experiment_id, this.logger);
      this.runs.set(run.id, this.launched);
    }
  }

  /** Called for experiments the script names (get-by-name, create): the last one before adoption is its pick. */
  noteExperiment(exp: MlflowExperiment): void {
    if (!this.adopted) this.pickedExperiment = exp;
  }

  private adopt(experiment?: MlflowExperiment): void {
    const launched = this.launched;
    if (!launched || this.adopted) return;
    this.adopted = true;
    const exp = experiment ?? this.pickedExperiment;
    if (exp && exp.name !== launched.run.experiment) {
      this.logger.info(`Run ${launched.id}: the script logs into MLflow experiment '${exp.name}'; the run moves there`);
      launched.run.experiment = exp.name;
      launched.experimentId = exp.experiment_id;
      void this.store.writeRun(launched.run).catch((e) => this.logger.warn(`Run ${launched.id}: ${(e as Error).message}`));
    }
  }

  /** A run this endpoint writes into, or the MLflow error a client would get. */
  async writable(id: string): Promise<TrackedRun> {
    const tracked = this.runs.get(id);
    if (tracked) {
      if (tracked === this.launched) this.adopt();
      tracked.assertWritable();
      return tracked;
    }
    const stored = await this.readStoreRun(id);
    if (!this.launched && stored.status === 'running' && !stored.owner) return this.reopen(stored);
    if (stored.status === 'running' || stored.status === 'queued') {
      throw invalidParameter(`The run ${id} is recorded by another process (pid ${stored.owner?.launcher.pid ?? '?'}); log to it there.`);
    }
    throw invalidParameter(
      `The run ${id} must be in the 'active' state. Current state is ${stored.status}: a run's records never change after it ends.`,
    );
  }

  /**
   * A run a client of an earlier `mlw mlflow-server` on this store created and has not ended: as
   * on MLflow's own server, it stays active across restarts of the server and takes writes again.
   */
  private reopen(stored: Run): Promise<TrackedRun> {
    let opening = this.reopening.get(stored.id);
    if (!opening) {
      opening = (async () => {
        const writer = await MetricsWriter.open(path.join(this.store.runDir(stored.id), METRICS_FILE));
        const experimentId = this.experiments.ensure(stored.experiment).experiment_id;
        const tracked = new TrackedRun(this.store, stored, writer, 'owned', experimentId, this.logger);
        this.runs.set(stored.id, tracked);
        return tracked;
      })();
      this.reopening.set(stored.id, opening);
      void opening.finally(() => this.reopening.delete(stored.id)).catch(() => undefined);
    }
    return opening;
  }

  /** A run to read: one of this endpoint's, else any run in the store. */
  async readable(id: string): Promise<TrackedRun | Run> {
    const tracked = this.runs.get(id);
    if (tracked) {
      if (tracked === this.launched) this.adopt();
      return tracked;
    }
    return this.readStoreRun(id);
  }

  private async readStoreRun(id: string): Promise<Run> {
    let run: Run | undefined;
    try {
      run = await this.store.readRun(id);
    } catch {
      run = undefined; // an id that cannot name a run folder names no run
    }
    if (!run) throw doesNotExist(`Run with id=${id} not found`);
    return run;
  }

  tracked(): TrackedRun[] {
    return [...this.runs.values()];
  }

  async createRun(input: CreateRunInput): Promise<TrackedRun> {
    const exp = input.experimentId !== undefined ? await this.experiments.get(input.experimentId) : undefined;
    const parentTag = input.tags.find((t) => t.key === PARENT_RUN_TAG)?.value;
    const launched = this.launched;
    if (launched && !parentTag && !this.adopted) {
      this.adopt(exp);
      launched.assertWritable();
      await launched.setTags(input.tags);
      return launched;
    }
    let parent: TrackedRun | undefined;
    if (parentTag) {
      parent = this.runs.get(parentTag);
      if (!parent) await this.readable(parentTag); // 404 for an unknown parent; a run of the store is not ours to nest under
      if (!parent)
        throw invalidParameter(`Parent run ${parentTag} was not created through this endpoint; nest runs under the launched run.`);
    } else parent = launched;
    const experiment = exp ?? (parent ? await this.experiments.get(parent.experimentId) : this.experiments.ensure('Default'));
    const id = newRunId();
    const base = parent?.run;
    const name =
      input.runName ||
      input.tags.find((t) => t.key === RUN_NAME_TAG)?.value ||
      (base ? `${base.name}/${this.childCount(base.id) + 1}` : id);
    const run = await this.store.createRun({
      id,
      name,
      experiment: experiment.name,
      status: 'running',
      startTime: input.startTime ?? Date.now(),
      command: base?.command ?? [],
      interpreter: base?.interpreter ?? null,
      cwd: base?.cwd ?? this.store.workspace,
      tags: Object.fromEntries(input.tags.map((t) => [t.key, t.value])),
      // A launch's runs live and die with its launcher; a standalone server's runs, as on MLflow's
      // server, are active until their client ends them, across restarts of the server.
      ...(launched ? { owner: { launcher: processIdentity() } } : {}),
      ...(base ? { parentId: base.id } : {}),
    });
    const writer = await MetricsWriter.open(path.join(this.store.runDir(id), METRICS_FILE));
    const tracked = new TrackedRun(this.store, run, writer, 'owned', experiment.experiment_id, this.logger);
    this.runs.set(id, tracked);
    return tracked;
  }

  private childCount(parentId: string): number {
    let n = 0;
    for (const r of this.runs.values()) if (r.run.parentId === parentId) n++;
    return n;
  }

  /**
   * The launch is over (its child exited): runs the script left open end with the launch's
   * outcome, and every run refuses later writes.
   */
  async close(outcome: { ok: boolean; detail?: string }): Promise<void> {
    for (const r of this.runs.values()) {
      if (r.kind === 'owned' && !r.isEnded) {
        await r
          .finish(
            outcome.ok ? 'FINISHED' : 'FAILED',
            Date.now(),
            outcome.ok ? undefined : `The script ended (${outcome.detail ?? 'failed'}) before it ended this MLflow run`,
          )
          .catch((e) => this.logger.warn(`Run ${r.id}: ${(e as Error).message}`));
      } else {
        await r.flush().catch(() => undefined);
        r.seal();
      }
    }
  }
}
