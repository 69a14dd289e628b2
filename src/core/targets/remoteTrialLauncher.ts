import type { TrialLauncher } from '../sweeps/launchTrial';
import { submitRemoteRun, type RemoteLaunchOptions } from './submitRemoteRun';

/** What every trial of a study shares on a compute target: a remote run's options without what the study decides. */
export type RemoteTrialBase = Omit<RemoteLaunchOptions, 'name' | 'experiment' | 'tags' | 'signal'>;

/**
 * Trials of an Optuna study as remote runs on an ssh, SLURM, docker or kubernetes target (each its own job, container
 * or Job, submitted when the study asks for it). The study reads each trial's objective from the metrics tailed into
 * its local run folder; a prune signal the driver writes there is copied to the remote run folder, where the helper
 * ends the trial (`pruned`).
 */
export function remoteTrialLauncher(base: RemoteTrialBase): TrialLauncher {
  return (request, signal) =>
    submitRemoteRun({
      ...base,
      params: { ...(base.params ?? {}), ...request.params },
      name: request.name,
      experiment: request.experiment,
      tags: request.tags,
      signal,
    });
}
