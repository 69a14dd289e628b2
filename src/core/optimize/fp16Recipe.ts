/**
 * `fp16`: weights and compute to float16, float32 graph inputs and outputs kept (Casts at the edges), ops that
 * must stay float32 kept so with Casts around them (see fp16Plan.ts and fp16BlockList.ts). The model is rewritten
 * through rewriteModelFile: every node, initializer and attribute the plan does not touch is copied by byte
 * range, and each float16 weight is converted only when the writer reaches it, so memory stays at one tensor.
 * The float16 weights are written inline: the variant needs no data file, and a variant that would pass the
 * 2 GiB a protobuf message holds is refused.
 */
import { DataType } from '../onnx/dataTypes';
import { rewriteModelFile } from '../onnx/edit';
import type { ModelSummary } from '../onnx/modelSummary';
import { inferModelShapes } from '../onnx/shapes/inferModelShapes';
import { setIrVersion } from './fixOrtOutput';
import { copiedTensorOf, halfTensorFromNumbers, halfTensorOf } from './fp16Tensors';
import { Fp16Error, planFp16 } from './fp16Plan';
import type { OptimizationRecipe, RecipeCheck, RecipeOptions } from './recipe';

/** What a protobuf message can hold, less room for the graph. */
const INLINE_LIMIT_BYTES = 2 ** 31 - 64 * 1024 * 1024;

export interface Fp16Options {
  /** More op types to keep in float32 (besides fp16BlockList.ts's). */
  keepFp32Ops?: readonly string[];
}

export function checkFp16(model: ModelSummary): RecipeCheck {
  if (model.nodeCount === 0) return { ok: false, reason: 'the graph has no nodes: there is nothing to convert' };
  const float = model.parametersByDtype.find((d) => d.dataType === DataType.FLOAT);
  const half = model.parametersByDtype.find((d) => d.dataType === DataType.FLOAT16);
  if (float === undefined && half !== undefined) return { ok: false, reason: 'its weights are already float16' };
  if (float === undefined) return { ok: false, reason: 'it has no float32 weights to convert' };
  const missing = model.externalData.find((f) => f.error !== undefined || f.size === undefined);
  if (missing)
    return { ok: false, reason: `its external data file ${missing.location} cannot be read${missing.error ? `: ${missing.error}` : ''}` };
  if (model.subgraphCount > 0)
    return { ok: false, reason: 'it has control flow (If/Loop/Scan subgraphs), which fp16 does not convert yet' };
  if (model.parameterBytes - float.bytes / 2 > INLINE_LIMIT_BYTES)
    return { ok: false, reason: 'its float16 weights would not fit in one protobuf message (2 GiB), and fp16 writes them inline' };
  return { ok: true };
}

/** The fp16 rewrite of `input` into `output`; its changes, one line each. */
export async function convertToFp16(input: string, output: string, options: Fp16Options = {}, signal?: AbortSignal): Promise<string[]> {
  let irVersion = 0;
  const result = await rewriteModelFile(
    input,
    output,
    async (model) => {
      irVersion = model.irVersion;
      const inferred = await inferModelShapes(model, signal);
      const elemTypes = new Map(inferred.tensors.map((t) => [t.name, t.elemType]));
      const opset = model.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 1;
      return planFp16({
        graph: model.graph,
        opset: Number(opset),
        elemTypes,
        initializersAreInputs: model.irVersion < 4,
        keepFp32Ops: options.keepFp32Ops,
        tensors: {
          half: (ref, name) => halfTensorOf(ref, name, signal),
          copy: (ref) => copiedTensorOf(ref, signal),
          halfValues: halfTensorFromNumbers,
        },
      }).rewrite;
    },
    { signal },
  );
  // Initializers no longer listed as graph inputs are valid from IR 4 on.
  if (irVersion < 4) await setIrVersion(output, 4);
  return result.changes;
}

/** The recipe; `keepFp32Ops` (or RecipeOptions' field of that name, when it has one) adds to the block list. */
export function fp16Recipe(defaults: Fp16Options = {}): OptimizationRecipe {
  return {
    name: 'fp16',
    description: 'weights and compute to float16, float32 inputs and outputs kept (Casts at the edges and around float32-only ops)',
    applies: checkFp16,
    async apply(input, output, options: RecipeOptions & Fp16Options, signal) {
      signal?.throwIfAborted();
      try {
        await convertToFp16(input, output, { keepFp32Ops: [...(defaults.keepFp32Ops ?? []), ...(options.keepFp32Ops ?? [])] }, signal);
      } catch (e) {
        if (e instanceof Fp16Error) throw new Error(`cannot convert: ${e.message}`);
        throw e;
      }
    },
  };
}
