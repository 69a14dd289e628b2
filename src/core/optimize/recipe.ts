/**
 * One optimisation recipe: a named, self-contained rewrite of an ONNX model file into a new file. Recipes never
 * touch their input; optimizeModel chains them, checks every result in onnxruntime-node and keeps it only then.
 */
import type { ModelSummary } from '../onnx/modelSummary';

/** Whether a recipe can do something useful to a model; `reason` is one line for the user when it cannot. */
export type RecipeCheck = { ok: true } | { ok: false; reason: string };

/** Options every recipe receives; each reads only those it understands. */
export interface RecipeOptions {
  /** Quantise per output channel rather than per tensor (int8 recipes). */
  perChannel?: boolean;
  /** Block size of block-wise weight quantisation (int4/int8 weight-only recipes). */
  blockSize?: number;
  /** Calibration inputs of static quantisation (int8-static): a folder of .npy/.npz files, or one such file. */
  calibrate?: string;
  /** The evaluation inputs (a .npy file or a folder of NAME.npy); int8-static calibrates on them without `calibrate`. */
  eval?: string;
  /** How int8-static turns the observed activation values into ranges. Default 'minmax'. */
  calibration?: 'minmax' | 'percentile';
  /** With calibration 'percentile': the percentile kept, in (50, 100]. Default 99.99. */
  percentile?: number;
}

export interface OptimizationRecipe {
  /** The name `--recipe` takes, e.g. `ort-basic`. */
  readonly name: string;
  /** One line for help texts and the quick pick. */
  readonly description: string;
  applies(model: ModelSummary): RecipeCheck;
  /**
   * Writes the rewritten model to `output` (a new path; external data, if any, goes next to it under names that
   * start with the output's file name). Throws with a one-line message when it cannot.
   */
  apply(input: string, output: string, options: RecipeOptions, signal?: AbortSignal): Promise<void>;
}
