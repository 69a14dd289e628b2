/**
 * `ort-basic` and `ort-extended`: ONNX Runtime's own offline graph optimisation. A CPU session is created at the
 * level with `optimizedModelFilePath`, and ORT saves the graph as it optimised it (metadata props kept).
 *
 * - basic: constant folding, removal of redundant nodes (Identity, Dropout, no-op Slice/Reshape...), and fusions
 *   into standard ONNX ops (Conv+BatchNorm, Conv+Add, MatMul+Add into Gemm). The result is plain ONNX: it runs in
 *   any runtime.
 * - extended: also fusions into ONNX Runtime's contrib ops (com.microsoft FusedConv, FusedMatMul, Gelu,
 *   LayerNormalization and the attention fusions). The result runs in ONNX Runtime only, on any CPU.
 * - all (layout) is not offered: it adds layout transformations (NCHWc convolutions whose block size is the
 *   vector width of the CPU it ran on, AVX2 8 floats, AVX-512 16) and so ties the file to that CPU.
 *
 * Where ORT's output breaks an ONNX rule the source kept (initializers not listed as inputs in IR 3, LayerNormalization
 * below opset 17), fixOrtOutput.ts raises the IR version or opset when that changes no node's meaning.
 *
 * External data: ORT keeps every initializer it did not change pointing at the *source's* data file (a variant in
 * another folder would not load, and depends on its parent), so a model with external data (or over 1 GiB of
 * weights, past what one protobuf message holds comfortably) gets a data file of its own, `<output>.data`,
 * holding every initializer of 1 KiB or more.
 */
import { basename, resolve } from 'node:path';
import { summarizeModel } from '../onnx/summarizeModel';
import type { ModelSummary } from '../onnx/modelSummary';
import { createSession } from '../ort/createSession';
import { fixOrtOutput } from './fixOrtOutput';
import type { OptimizationRecipe, RecipeCheck } from './recipe';

export type PortableOrtLevel = 'basic' | 'extended';

/** Weights above this go to an external data file even when the source had them inline. */
const INLINE_LIMIT_BYTES = 1 << 30;
/** Initializers from this size on go to the external data file (python-onnx's default threshold). */
const EXTERNAL_MIN_BYTES = 1024;

/** Whether the variant of `model` gets a data file of its own. */
export function needsOwnExternalData(model: Pick<ModelSummary, 'externalData' | 'parameterBytes'>): boolean {
  return model.externalData.length > 0 || model.parameterBytes > INLINE_LIMIT_BYTES;
}

export function checkOrtOptimizable(model: ModelSummary): RecipeCheck {
  if (model.nodeCount === 0) return { ok: false, reason: 'the graph has no nodes: there is nothing to optimise' };
  const missing = model.externalData.find((f) => f.error !== undefined || f.size === undefined);
  if (missing)
    return { ok: false, reason: `its external data file ${missing.location} cannot be read${missing.error ? `: ${missing.error}` : ''}` };
  if (model.trainingInfoCount > 0) return { ok: false, reason: 'it holds training info, which ONNX Runtime would drop' };
  return { ok: true };
}

export function ortOptimizeRecipe(level: PortableOrtLevel): OptimizationRecipe {
  return {
    name: `ort-${level}`,
    description:
      level === 'basic'
        ? "ONNX Runtime's basic graph optimisation: constant folding, redundant nodes removed, standard-op fusions; plain ONNX"
        : "ONNX Runtime's extended optimisation: basic plus fusions into ONNX Runtime contrib ops; runs in ONNX Runtime only",
    applies: checkOrtOptimizable,
    async apply(input, output, _options, signal) {
      signal?.throwIfAborted();
      const summary = await summarizeModel(input);
      const target = resolve(output);
      const { session } = await createSession(input, {
        graphOptimizationLevel: level,
        executionProviders: ['cpu'],
        optimizedModelFilePath: target,
        ...(needsOwnExternalData(summary)
          ? { optimizedExternalData: { fileName: `${basename(target)}.data`, minSizeBytes: EXTERNAL_MIN_BYTES } }
          : {}),
      });
      await session.release();
      await fixOrtOutput(target);
    },
  };
}
