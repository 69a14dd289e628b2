/** Runs a model file once in onnxruntime-node on the CPU, for the tests that check what a written model computes. */
import type { InferenceSession } from 'onnxruntime-node';
import { createSession, type SessionOptions } from '../../../src/core/ort/createSession';
import { loadOrt } from '../../../src/core/ort/loadOrt';

/**
 * The outputs of `path` on one float32 input `name` of shape `dims`, the session released after; `options` as
 * createSession's (graphOptimizationLevel 'disabled' runs the graph as written).
 */
export async function runOnFloat32(
  path: string,
  name: string,
  values: ArrayLike<number>,
  dims: readonly number[],
  options: SessionOptions = {},
): Promise<InferenceSession.OnnxValueMapType> {
  const ort = await loadOrt();
  const { session } = await createSession(path, { ...options, executionProviders: ['cpu'] });
  try {
    return await session.run({ [name]: new ort.Tensor('float32', Float32Array.from(values), dims) });
  } finally {
    await session.release();
  }
}
