/**
 * Observes the values of chosen tensors of a float model over calibration batches: a temporary copy of the model
 * lists them as extra graph outputs (Measure Shapes' appendGraphOutputs), one onnxruntime-node session runs every
 * batch with the graph as written, and each tensor's values stream into a histogram of their own (calibrationMath),
 * so memory holds one batch's outputs and the fixed-size histograms, whatever the number of samples. The copy
 * sits in a temporary folder, or beside the model when its weights are in external files, and is removed after.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { OnnxModel } from '../onnx/onnxModel';
import { appendGraphOutputs } from '../ort/measure/appendGraphOutputs';
import { createSession, QUIET_RUN_OPTIONS } from '../ort/createSession';
import { makeTensor, type OrtTensor } from '../ort/ortTensor';
import type { CalibrationData } from './calibrationData';
import { StreamingHistogram } from './calibrationMath';

const FLOAT = 1;

export interface ObservedValues {
  histograms: Map<string, StreamingHistogram>;
  batches: number;
  samples: number;
}

export async function observeActivations(
  model: OnnxModel,
  tensors: readonly string[],
  data: CalibrationData,
  options: { externalData: boolean; signal?: AbortSignal },
): Promise<ObservedValues> {
  const { signal } = options;
  const absolute = resolve(model.path);
  const graphInputs = new Set(model.graph.inputs.map((v) => v.name));
  const graphOutputs = new Set(model.graph.outputs.map((v) => v.name));
  const added = tensors.filter((t) => !graphInputs.has(t) && !graphOutputs.has(t)).map((name) => ({ name, elemType: FLOAT }));
  const histograms = new Map(tensors.map((t) => [t, new StreamingHistogram()]));
  const folder = options.externalData ? dirname(absolute) : await mkdtemp(join(tmpdir(), 'mlw-calibrate-'));
  const copy = join(folder, `.${basename(absolute)}.mlw-calibrate-${randomBytes(4).toString('hex')}.tmp`);
  let batches = 0;
  let samples = 0;
  try {
    await appendGraphOutputs(model, added, copy, signal);
    const { session } = await createSession(copy, { graphOptimizationLevel: 'disabled', executionProviders: ['cpu'] });
    try {
      const fetches = tensors.filter((t) => !graphInputs.has(t));
      for await (const batch of data.batches()) {
        signal?.throwIfAborted();
        const feeds: Record<string, OrtTensor> = {};
        for (const t of batch) feeds[t.name] = makeTensor(t.type, t.data, t.dims);
        const results = fetches.length > 0 ? await session.run(feeds, fetches, QUIET_RUN_OPTIONS) : {};
        for (const name of tensors) {
          const tensor = results[name] ?? feeds[name];
          if (tensor === undefined) continue;
          if (tensor.type !== 'float32') throw new Error(`tensor '${name}' is ${tensor.type}, not float32`);
          histograms.get(name)!.add(tensor.data as Float32Array);
        }
        batches++;
        samples += batch[0]?.dims[0] ?? 1;
      }
    } finally {
      await session.release().catch(() => undefined);
    }
  } finally {
    await rm(options.externalData ? copy : folder, { recursive: true, force: true });
  }
  return { histograms, batches, samples };
}
