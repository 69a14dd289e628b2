/**
 * Runs the constant part of a graph once in onnxruntime-node: a temporary copy of the model keeps only the nodes
 * planFolds chose and the initializers they read, its outputs are the tensors to fold, and a session with graph
 * optimisation off computes them. ONNX Runtime's kernels give the values, so a folded tensor is exactly what the
 * model would have computed. When the copy cannot be run, nothing is folded and the reason comes back.
 */
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { OnnxModel } from '../../onnx/onnxModel';
import { rewriteModelFile } from '../../onnx/edit/rewriteModelFile';
import type { ShapeInferenceResult } from '../../onnx/shapes/shapeTypes';
import { createSession, QUIET_RUN_OPTIONS } from '../../ort/createSession';
import { codeOfOrtType, type OrtType } from '../../ort/ortTypes';
import type { FoldPlan } from './planFolds';
import type { FoldedTensor } from './simplifyRewrite';

export interface EvaluatedConstants {
  values: Map<string, FoldedTensor>;
  /** Why nothing was evaluated, one line, when the temporary model did not run. */
  skipped?: string;
}

export async function evaluateConstants(
  input: string,
  model: OnnxModel,
  shapes: ShapeInferenceResult,
  folds: FoldPlan,
  workDir: string,
  signal?: AbortSignal,
): Promise<EvaluatedConstants> {
  const values = new Map<string, FoldedTensor>();
  if (folds.evaluate.length === 0) return { values };
  const graph = model.graph;
  const keep = new Set(folds.evaluate);
  const read = new Set(folds.evaluate.flatMap((i) => graph.nodes[i].inputs));
  const elemType = new Map(shapes.tensors.map((t) => [t.name, t.elemType]));
  const temp = join(workDir, `.${process.pid}-${Date.now()}.mlw-fold.onnx`);
  try {
    await rewriteModelFile(
      input,
      temp,
      () => ({
        removeNodes: new Set(graph.nodes.map((_, i) => i).filter((i) => !keep.has(i))),
        removeInitializers: new Set(graph.initializers.filter((t) => !read.has(t.name)).map((t) => t.name)),
        // Before IR 4 the initializers it keeps are graph inputs too; from IR 4 on it has no inputs at all.
        inputs: model.irVersion < 4 ? graph.initializers.filter((t) => read.has(t.name)).map((t) => t.name) : [],
        outputs: folds.evaluateOutputs.map((name) => ({ name, elemType: elemType.get(name) as number, shape: null })),
      }),
      { signal },
    );
    const { session } = await createSession(temp, { graphOptimizationLevel: 'disabled', executionProviders: ['cpu'] });
    try {
      const outputs = await session.run({}, QUIET_RUN_OPTIONS);
      for (const [name, t] of Object.entries(outputs)) {
        if (t.type === 'string' || !ArrayBuffer.isView(t.data)) continue;
        const view = t.data as ArrayBufferView;
        values.set(name, {
          dataType: codeOfOrtType(t.type as OrtType),
          dims: [...t.dims],
          bytes: new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice(),
        });
      }
    } finally {
      await session.release();
    }
    return { values };
  } catch (error) {
    signal?.throwIfAborted();
    return { values: new Map(), skipped: (error as Error).message.split('\n')[0] };
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}
