import type { Logger } from '../../logger';
import type { ParamArgStyle, ParamsMode } from '../../runs/buildChildCommand';
import type { RunStore } from '../../runs/RunStore';
import type { Params, Run } from '../../runs/runTypes';
import type { KubernetesTarget, RunTargetState } from '../targetTypes';

/** The local folder of a run holding the model files it wrote (the same as attachRemoteRun's OUTPUTS_DIR). */
export const K8S_OUTPUTS_DIR = 'outputs';

/** What attachKubernetesRun takes: attachRemoteRun's options (it hands them on), the target narrowed. */
export interface KubernetesAttachOptions {
  store: RunStore;
  runId: string;
  target: KubernetesTarget;
  pollMs?: number;
  onOutput?: (text: string) => void;
  onState?: (state: RunTargetState) => void;
  snapshotMaxBytes?: number;
  logger?: Logger;
  /** The kubectl executable; default the one on PATH. */
  kubectl?: string;
}

/** What submitKubernetesRun takes: submitRemoteRun's options (it hands them on), the target narrowed. */
export interface KubernetesLaunchOptions extends Omit<KubernetesAttachOptions, 'runId'> {
  script: string;
  args?: string[];
  params?: Params;
  paramsMode?: ParamsMode;
  paramArgStyle?: ParamArgStyle;
  experiment?: string;
  name?: string;
  cwd?: string;
  tags?: Record<string, string>;
  notes?: string;
  helperDir?: string;
  signal?: AbortSignal;
}

/** The same shape as attachRemoteRun's RemoteRunHandle. */
export interface KubernetesRunHandle {
  readonly id: string;
  readonly dir: string;
  readonly run: Run;
  readonly done: Promise<Run>;
  stop(): Promise<Run>;
  detach(): Promise<void>;
}
