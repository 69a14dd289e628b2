import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { launchRun, type LaunchOptions } from '../runs/launchRun';
import type { Params, Run } from '../runs/runTypes';

/** One trial a study wants run: an ordinary run with these params, name, experiment and tags. */
export interface TrialRequest {
  /** Optuna's trial number. */
  trial: number;
  params: Params;
  name: string;
  experiment: string;
  tags: Record<string, string>;
}

/**
 * A started trial. `dir` is the local run folder: the study reads the trial's intermediate objective from its
 * metrics.jsonl and the driver writes the prune signal there, so a target that runs trials elsewhere tails the
 * metrics into it and forwards the signal.
 */
export interface TrialHandle {
  readonly id: string;
  readonly dir: string;
  /** The final run (status `pruned` when it ended on the prune signal). Never rejects. */
  readonly done: Promise<Run>;
  stop(graceMs?: number): Promise<Run>;
}

/** Starts a trial where it should run; the study only ever calls this. Throws when it cannot start. */
export type TrialLauncher = (request: TrialRequest, signal?: AbortSignal) => Promise<TrialHandle>;

/** What every trial shares when run on this machine: LaunchOptions without what the study decides per trial. */
export type LocalTrialBase = Omit<LaunchOptions, 'params' | 'runId' | 'name' | 'experiment' | 'tags'> & { params?: Params };

/** Trials as local child processes through launchRun (the same runs as `mlw run` and grid sweeps). `base.params` are under the trial's. */
export function localTrialLauncher(base: LocalTrialBase, logger: Logger = silentLogger, launch = launchRun): TrialLauncher {
  return (request, signal) =>
    launch(
      {
        ...base,
        params: { ...(base.params ?? {}), ...request.params },
        name: request.name,
        experiment: request.experiment,
        tags: request.tags,
      },
      logger,
      signal,
    );
}
