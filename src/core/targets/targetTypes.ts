import type { ScalarCaptureOptions } from '../runs/ScalarCapture';
/**
 * Compute targets: where a run executes. Declared in `.mlw/targets.yaml` (in git, shared by the team) and in the
 * `mlWorkbench.targets` setting (the setting wins for a name declared in both):
 *
 *   targets:
 *     gpu-box: { kind: ssh, host: gpubox, workdir: ~/mlw-runs, python: /usr/bin/python3 }
 *     cluster: { kind: slurm, host: login1, partition: gpu, gpus: 1, cpus: 8, mem: 32G, time: "04:00:00", sbatch: ["--account=ml"] }
 *
 * `host` is an alias of the user's ssh config or a host name, reached through the system OpenSSH client.
 */

export type TargetKind = 'ssh' | 'slurm' | 'docker' | 'kubernetes';
export const TARGET_KINDS: readonly TargetKind[] = ['ssh', 'slurm', 'docker', 'kubernetes'];

/** How to reach a host over OpenSSH. */
export interface SshEndpoint {
  /** An alias of the ssh config, or a host name. */
  host: string;
  port?: number;
  user?: string;
  /** A private key file (`ssh -i`); `~` is expanded. */
  identityFile?: string;
  /** An ssh config file passed with `-F`; `~` is expanded, relative paths are against the workspace. */
  sshConfig?: string;
  /** Share one connection between the calls of a run (`ControlMaster=auto`, `ControlPersist`). Default false. */
  controlMaster?: boolean;
  /** Seconds to wait for a connection. Default 10. */
  connectTimeout?: number;
}

interface TargetBase {
  name: string;
  /** Where the target was declared, for messages: `.mlw/targets.yaml:3` or `setting mlWorkbench.targets`. */
  origin: string;
  /** Folder on the host holding one folder per run. Default `~/mlw-runs`. */
  workdir: string;
  /** The interpreter on the host. Default `python3`. */
  python: string;
  /** Extra environment variables for the run on the host. */
  env: Record<string, string>;
}

export interface SshTarget extends TargetBase {
  kind: 'ssh';
  ssh: SshEndpoint;
}

export interface SlurmTarget extends TargetBase {
  kind: 'slurm';
  /** The login node; undefined: sbatch, squeue and scancel run on this machine. */
  ssh?: SshEndpoint;
  partition?: string;
  account?: string;
  /** GPUs per job, as `--gres=gpu:N` (or `gpu:TYPE:N` when a string with a colon). */
  gpus?: number | string;
  cpus?: number;
  /** `--mem`, e.g. `32G`. */
  mem?: string;
  /** `--time`, e.g. `04:00:00`. */
  time?: string;
  /** Extra sbatch options, one per element (`--qos=high`), written as `#SBATCH` lines. */
  sbatch: string[];
}

/** Declared but not runnable from here yet (issue 15's later parts): listed, refused by `run`. */
export interface OtherTarget extends TargetBase {
  kind: 'docker';
  options: Record<string, unknown>;
}

/** A Kubernetes Job per run (an Indexed Job for a sweep), applied with kubectl: see kubernetes/renderRunJob.ts. */
export interface KubernetesTarget extends TargetBase {
  kind: 'kubernetes';
  namespace: string;
  /** The image the run's container starts from; it must hold `python` (the code and the helper are brought in). */
  image: string;
  /** `nvidia.com/gpu` limit per pod. */
  gpus?: number;
  /** The kubeconfig context (`kubectl --context`); default the current one. */
  context?: string;
  /** Requests and limits, as Kubernetes quantities: `4`, `500m`, `16Gi`. */
  cpu?: string;
  memory?: string;
  serviceAccount?: string;
  nodeSelector?: Record<string, string>;
  /** The Job's activeDeadlineSeconds: the run ends as DeadlineExceeded past it. */
  activeDeadlineSeconds?: number;
}

export type Target = SshTarget | SlurmTarget | OtherTarget | KubernetesTarget;

/** What a run records about the target it ran on (run.json `target`), enough to re-attach after a restart. */
export interface RunTargetState {
  name: string;
  kind: TargetKind;
  /** The host, `localhost` for a local SLURM. */
  host: string;
  /** The run's folder on the host (absolute, `~` expanded by the host). */
  remoteDir: string;
  /** SLURM job id, or the pid of the detached process group on an ssh host. */
  jobId?: string;
  /** A trial of a sweep's Indexed Job (kubernetes): its completion index in the Job `jobId`. */
  index?: number;
  /** Scheduler state: PENDING, RUNNING, COMPLETING… (SLURM), RUNNING (ssh). */
  state?: string;
  /** Why a job waits or ended (SLURM's Reason: Resources, Priority, TimeLimit, NodeFail…). */
  reason?: string;
  /** The node the job runs on. */
  node?: string;
  /** Epoch ms of the last answer from the host. */
  lastContact?: number;
  /** Epoch ms since when the host does not answer; absent while it does. */
  unreachableSince?: number;
  /** Bytes of the remote metrics.jsonl and stdout.log already copied into the local run. */
  offsets?: { metrics: number; output: number };
  /** Printed-scalar capture for this run (CLI flags or settings at submit), kept so a re-attach reads stdout.log alike. */
  scalars?: ScalarCaptureOptions;
}

/** What `mlw targets check` reports for a target, item by item. */
export interface TargetCheckItem {
  name: 'reachable' | 'interpreter' | 'scheduler' | 'gpus' | 'workdir' | 'engine' | 'image';
  ok: boolean;
  detail: string;
}

export interface TargetCheck {
  target: string;
  ok: boolean;
  items: TargetCheckItem[];
}
