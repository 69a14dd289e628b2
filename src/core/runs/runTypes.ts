/**
 * The shape of an experiment run, shared by the run store, the launcher, the MLflow reader,
 * the CLI and (through the extension) the runs views. Plain data only.
 *
 * On disk, a run is a folder `.mlw/runs/<run-id>/`:
 *   run.json       this `Run` object (written atomically: tmp file + rename); never changes once the run has ended
 *   meta.json      the user's later edits of name, experiment, tags and notes, applied on read (see runMeta.ts)
 *   metrics.jsonl  append-only, one line per point: {"k":name,"v":value,"s":step,"t":epoch ms}
 *   logged.jsonl   append-only, what the script declared through the Python helper:
 *                  {"type":"param","k":..,"v":..} | {"type":"tag","k":..,"v":..} | {"type":"artifact","path":..,"copied":bool}
 *                  | {"type":"error","message":..} (why the script failed, e.g. the notebook driver's failing cell)
 *   stdout.log     the child's stdout and stderr, interleaved as received
 *   git.patch      `git diff HEAD` at launch, when the tree was dirty
 *   heartbeat      touched by the process that owns a running run (see processLiveness.ts)
 *   prune-requested  a sweep's Optuna driver wants this trial to stop (status pruned)
 *   artifacts/     files copied into the run (log_artifact(path, copy=True))
 *   snapshots/     readable names (hard links) of the run's artifact snapshots, made when one is opened
 *
 * Artifacts are snapshotted into `.mlw/blobs/sha256/ab/cdef…<ext>` (content-addressed, read-only; see
 * RunStore.snapshotArtifact); `mlw gc` removes the blobs no run.json references.
 * `.mlw/runs/experiments.json` lists the experiments made before they have runs (see experiments.ts).
 */

import type { RunTargetState } from '../targets/targetTypes';

/** `pruned`: a sweep trial its study stopped early because its objective fell behind (see core/sweeps); its data is kept. */
export type RunStatus = 'queued' | 'running' | 'finished' | 'failed' | 'stopped' | 'interrupted' | 'pruned';

export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'finished', 'failed', 'stopped', 'interrupted', 'pruned'];

/** A parameter value after flattening (nested keys joined with dots). */
export type ParamValue = string | number | boolean | null;
export type Params = Record<string, ParamValue>;

/** A file that went into or came out of a run. `path` is relative to the run's cwd when inside it, else absolute. */
export interface FileRecord {
  path: string;
  sha256: string;
  size: number;
  /**
   * Where the run's bytes are kept. For artifacts of ML Workbench runs: the snapshot in the content-addressed store,
   * relative to the workspace (`.mlw/blobs/sha256/ab/cdef….onnx`, read-only, never changed by a later run). Runs
   * recorded before snapshots: a copy relative to the run folder (`artifacts/model.onnx`). MLflow runs: the absolute
   * file MLflow keeps. See snapshot/locateArtifact.ts.
   */
  stored?: string;
  /** `skipped-too-large`: larger than the snapshot limit (mlWorkbench.runs.snapshotMaxBytes), so recorded by sha256 and size only. */
  snapshot?: 'skipped-too-large';
}

export interface GitInfo {
  commit: string | null;
  branch: string | null;
  /** Tracked changes or untracked files outside `.mlw/`. */
  dirty: boolean;
  /** sha256 of `git diff HEAD` (null when clean). */
  diffHash: string | null;
  /** Name of the saved patch inside the run folder (null when clean). */
  patchFile: string | null;
}

/** Summary of one metric, written into run.json when the run ends so listing needs no metrics file. */
export interface MetricSummary {
  last: number;
  /** Step of the last point. */
  step: number;
  min: number;
  max: number;
  count: number;
}

/** Who owns a running run: enough to tell later whether it is still alive (see processLiveness.ts). */
export interface ProcessIdentity {
  pid: number;
  host: string;
  /** Linux /proc/sys/kernel/random/boot_id; changes on reboot. */
  bootId?: string;
  /** Linux /proc/<pid>/stat start time (clock ticks since boot): tells a reused pid apart. */
  startTicks?: number;
}

export interface RunOwner {
  /** The process that records the run's outcome (launcher, or the Python helper in standalone mode). */
  launcher: ProcessIdentity;
  /** The training process, once spawned. */
  child?: ProcessIdentity;
}

export type RunSource = 'mlw' | 'mlflow-file' | 'mlflow-sqlite' | 'mlflow-server' | 'tensorboard';

export interface Run {
  schema: 1;
  id: string;
  source: RunSource;
  name: string;
  experiment: string;
  /** Full argument vector, interpreter first. Never a shell string. */
  command: string[];
  interpreter: string | null;
  cwd: string;
  params: Params;
  status: RunStatus;
  exitCode: number | null;
  signal: string | null;
  pid: number | null;
  /** Epoch milliseconds. */
  startTime: number | null;
  endTime: number | null;
  durationMs: number | null;
  git: GitInfo | null;
  dataInputs: FileRecord[];
  artifacts: FileRecord[];
  tags: Record<string, string>;
  notes: string;
  /** Last/min/max per metric; filled when the run ends. */
  metrics?: Record<string, MetricSummary>;
  owner?: RunOwner;
  /** Launcher-side failure (interpreter vanished, spawn error), or why a run was interrupted. */
  error?: string;
  /** Last lines of output of a failed run, so the failure is visible without opening stdout.log. */
  outputTail?: string;
  /** Enqueue time for queued runs (epoch ms). */
  createdTime?: number;
  /** The run this one is nested under (an MLflow child run: `mlflow.start_run(nested=True)` inside a launched run). */
  parentId?: string;
  /** A run of an MLflow tracking server (source `mlflow-server`): the server it was read from and its experiment there. */
  remote?: { url: string; experimentId: string };
  /** A run on a compute target (ssh host, SLURM job): where it runs and what the host last said (see core/targets/). */
  target?: RunTargetState;
}

/** One deployment of the model a run produced, from the workspace's lineage log (see runDeployments.ts). */
export interface RunDeployment {
  /** Local time, `YYYY-MM-DD HH:MM:SS`. */
  at: string;
  kind: string;
  /** Image reference, pushed reference, container id or endpoint. */
  target: string;
  /** Digest, image id, model path and hash: whatever the record holds. */
  detail: string;
}

export const RUN_FILE = 'run.json';
export const METRICS_FILE = 'metrics.jsonl';
export const LOGGED_FILE = 'logged.jsonl';
export const OUTPUT_FILE = 'stdout.log';
/** A running child's own stdout and stderr, merged into OUTPUT_FILE as they grow and removed when it ends. */
export const RAW_STDOUT = '.child-stdout';
export const RAW_STDERR = '.child-stderr';
export const PATCH_FILE = 'git.patch';
export const HEARTBEAT_FILE = 'heartbeat';
export const ARTIFACTS_DIR = 'artifacts';
/** Written into a running trial's folder by the study's Optuna driver when the trial should stop (the Python helper ends the run there). */
export const PRUNE_FILE = 'prune-requested';

/** One metric point as written to metrics.jsonl. */
export interface MetricPoint {
  k: string;
  v: number;
  s: number;
  t: number;
}
