/** A dvc.yaml read and expanded (see readPipeline.ts), and its dvc.lock. Paths are POSIX, relative to the stage's wdir. */

export interface StageOut {
  path: string;
  kind: 'out' | 'metric' | 'plot';
  /** DVC's `cache` flag (default true); ML Workbench keeps no DVC cache either way. */
  cache: boolean;
  persist: boolean;
}

export interface ParamSpec {
  /** Params file relative to the stage's wdir (default params.yaml). */
  file: string;
  /** Dotted keys; null: every top-level key of the file. */
  keys: string[] | null;
}

export interface PipelineStage {
  /** The stage's name in dvc.lock: `train`, or `train@cnn-f1` for a foreach/matrix expansion. */
  name: string;
  /** The dvc.yaml entry a foreach/matrix stage was expanded from. */
  group?: string;
  /** A shell command line (DVC runs each with the shell), or several run in order. */
  cmd: string | string[];
  /** Working directory, relative to the folder of dvc.yaml ('.' by default). */
  wdir: string;
  deps: string[];
  params: ParamSpec[];
  outs: StageOut[];
  frozen: boolean;
  alwaysChanged: boolean;
  desc?: string;
}

export interface Pipeline {
  /** Absolute folder holding dvc.yaml. */
  root: string;
  stages: PipelineStage[];
}

export interface LockedFile {
  path: string;
  md5?: string;
  size?: number;
  nfiles?: number;
  hash?: string;
}

export interface LockedStage {
  cmd: string | string[];
  deps?: LockedFile[];
  /** params file -> key -> value, as dvc.lock records them. */
  params?: Record<string, Record<string, unknown>>;
  outs?: LockedFile[];
}

export type Lock = Record<string, LockedStage>;
