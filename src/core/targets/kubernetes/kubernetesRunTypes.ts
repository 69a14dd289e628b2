import type { AttachOptions, RemoteLaunchOptions, RemoteRunHandle } from '../remoteRunTypes';
import type { KubernetesTarget } from '../targetTypes';

/** What the kubernetes modules add to every remote run's options: the target narrowed, and which kubectl to run. */
interface KubernetesExtras {
  target: KubernetesTarget;
  /** The kubectl executable; default the one on PATH. */
  kubectl?: string;
}

/** What attachKubernetesRun takes: attachRemoteRun's options (it hands them on), the target narrowed. */
export type KubernetesAttachOptions = Omit<AttachOptions, 'target'> & KubernetesExtras;

/** What submitKubernetesRun takes: submitRemoteRun's options (it hands them on), the target narrowed. */
export type KubernetesLaunchOptions = Omit<RemoteLaunchOptions, 'target'> & KubernetesExtras;

export type KubernetesRunHandle = RemoteRunHandle;
