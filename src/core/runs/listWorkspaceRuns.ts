import * as path from 'node:path';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { findMlflowRunDir, readMlflowMetrics, readMlflowRuns } from './mlflowStore';
import { readMetrics, type MetricSeries } from './readMetrics';
import { RunStore } from './RunStore';
import type { Run } from './runTypes';

/** MLflow's default file store location in a workspace. */
export const MLFLOW_DIR = 'mlruns';

export interface WorkspaceRunsOptions {
  logger?: Logger;
  signal?: AbortSignal;
  /** Also read `<workspace>/mlruns`. Default true. */
  mlflow?: boolean;
  /** Reuse a store (and its cache) instead of making one. */
  store?: RunStore;
}

/** Runs of the workspace: ML Workbench runs, then MLflow runs, each newest first. */
export async function listWorkspaceRuns(workspace: string, options: WorkspaceRunsOptions = {}): Promise<Run[]> {
  const store = options.store ?? new RunStore(workspace, options.logger ?? silentLogger);
  const [own, mlflow] = await Promise.all([
    store.listRuns({ signal: options.signal }),
    options.mlflow === false ? Promise.resolve([]) : readMlflowRuns(path.join(workspace, MLFLOW_DIR), { logger: options.logger }),
  ]);
  return [...own, ...mlflow];
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
export async function readRunMetrics(workspace: string, run: Run, store?: RunStore): Promise<Map<string, MetricSeries>> {
  if (run.source === 'mlflow') {
    const dir = await findMlflowRunDir(path.join(workspace, MLFLOW_DIR), run.id);
    return dir ? readMlflowMetrics(dir) : new Map();
  }
  const s = store ?? new RunStore(workspace);
  return (await readMetrics(s.runDir(run.id))).series;
}
