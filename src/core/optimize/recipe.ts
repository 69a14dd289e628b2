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
