/**
 * Runs a model once and summarizes each tensor output: type, shape, first values, simple statistics and, for
 * outputs that look like classifier scores ([N, C] or [C] floats, C ≥ 2), the top-k classes with probabilities and
 * the class names the model's metadata gives (classLabels). With `saveOutputs`, writes each output as .npy and the
 * image-like ones as PNG (saveOutputs).
 */
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as ort from 'onnxruntime-node';
import { summarizeModel } from '../onnx/summarizeModel';
import { createSession, OrtSessionError, QUIET_RUN_OPTIONS, type SessionOptions } from './createSession';
import { labelSetsFromMetadata, labelsForClasses, type ClassLabels } from './classLabels';
import { chooseDims, chooseScalars, type DimChoice, type ScalarChoice } from './inputDims';
import type { InputSource } from './loadInputs';
import { makeInputs, type Feeds, type InputOptions } from './makeInputs';
import { saveOutputs, type SavedOutput } from './saveOutputs';

export interface TopKEntry {
  index: number;
  value: number;
  /** Softmax of the row (or the value itself when the row already holds probabilities). */
  prob: number;
  /** The class name from the model's metadata, when it has them. */
  label?: string;
}

export interface OutputSummary {
  name: string;
  dtype: string;
  shape: number[];
  elements: number;
  /** Up to `firstValues` values; 64-bit integers as numbers (or strings when unsafe), strings as they are. */
  first: (number | string | boolean)[];
  min?: number;
  max?: number;
  mean?: number;
  nanCount?: number;
  /** Present for classifier-like outputs: one list per row (first `maxRows` rows). */
  topK?: TopKEntry[][];
  scores?: 'probabilities' | 'logits';
  /** The metadata key the top-k labels came from. */
  labelsFrom?: string;
}

export interface TryModelOptions extends InputOptions, SessionOptions {
  /** Default 5. */
  topK?: number;
  /** Default 10. */
  firstValues?: number;
  /** Rows of an [N, C] output given a top-k. Default 4. */
  maxRows?: number;
  /** A folder to write every output into (NAME.npy, and NAME.png for image-like ones). */
  saveOutputs?: string;
}

export interface TryModelResult {
  model: string;
  inputs: { name: string; type: string; shape: readonly number[] }[];
  /** The value each free dimension of the generated inputs got, and why. */
  dimensions: DimChoice[];
  /** The value each generated scalar input got, and why. */
  scalars: ScalarChoice[];
  outputs: OutputSummary[];
  skippedOutputs: string[];
  runMs: number;
  /** Inputs made from files, and how (set by the caller that loaded them). */
  sources?: InputSource[];
  /** Files written with `saveOutputs`. */
  saved?: SavedOutput[];
}

function isFloat(type: string): boolean {
  return type === 'float32' || type === 'float64';
}

function scalar(v: unknown): number | string | boolean {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return String(v);
}

/** Top-k of one row of scores. */
export function topKOfRow(row: ArrayLike<number>, k: number, asProbabilities: boolean): TopKEntry[] {
  const n = row.length;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) if (row[i] > max) max = row[i];
  let denom = 0;
  if (!asProbabilities) for (let i = 0; i < n; i++) denom += Math.exp(row[i] - max);
  const order = Array.from({ length: n }, (_, i) => i)
    .filter((i) => !Number.isNaN(row[i]))
    .sort((a, b) => row[b] - row[a] || a - b)
    .slice(0, k);
  return order.map((index) => ({ index, value: row[index], prob: asProbabilities ? row[index] : Math.exp(row[index] - max) / denom }));
}

/** Rows already look like probability distributions: values in [0, 1] summing to ~1. */
function looksLikeProbabilities(data: ArrayLike<number>, rows: number, classes: number): boolean {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const v = data[r * classes + c];
      if (!(v >= 0 && v <= 1)) return false;
      sum += v;
    }
    if (Math.abs(sum - 1) > 1e-3) return false;
  }
  return true;
}

export function summarizeOutput(
  name: string,
  tensor: ort.Tensor,
  options: Pick<TryModelOptions, 'topK' | 'firstValues' | 'maxRows'> & { labels?: readonly ClassLabels[] } = {},
): OutputSummary {
  const shape = tensor.dims.slice();
  const data = tensor.data as ArrayLike<unknown>;
  const elements = data.length;
  const out: OutputSummary = { name, dtype: tensor.type, shape, elements, first: [] };
  const firstCount = Math.min(options.firstValues ?? 10, elements);
  for (let i = 0; i < firstCount; i++) out.first.push(tensor.type === 'bool' ? Boolean(data[i]) : scalar(data[i]));
  if (tensor.type !== 'string' && tensor.type !== 'float16' && elements > 0) {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let sum = 0;
    let nan = 0;
    for (let i = 0; i < elements; i++) {
      const v = Number(data[i]);
      if (Number.isNaN(v)) {
        nan++;
        continue;
      }
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
    if (nan < elements) Object.assign(out, { min, max, mean: sum / (elements - nan) });
    out.nanCount = nan;
  }
  const classifier =
    isFloat(tensor.type) && ((shape.length === 2 && shape[1] >= 2 && shape[0] >= 1) || (shape.length === 1 && shape[0] >= 2));
  if (classifier) {
    const classes = shape.length === 2 ? shape[1] : shape[0];
    const rows = Math.min(shape.length === 2 ? shape[0] : 1, options.maxRows ?? 4);
    const values = tensor.data as Float32Array | Float64Array;
    const probabilities = looksLikeProbabilities(values, rows, classes);
    out.scores = probabilities ? 'probabilities' : 'logits';
    out.topK = [];
    const labels = labelsForClasses(options.labels ?? [], classes);
    for (let r = 0; r < rows; r++) {
      const row = topKOfRow(values.subarray(r * classes, (r + 1) * classes), options.topK ?? 5, probabilities);
      if (labels) for (const e of row) e.label = labels.labels.get(e.index);
      out.topK.push(row);
    }
    if (labels) out.labelsFrom = labels.key;
  }
  return out;
}

/** Runs the model once on `feeds` (random inputs fill whatever is missing) and summarizes the tensor outputs. */
export async function tryModel(path: string, feeds: Feeds = {}, options: TryModelOptions = {}): Promise<TryModelResult> {
  const absolute = resolve(path);
  const { session } = await createSession(absolute, options);
  try {
    const summary = await summarizeModel(absolute);
    const all = makeInputs(summary, { ...options, provided: feeds });
    const generated = { ...summary, inputs: summary.inputs.filter((i) => !(i.name in feeds)) };
    const dimensions = chooseDims(generated, options);
    const scalars = chooseScalars(generated, options.scalars);
    const tensorOutputs = session.outputMetadata.filter((m) => m.isTensor).map((m) => m.name);
    const skippedOutputs = session.outputNames.filter((n) => !tensorOutputs.includes(n));
    const t0 = performance.now();
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await session.run(all, tensorOutputs, QUIET_RUN_OPTIONS);
    } catch (e) {
      throw new OrtSessionError(absolute, 'run', e, { inputs: Object.entries(all).map(([name, t]) => ({ name, shape: t.dims })) });
    }
    const runMs = performance.now() - t0;
    const labels = labelSetsFromMetadata(summary.metadataProps ?? []);
    const saved = options.saveOutputs === undefined ? undefined : await saveOutputs(resolve(options.saveOutputs), results);
    return {
      model: absolute,
      inputs: Object.entries(all).map(([name, t]) => ({ name, type: t.type, shape: t.dims })),
      dimensions,
      scalars,
      outputs: tensorOutputs.map((name) => summarizeOutput(name, results[name], { ...options, labels })),
      skippedOutputs,
      runMs,
      ...(saved ? { saved } : {}),
    };
  } finally {
    await session.release().catch(() => undefined);
  }
}
