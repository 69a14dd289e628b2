import * as path from 'node:path';
import { existsSync } from 'node:fs';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { findMlflowRunDir, readMlflowMetrics, readMlflowRuns } from './mlflowStore';
import { readMlflowSqliteMetrics } from './mlflowSqlite/readMlflowSqliteMetrics';
import { readMlflowSqliteRuns } from './mlflowSqlite/readMlflowSqliteRuns';
import { readMetrics, type MetricSeries } from './readMetrics';
import { readServerRunMetrics } from '../mlflow/client/readServerRunMetrics';
import { RunStore } from './RunStore';
import { listTensorboardRuns, readTensorboardMetrics } from './tensorboard/tensorboardRuns';
import type { Run } from './runTypes';

/** MLflow's default file store location in a workspace. */
export const MLFLOW_DIR = 'mlruns';
/** MLflow's default store since it moved off the file store: an SQLite file in the working directory. */
export const MLFLOW_DB = 'mlflow.db';

export interface WorkspaceRunsOptions {
  logger?: Logger;
  signal?: AbortSignal;
  /** Also read `<workspace>/mlruns` and `<workspace>/mlflow.db`. Default true. */
  mlflow?: boolean;
  /** More MLflow SQLite stores to read (the CLI adds the one MLFLOW_TRACKING_URI names). */
  mlflowDbs?: readonly string[];
  /** Reuse a store (and its cache) instead of making one. */
  store?: RunStore;
  /** Also list folders holding TensorBoard event files (`events.out.tfevents.*`). Default true. */
  tensorboard?: boolean;
  /**
   * Unread event-file bytes a listing may parse per TensorBoard run to fill its metric summaries
   * (default 4 MiB: a larger run is listed from a stat and its first record). Infinity reads all.
   */
  tensorboardSummaryBytes?: number;
}

/** Runs of the workspace: ML Workbench runs, then MLflow runs, then TensorBoard runs, each newest first. */
export async function listWorkspaceRuns(workspace: string, options: WorkspaceRunsOptions = {}): Promise<Run[]> {
  const store = options.store ?? new RunStore(workspace, options.logger ?? silentLogger);
  const [own, mlflow, tensorboard] = await Promise.all([
    store.listRuns({ signal: options.signal }),
    options.mlflow === false ? Promise.resolve([]) : readMlflowStores(workspace, options),
    options.tensorboard === false
      ? Promise.resolve([])
      : listTensorboardRuns(workspace, { logger: options.logger, signal: options.signal, summaryBytes: options.tensorboardSummaryBytes }),
  ]);
  return [...own, ...mlflow, ...tensorboard];
}

/** The SQLite stores to read: the workspace's mlflow.db, then the extra ones, each once. */
function mlflowDbFiles(workspace: string, options: Pick<WorkspaceRunsOptions, 'mlflowDbs'>): string[] {
  return [...new Set([path.join(workspace, MLFLOW_DB), ...(options.mlflowDbs ?? []).map((f) => path.resolve(workspace, f))])];
}

/** MLflow runs of the workspace: its file store, then its SQLite stores (a run in two stores is listed once). */
async function readMlflowStores(workspace: string, options: WorkspaceRunsOptions): Promise<Run[]> {
  const lists = await Promise.all([
    readMlflowRuns(path.join(workspace, MLFLOW_DIR), { logger: options.logger }),
    ...mlflowDbFiles(workspace, options).map((f) => readMlflowSqliteRuns(f, { logger: options.logger })),
  ]);
  const seen = new Set<string>();
  return lists.flat().filter((r) => !seen.has(r.id) && !!seen.add(r.id));
}

export class RunNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunNotFoundError';
  }
}

/**
 * A run by id or unambiguous id prefix (at least 4 characters), from the workspace's store or its
 * MLflow store. Also accepts the run's name when exactly one run has it.
 */
export async function findRun(workspace: string, idOrName: string, options: WorkspaceRunsOptions = {}): Promise<Run> {
  const runs = await listWorkspaceRuns(workspace, options);
  const exact = runs.filter((r) => r.id === idOrName);
  if (exact.length === 1) return exact[0];
  const prefixed = idOrName.length >= 4 ? runs.filter((r) => r.id.startsWith(idOrName) || r.id.endsWith(idOrName)) : [];
  const named = runs.filter((r) => r.name === idOrName);
  const candidates = prefixed.length ? prefixed : named;
  if (candidates.length === 1) return candidates[0];
  if (candidates.length > 1)
    throw new RunNotFoundError(
      `"${idOrName}" matches ${candidates.length} runs: ${candidates
        .slice(0, 5)
        .map((r) => r.id)
        .join(', ')}${candidates.length > 5 ? ', ...' : ''}`,
    );
  throw new RunNotFoundError(`No run "${idOrName}" in ${workspace}`);
}

/** All metric series of a run, whichever store it comes from. */
export async function readRunMetrics(
  workspace: string,
  run: Run,
  store?: RunStore,
  options: Pick<WorkspaceRunsOptions, 'mlflowDbs'> = {},
): Promise<Map<string, MetricSeries>> {
  if (run.source === 'mlflow-sqlite') {
    for (const file of mlflowDbFiles(workspace, options)) {
      if (!existsSync(file)) continue;
      const series = await readMlflowSqliteMetrics(file, run.id);
      if (series) return series;
    }
    return new Map();
  }
  if (run.source === 'mlflow-file') {
    const dir = await findMlflowRunDir(path.join(workspace, MLFLOW_DIR), run.id);
    return dir ? readMlflowMetrics(dir) : new Map();
  }
  if (run.source === 'tensorboard') return readTensorboardMetrics(workspace, run);
  if (run.source === 'mlflow-server') return readServerRunMetrics(run);
  const s = store ?? new RunStore(workspace);
  return (await readMetrics(s.runDir(run.id))).series;
}
