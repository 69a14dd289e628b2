/**
 * `simplify`: constant folding (values from shape inference or from one onnxruntime-node run of the constant
 * part), no-op nodes and dead nodes removed, unused initializers dropped. Passes repeat while they find
 * something (a folded shape makes a Reshape a no-op, which makes its shape subgraph dead, ...), at most a few
 * times. The result is plain ONNX of the same opset, every node it keeps copied byte for byte; it never grows the
 * model, and optimizeModel then checks its outputs against the original's.
 */
import { stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { rewriteModelFile } from '../../onnx/edit/rewriteModelFile';
import { readModel } from '../../onnx/readModel';
import { inferModelShapes } from '../../onnx/shapes/inferModelShapes';
import type { OptimizationRecipe } from '../recipe';
import { evaluateConstants } from './evaluateConstants';
import { planFolds } from './planFolds';
import { simplifyRewrite } from './simplifyRewrite';

const MAX_PASSES = 4;

/** One line per change of every pass, for the log. */
export type SimplifyLog = (line: string) => void;

export async function simplifyModel(input: string, output: string, signal?: AbortSignal, log?: SimplifyLog): Promise<string[]> {
  const workDir = dirname(output);
  const changes: string[] = [];
  let current = input;
  const temps: string[] = [];
  try {
    for (let pass = 1; pass <= MAX_PASSES; pass++) {
      signal?.throwIfAborted();
      const model = await readModel(current, { signal });
      const shapes = await inferModelShapes(model, signal, { keepValues: true });
      const folds = planFolds(model, shapes);
      const evaluated = await evaluateConstants(current, model, shapes, folds, workDir, signal);
      if (evaluated.skipped !== undefined) log?.(`simplify pass ${pass}: constant folding skipped: ${evaluated.skipped}`);
      const next = join(workDir, `.${process.pid}-${Date.now()}-pass${pass}.mlw-simplify.onnx`);
      temps.push(next);
      let { rewrite, empty } = simplifyRewrite(model, shapes, folds, evaluated.values);
      if (empty) break;
      await rewriteModelFile(current, next, () => rewrite, { signal, ownExternalData: true });
      if ((await modelBytes(next)) > (await modelBytes(current))) {
        // Folding made it bigger (a folded tensor larger than the nodes it replaces): the pass again without folding.
        ({ rewrite, empty } = simplifyRewrite(model, shapes, { ...folds, known: new Map(), evaluate: [], evaluateOutputs: [] }, new Map()));
        if (empty) break;
        await unlink(next);
        await unlink(`${next}.data`).catch(() => undefined);
        await rewriteModelFile(current, next, () => rewrite, { signal, ownExternalData: true });
        if ((await modelBytes(next)) > (await modelBytes(current))) break;
      }
      for (const line of rewrite.changes ?? []) {
        changes.push(line);
        log?.(`simplify pass ${pass}: ${line}`);
      }
      current = next;
    }
    // The last pass's file becomes OUT; with nothing to simplify, OUT is a plain copy written the same way.
    await rewriteModelFile(current, output, () => ({}), { signal, ownExternalData: true });
    return changes;
  } finally {
    for (const t of temps) {
      await unlink(t).catch(() => undefined);
      await unlink(`${t}.data`).catch(() => undefined);
    }
  }
}

/** A model's bytes: the file and the external data files named after it. */
async function modelBytes(path: string): Promise<number> {
  const size = async (p: string): Promise<number> => (await stat(p).catch(() => undefined))?.size ?? 0;
  return (await size(path)) + (await size(`${path}.data`));
}

export const simplifyRecipe: OptimizationRecipe = {
  name: 'simplify',
  description: 'constant folding, no-op Identity/Dropout/Cast/Reshape and dead nodes removed, shape subgraphs folded; plain ONNX',
  applies(model) {
    if (model.nodeCount === 0) return { ok: false, reason: 'the graph has no nodes: there is nothing to simplify' };
    const missing = model.externalData.find((f) => f.error !== undefined || f.size === undefined);
    if (missing) return { ok: false, reason: `its external data file ${missing.location} cannot be read` };
    return { ok: true };
  },
  async apply(input, output, _options, signal) {
    await simplifyModel(input, output, signal);
  },
};
