/**
 * The shapes every kind of remote run shares (ssh, SLURM, docker, kubernetes): what following a run takes, what
 * starting one takes, and the handle both give back. Kept apart from attachRemoteRun and submitRemoteRun so that the
 * kind-specific modules they dispatch to can use them without an import cycle.
 */
import type { Logger } from '../logger';
import type { ParamArgStyle, ParamsMode } from '../runs/buildChildCommand';
import type { RunStore } from '../runs/RunStore';
import type { ScalarCaptureOptions } from '../runs/ScalarCapture';
import type { Params, Run } from '../runs/runTypes';
import type { RunTargetState, Target } from './targetTypes';

/** Local folder of a remote run holding the outputs copied back from its code folder (model files it wrote). */
export const OUTPUTS_DIR = 'outputs';

export interface AttachOptions {
  store: RunStore;
  runId: string;
  target: Target;
  /** Seconds between state polls. Default 2. */
  pollMs?: number;
  /** Told every piece of the run's output as it arrives. */
  onOutput?: (text: string) => void;
  /** Told when the run's target state changes (scheduler state, node, unreachable since). */
  onState?: (state: RunTargetState) => void;
  /** Artifacts larger than this are recorded by sha256 only (default 2 GiB; 0: no limit). */
  snapshotMaxBytes?: number;
  /** Where ControlMaster sockets go. */
  controlDir?: string;
  /** Printed-scalar capture, recorded in the run (a re-attach without it uses the recorded one). Default on. */
  scalars?: ScalarCaptureOptions;
  logger?: Logger;
}

export interface RemoteRunHandle {
  readonly id: string;
  readonly dir: string;
  readonly run: Run;
  /** Settles with the final run once the job has ended and its folder is synced back. Never rejects. */
  readonly done: Promise<Run>;
  /** Cancels the job (scancel, or TERM to the process group on an ssh host); the run ends as `stopped`. */
  stop(): Promise<Run>;
  /** Stops following without ending the run (this process goes away; the job goes on): attach again later. */
  detach(): Promise<void>;
}

export interface RemoteLaunchOptions extends Omit<AttachOptions, 'runId'> {
  /** The Python script, relative to `cwd` (or absolute inside it). */
  script: string;
  args?: string[];
  params?: Params;
  paramsMode?: ParamsMode;
  paramArgStyle?: ParamArgStyle;
  experiment?: string;
  name?: string;
  /** The local working directory; default the workspace. Its place in the repository is the run's cwd on the host. */
  cwd?: string;
  tags?: Record<string, string>;
  notes?: string;
  /** Default the shipped python/ folder. */
  helperDir?: string;
  signal?: AbortSignal;
}
