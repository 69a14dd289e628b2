/**
 * Runs an ONNX model on a dataset split written by exportRecentData (`<input>.npy` per model input, `labels.npy`)
 * through onnxruntime-node as the model server does, in batches, and scores its first output (classifierMetrics).
 * The champion and the candidate are evaluated by this same code on the same rows.
 */
import * as path from 'node:path';
import { createSession, makeTensor, OrtSessionError, QUIET_RUN_OPTIONS, readNpy, type OrtTensor } from '../../ort';
import { npyToFloat64 } from '../../ort/parseNpy';
import type { TensorData } from '../../ort/ortTypes';
import { safeName } from '../../serve/capture/modelCapture';
import { RegistryError } from '../RegistryStore';
import { classifierMetrics } from './classifierMetrics';
import { LABELS_FILE } from './exportRecentData';

export async function evaluateOnHoldout(
  model: string,
  splitDir: string,
  options: { batchSize?: number; signal?: AbortSignal } = {},
): Promise<Record<string, number>> {
  const batchSize = options.batchSize ?? 256;
  const labels = npyToFloat64(await readNpy(path.join(splitDir, LABELS_FILE)));
  const { session } = await createSession(model);
  try {
    const inputs = [];
    for (const name of session.inputNames) {
      const file = path.join(splitDir, `${safeName(name)}.npy`);
      const a = await readNpy(file).catch(() => {
        throw new RegistryError(`${model} takes input "${name}", which the data set ${splitDir} does not hold (${safeName(name)}.npy)`);
      });
      if (a.shape[0] !== labels.length) throw new RegistryError(`${file} holds ${a.shape[0]} rows, labels.npy ${labels.length}`);
      inputs.push({ name, array: a, width: a.shape.slice(1).reduce((x, y) => x * y, 1) });
    }
    const output = session.outputNames[0];
    const scores: number[] = [];
    let dims: number[] = [];
    for (let start = 0; start < labels.length; start += batchSize) {
      options.signal?.throwIfAborted();
      const end = Math.min(labels.length, start + batchSize);
      const feeds: Record<string, OrtTensor> = {};
      for (const i of inputs) {
        const values = (i.array.values as unknown as { slice(a: number, b: number): TensorData }).slice(start * i.width, end * i.width);
        feeds[i.name] = makeTensor(i.array.type, values, [end - start, ...i.array.shape.slice(1)]);
      }
      let result;
      try {
        result = await session.run(feeds, [output], QUIET_RUN_OPTIONS);
      } catch (e) {
        throw new OrtSessionError(path.resolve(model), 'run', e);
      }
      const t = result[output];
      dims = [...t.dims];
      const data = t.data as ArrayLike<number | bigint>;
      for (let k = 0; k < data.length; k++) scores.push(Number(data[k]));
    }
    return classifierMetrics(scores, [labels.length, ...dims.slice(1)], labels);
  } finally {
    await session.release().catch(() => undefined);
  }
}
