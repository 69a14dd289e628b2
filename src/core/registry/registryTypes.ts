/**
 * The model registry's data, kept in `<workspace>/.mlw/registry/<name>.json`, one file per registered model, so a
 * registration or an alias move is a small, reviewable diff in git. Plain data only.
 */

/** One tensor of a version's signature, from the ONNX graph (see onnx/summarizeModel.ts). */
export interface SignatureTensor {
  name: string;
  /** ONNX type text, e.g. `tensor(float)`. */
  type: string;
  /** Sizes, symbolic names, null for unknown dims; absent when the rank is unknown. */
  shape?: Array<number | string | null>;
}

export interface VersionSource {
  /** `run`: an artifact of a tracked run; `file`: a model file registered by path. */
  kind: 'run' | 'file';
  /** The run the file came from: the run given, or for a file the run that logged the same sha256. */
  runId: string | null;
  /** The artifact's path as the run recorded it (runs only). */
  artifact?: string;
}

/** Latency figures of a recorded benchmark (`<model>.bench.json` beside the file, as `mlw bench --json` prints). */
export interface BenchmarkFigures {
  p50_ms: number;
  p99_ms: number;
  /** Where the figures come from, relative to the workspace. */
  file: string;
}

export interface ModelVersion {
  version: number;
  /** ISO time of registration. */
  registeredAt: string;
  registeredBy: string;
  source: VersionSource;
  /** The model file, relative to the workspace when inside it (a run's snapshot under .mlw/blobs/), else absolute. */
  path: string;
  sha256: string;
  sizeBytes: number;
  signature: { inputs: SignatureTensor[]; outputs: SignatureTensor[] } | null;
  /** The source run's metrics (last value of each), sorted by name. */
  metrics: Record<string, number>;
  /** Set when the file is an optimised variant: the recipe and its parent's sha256 (see optimize/variantKeys.ts). */
  recipe: { recipe: string; parentSha256: string | null } | null;
  benchmark: BenchmarkFigures | null;
  /** The source run's data inputs (`mlw run --data FILE`): a champion-relative gate compares only on the same data. */
  dataInputs?: Array<{ path: string; sha256: string }>;
  /**
   * Set when the file is an out of a fresh dvc.yaml stage: that stage, and the metrics files of the pipeline's fresh
   * stages its metrics were read from (paths relative to the folder of dvc.yaml).
   */
  pipeline?: { stage: string; metricsFrom: Array<{ file: string; stage: string; keys: string[] }> };
  /**
   * Evaluations of the version's file on a named data set (e.g. the held-out rows of `mlw registry retrain`, run
   * through onnxruntime as serving does): a champion-relative gate compares on one both versions have, by sha256.
   */
  evaluations?: ModelEvaluation[];
  notes: string;
  /** Tags set through the MLflow REST API of `mlw mlflow-server` (model-versions/create, set-tag). */
  tags?: Record<string, string>;
  /** The `source` URI an MLflow client gave when it created this version through `mlw mlflow-server`. */
  sourceUri?: string;
  /** Where this version is mirrored on an MLflow tracking server: the server's URL and the number it gave it. */
  mlflow?: MlflowMirrorRef;
}

/** A local version's copy in the Model Registry of an MLflow tracking server (its own version number, a string). */
export interface MlflowMirrorRef {
  uri: string;
  version: string;
}

/** One evaluation of a version's model file on one data set. */
export interface ModelEvaluation {
  /** The data: a folder or file relative to the workspace, and the sha256 that identifies its content. */
  data: { path: string; sha256: string };
  /** ISO time. */
  at: string;
  /** e.g. accuracy, roc_auc, and rows (how many rows were evaluated). */
  metrics: Record<string, number>;
}

/** The outcome of one promotion gate, with the numbers it compared. */
export interface GateResult {
  gate: string;
  passed: boolean;
  /** e.g. `accuracy 0.72 < 0.8`, or why the figure is missing. */
  detail: string;
}

/** `delete`: an MLflow client deleted the alias through `mlw mlflow-server` (`to` is the version it pointed to). */
export type AliasAction = 'register' | 'alias' | 'promote' | 'rollback' | 'delete';

/** One move of an alias: append-only. */
export interface AliasMove {
  alias: string;
  /** The version the alias pointed to before (null when new). */
  from: number | null;
  to: number;
  action: AliasAction;
  at: string;
  by: string;
  /** Promotions: the gates evaluated, and whether `--force` overrode failing ones. */
  gates?: GateResult[];
  forced?: boolean;
}

export interface RegisteredModel {
  schema: 1;
  name: string;
  /** Alias -> version, sorted by alias. */
  aliases: Record<string, number>;
  versions: ModelVersion[];
  aliasHistory: AliasMove[];
  /** Set through the MLflow REST API of `mlw mlflow-server` (registered-models/create, update, set-tag). */
  description?: string;
  tags?: Record<string, string>;
  /** ISO times, recorded when the model is created or changed through that API (else derived from versions and moves). */
  createdAt?: string;
  updatedAt?: string;
}

export const CHAMPION = 'champion';
export const CHALLENGER = 'challenger';

/** A registered model's name: it names the file, so letters, digits and `._-`, starting with a letter or digit. */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** An alias: a word (letters, digits, `_-`), starting with a letter, not a number (that would read as a version). */
export const ALIAS_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
