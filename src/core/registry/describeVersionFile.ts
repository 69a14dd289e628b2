import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { summarizeModel } from '../onnx/summarizeModel';
import type { ValueSummary } from '../onnx/modelSummary';
import { PARENT_SHA256_KEY, RECIPE_KEY } from '../optimize/variantKeys';
import { sha256File } from '../sha256File';
import type { BenchmarkFigures, ModelVersion, SignatureTensor } from './registryTypes';

const tensor = (v: ValueSummary): SignatureTensor => ({ name: v.name, type: v.type, ...(v.shape ? { shape: v.shape } : {}) });

/** `<file without .onnx>.bench.json` beside the model: the JSON `mlw bench --json` prints. */
export function benchmarkSidecar(modelPath: string): string {
  return modelPath.replace(/\.onnx$/i, '') + '.bench.json';
}

async function readBenchmark(file: string, workspace: string): Promise<BenchmarkFigures | null> {
  const text = await fsp.readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return null;
  try {
    const r = JSON.parse(text) as { p50?: unknown; p99?: unknown };
    if (typeof r.p50 !== 'number' || typeof r.p99 !== 'number') return null;
    const rel = path.relative(workspace, file);
    return { p50_ms: r.p50, p99_ms: r.p99, file: rel.startsWith('..') ? file : rel };
  } catch {
    return null;
  }
}

export type FileFacts = Pick<ModelVersion, 'sha256' | 'sizeBytes' | 'signature' | 'recipe' | 'benchmark'>;

/**
 * What the registry records about a model file itself: sha256, size, its signature and optimisation recipe (ONNX
 * files; null for other formats), and a recorded benchmark found beside `benchmarkNear` (default the file).
 */
export async function describeVersionFile(file: string, workspace: string, benchmarkNear = file): Promise<FileFacts> {
  const { sha256, size } = await sha256File(file);
  let signature: ModelVersion['signature'] = null;
  let recipe: ModelVersion['recipe'] = null;
  try {
    const summary = await summarizeModel(file);
    signature = { inputs: summary.inputs.map(tensor), outputs: summary.outputs.map(tensor) };
    const prop = (k: string) => summary.metadataProps.find((p) => p.key === k)?.value;
    const name = prop(RECIPE_KEY);
    if (name) recipe = { recipe: name, parentSha256: prop(PARENT_SHA256_KEY) ?? null };
  } catch {
    // Not an ONNX file (or not readable as one): registered by hash and size only.
  }
  const benchmark =
    (await readBenchmark(benchmarkSidecar(benchmarkNear), workspace)) ?? (await readBenchmark(benchmarkSidecar(file), workspace));
  return { sha256, sizeBytes: size, signature, recipe, benchmark };
}
