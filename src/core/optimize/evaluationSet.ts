/**
 * The inputs a variant is checked on: `.npy` files (one file for a single-input model, or a folder holding
 * NAME.npy per input, all with the samples along the first axis), cut into batches the model takes; or, without
 * files, seeded random batches generated from the signature (symbolic dims from `dims`, the model's metadata, or
 * makeInputs' defaults). With labels (a .npy of class ids, one per sample) the set also scores accuracy.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { ModelSummary } from '../onnx/modelSummary';
import { castValues, makeInputs } from '../ort/makeInputs';
import type { OrtTensor } from '../ort/ortTensor';
import { ortTypeOf, type TensorData } from '../ort/ortTypes';
import { npyToFloat64, readNpy, type NpyArray } from '../ort/parseNpy';
import { argmaxRows, numbersOf } from './outputAgreement';
import type { WireTensor } from './sessionWorkerProtocol';

export interface EvaluationSet {
  source: 'files' | 'generated';
  /** One line: where the inputs came from and their shapes. */
  description: string;
  batches: WireTensor[][];
  samples: number;
  /** Class ids, one per sample, when labels were given. */
  labels?: number[];
}

export interface EvaluationOptions {
  /** A .npy file or a folder of NAME.npy files. */
  eval?: string;
  /** A .npy file of class ids (needs `eval`). */
  labels?: string;
  dims?: Record<string, number>;
  /** Batches generated without files. Default 4. */
  generatedBatches?: number;
  /** Leading symbolic dim of generated batches. Default 8. */
  generatedBatchSize?: number;
}

/** Largest batch fed at once when the model's batch dim is free. */
const MAX_BATCH = 256;

export function toWire(feeds: Record<string, OrtTensor>): WireTensor[] {
  return Object.entries(feeds).map(([name, t]) => ({
    name,
    type: t.type as WireTensor['type'],
    dims: [...t.dims],
    data: t.data as TensorData,
  }));
}

const safeName = (name: string): string => name.replace(/[^\w.-]/g, '_');

async function inputArrays(summary: ModelSummary, path: string): Promise<Map<string, NpyArray>> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new Error(`--eval ${path}: no such file or folder`);
  const arrays = new Map<string, NpyArray>();
  if (info.isFile()) {
    if (extname(path).toLowerCase() !== '.npy') throw new Error(`--eval ${path}: expected a .npy file or a folder of .npy files`);
    if (summary.inputs.length !== 1)
      throw new Error(
        `--eval ${path}: the model has ${summary.inputs.length} inputs (${summary.inputs.map((i) => i.name).join(', ')}); give a folder holding NAME.npy for each`,
      );
    arrays.set(summary.inputs[0].name, await readNpy(path));
    return arrays;
  }
  const files = new Set((await readdir(path)).filter((f) => f.toLowerCase().endsWith('.npy')));
  for (const input of summary.inputs) {
    const file = [`${input.name}.npy`, `${safeName(input.name)}.npy`].find((f) => files.has(f));
    if (!file) throw new Error(`--eval ${path}: no ${safeName(input.name)}.npy for input '${input.name}'`);
    arrays.set(input.name, await readNpy(join(path, file)));
  }
  return arrays;
}

function sliceRows(array: NpyArray, type: WireTensor['type'], name: string, from: number, to: number): WireTensor {
  const row = array.shape.slice(1).reduce((a, b) => a * b, 1);
  const values = array.values.slice(from * row, to * row) as TensorData;
  const data = array.type === type ? values : castValues(values as ArrayLike<unknown>, type);
  return { name, type, dims: [to - from, ...array.shape.slice(1)], data };
}

async function fromFiles(summary: ModelSummary, options: EvaluationOptions, path: string): Promise<EvaluationSet> {
  const arrays = await inputArrays(summary, path);
  let samples: number | undefined;
  for (const [name, a] of arrays) {
    if (a.shape.length === 0) throw new Error(`--eval: the array for '${name}' is a scalar; put the samples along the first axis`);
    if (samples !== undefined && a.shape[0] !== samples)
      throw new Error(`--eval: the arrays hold different numbers of samples (${samples} and ${a.shape[0]} for '${name}')`);
    samples = a.shape[0];
  }
  const n = samples ?? 0;
  if (n === 0) throw new Error('--eval: the arrays hold no samples');
  // A fixed leading dim (a model exported for batch 1, say) sets the batch; a free one takes up to MAX_BATCH rows.
  const fixed = summary.inputs.map((i) => i.shape?.[0]).find((d): d is number => typeof d === 'number' && d > 0);
  const batch = fixed ?? Math.min(n, MAX_BATCH);
  if (n % batch !== 0) throw new Error(`--eval: ${n} samples do not split into the model's fixed batch of ${batch}`);
  const batches: WireTensor[][] = [];
  for (let from = 0; from < n; from += batch) {
    batches.push(
      summary.inputs.map((input) => {
        const type = input.elemType === undefined ? undefined : ortTypeOf(input.elemType);
        if (type === undefined || type === 'string')
          throw new Error(`--eval: input '${input.name}' (${input.type}) cannot be fed from .npy`);
        return sliceRows(arrays.get(input.name)!, type, input.name, from, Math.min(n, from + batch));
      }),
    );
  }
  const shapes = [...arrays].map(([name, a]) => `${name} [${a.shape.join(',')}]`).join(', ');
  const set: EvaluationSet = { source: 'files', description: `${basename(path)}: ${shapes}`, batches, samples: n };
  if (options.labels) {
    const labels = await readNpy(options.labels);
    const values = Array.from(npyToFloat64(labels));
    if (values.length !== n || !(labels.shape.length === 1 || (labels.shape.length === 2 && labels.shape[1] === 1)))
      throw new Error(`--labels ${options.labels}: expected ${n} class ids (shape [${n}]), got shape [${labels.shape.join(',')}]`);
    if (values.some((v) => !Number.isInteger(v))) throw new Error(`--labels ${options.labels}: class ids must be integers`);
    set.labels = values;
  }
  return set;
}

export async function evaluationSet(summary: ModelSummary, options: EvaluationOptions = {}): Promise<EvaluationSet> {
  if (options.labels && !options.eval) throw new Error('--labels needs --eval X.npy (the inputs the labels belong to)');
  if (options.eval) return fromFiles(summary, options, options.eval);
  const count = options.generatedBatches ?? 4;
  const batches: WireTensor[][] = [];
  for (let seed = 1; seed <= count; seed++) {
    batches.push(toWire(makeInputs(summary, { batchSize: options.generatedBatchSize ?? 8, dims: options.dims, seed })));
  }
  const first = batches[0] ?? [];
  const samples = batches.reduce((s, b) => s + (b[0]?.dims[0] ?? 1), 0);
  return {
    source: 'generated',
    description: `${count} random batches generated from the signature: ${first.map((t) => `${t.name} ${t.type}[${t.dims.join(',')}]`).join(', ')}`,
    batches,
    samples,
  };
}

/** Class predictions of one batch's outputs: arg-max of the first 2-D classifier-like output, or an integer label output. */
export function predictedClasses(outputs: readonly WireTensor[]): number[] | undefined {
  const scores = outputs.find(
    (o) => o.dims.length === 2 && o.dims[1] > 1 && (o.type === 'float32' || o.type === 'float64' || o.type === 'float16'),
  );
  if (scores) return argmaxRows(numbersOf(scores), scores.dims[1]);
  const ids = outputs.find(
    (o) => (o.type === 'int64' || o.type === 'int32') && (o.dims.length === 1 || (o.dims.length === 2 && o.dims[1] === 1)),
  );
  return ids ? Array.from(ids.data as ArrayLike<number | bigint>, Number) : undefined;
}
