/**
 * Optimises a model with recipes applied in order (each one's input is the previous one's output), each result
 * written as a new file (never in place): `<stem>.<r1>.onnx`, `<stem>.<r1>.<r2>.onnx`, … beside the original or
 * in the output folder. Every variant is staged in a hidden folder inside the output folder, gets its parent's
 * sha256 and its recipe in its metadata props, and is kept (moved into place) only once it has loaded in
 * onnxruntime-node and run on the evaluation inputs; otherwise nothing is left behind and the error says why in
 * one line. Then the report: static figures, output agreement with the original, accuracy with labels, and an
 * interleaved benchmark with each model's sessions in a process of its own (so its peak RSS is its own).
 */
import { mkdir, mkdtemp, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { cpus } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { Logger } from '../logger';
import type { ModelSummary } from '../onnx/modelSummary';
import { summarizeModel } from '../onnx/summarizeModel';
import { benchmarkInterleaved } from '../ort/benchmarkInterleaved';
import type { GraphOptimizationLevel } from '../ort/graphOptimizationLevel';
import { makeInputs } from '../ort/makeInputs';
import { ortVersion } from '../ort/ortVersion';
import { sha256File } from '../sha256File';
import { classificationMetrics, type ClassificationMetrics } from './classificationMetrics';
import { evaluationSet, predictedClasses, toWire } from './evaluationSet';
import { operatorChanges, staticFigures } from './modelFigures';
import type { ModelFigures, OptimizationReport, VariantFigures } from './optimizationReport';
import { combineAgreement, OutputAgreementAccumulator } from './outputAgreement';
import type { OptimizationRecipe, RecipeOptions } from './recipe';
import { SessionWorkerClient } from './sessionWorkerClient';
import type { LoadResult, MemoryResult } from './sessionWorkerProtocol';
import { setMetadataProps } from './setMetadataProps';
import { PARENT_SHA256_KEY, RECIPE_KEY } from './variantKeys';
import { verdictLine } from './verdictLine';

export { PARENT_SHA256_KEY, RECIPE_KEY };

/** An optimisation that could not be done or kept; the message is one line. */
export class OptimizeError extends Error {
  override name = 'OptimizeError';
}

export type OptimizePhase = 'apply' | 'load' | 'evaluate' | 'benchmark';

export interface OptimizeOptions extends RecipeOptions {
  recipes: readonly OptimizationRecipe[];
  /** An output folder, or a path ending in .onnx for the last variant (the others go beside it). Default: the model's folder. */
  out?: string;
  /** Evaluation inputs: a .npy file or a folder of NAME.npy files; default generated from the signature. */
  eval?: string;
  labels?: string;
  dims?: Record<string, number>;
  /** Leading symbolic dim of the benchmark's inputs. Default 1. */
  batchSize?: number;
  /** Timed runs per model. Default 100. */
  runs?: number;
  warmup?: number;
  /** The level the benchmark's sessions are created at. Default 'all', ORT's default, as a deployment loads a model. */
  benchmarkLevel?: GraphOptimizationLevel;
  /** The level the evaluation sessions are created at. Default 'disabled': each graph runs as written. */
  evaluationLevel?: GraphOptimizationLevel;
  signal?: AbortSignal;
  onProgress?: (phase: OptimizePhase, message: string) => void;
  logger?: Logger;
}

export const RSS_METHOD =
  "each model's sessions run in a child Node process of their own; peak RSS is that process's " +
  'process.resourceUsage().maxRSS at the end (Node and onnxruntime included; baselineRssBytes is the same before the session was created)';

const oneLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();

/** Final paths of the variants. */
export function variantPaths(model: string, recipes: readonly string[], out?: string): string[] {
  const stem = basename(model, extname(model));
  const last = out !== undefined && out.toLowerCase().endsWith('.onnx') ? resolve(out) : undefined;
  const folder = last ? dirname(last) : resolve(out ?? dirname(model));
  return recipes.map((_, i) =>
    last && i === recipes.length - 1 ? last : join(folder, `${stem}.${recipes.slice(0, i + 1).join('.')}.onnx`),
  );
}

async function readModelSummary(path: string, what: string): Promise<ModelSummary> {
  try {
    return await summarizeModel(path);
  } catch (e) {
    throw new OptimizeError(`cannot read ${what} ${path}: ${oneLine(e)}`);
  }
}

/** Makes the folder (and says whether it did), or throws one line. */
async function ensureFolder(folder: string): Promise<boolean> {
  const info = await stat(folder).catch(() => undefined);
  if (info?.isDirectory()) return false;
  if (info) throw new OptimizeError(`cannot write to the output folder ${folder}: it is a file`);
  try {
    await mkdir(folder, { recursive: true });
    return true;
  } catch (e) {
    throw new OptimizeError(`cannot write to the output folder ${folder}: ${(e as NodeJS.ErrnoException).code ?? oneLine(e)}`);
  }
}

export async function optimizeModel(model: string, options: OptimizeOptions): Promise<OptimizationReport> {
  const input = resolve(model);
  const { recipes, signal, onProgress } = options;
  if (recipes.length === 0) throw new OptimizeError('no recipe given');
  const original = await readModelSummary(input, 'model');
  const finals = variantPaths(
    input,
    recipes.map((r) => r.name),
    options.out,
  );
  if (finals.some((f) => f === input))
    throw new OptimizeError(`the output ${input} is the model itself: variants are never written in place`);
  const first = recipes[0].applies(original);
  if (!first.ok) throw new OptimizeError(`${recipes[0].name} does not apply to ${basename(input)}: ${first.reason}`);
  // Inputs are checked before anything is written.
  const evaluation = await evaluationSet(original, { eval: options.eval, labels: options.labels, dims: options.dims }).catch(
    (e: unknown) => {
      throw new OptimizeError(oneLine(e));
    },
  );

  const folder = dirname(finals[0]);
  const created = await ensureFolder(folder);
  let staging: string;
  try {
    staging = await mkdtemp(join(folder, '.mlw-optimize-'));
  } catch (e) {
    if (created) await rmdir(folder).catch(() => undefined);
    throw new OptimizeError(`cannot write to the output folder ${folder}: ${(e as NodeJS.ErrnoException).code ?? oneLine(e)}`);
  }
  const workers: SessionWorkerClient[] = [];
  let kept = false;
  try {
    // 1. Apply the recipes in order, each into the staging folder under its final name.
    const staged: string[] = [];
    const parents: { path: string; sha256: string }[] = [];
    let current = input;
    for (const [i, recipe] of recipes.entries()) {
      signal?.throwIfAborted();
      if (i > 0) {
        const check = recipe.applies(await readModelSummary(current, 'the intermediate variant'));
        if (!check.ok) throw new OptimizeError(`${recipe.name} does not apply after ${recipes[i - 1].name}: ${check.reason}`);
      }
      onProgress?.('apply', `${recipe.name} (${i + 1}/${recipes.length})`);
      const target = join(staging, basename(finals[i]));
      try {
        await recipe.apply(current, target, options, signal);
      } catch (e) {
        if (signal?.aborted) throw e;
        throw new OptimizeError(`${recipe.name} failed on ${basename(current)}: ${oneLine(e)}`);
      }
      const { sha256 } = await sha256File(current, signal);
      parents.push({ path: i === 0 ? input : finals[i - 1], sha256 });
      await setMetadataProps(target, { [PARENT_SHA256_KEY]: sha256, [RECIPE_KEY]: recipe.name });
      staged.push(target);
      current = target;
    }

    // 2. Each model in a process of its own, at the level that keeps its graph as written, runs the evaluation
    // inputs: so the original's outputs are those of the file as it is, not of ORT's own fusions of it.
    const level = options.benchmarkLevel ?? 'all';
    const models = [input, ...staged];
    const labels = ['the original', ...recipes.map((r) => `the ${r.name} variant`)];
    const start = async (at: GraphOptimizationLevel): Promise<{ started: SessionWorkerClient[]; loads: LoadResult[] }> => {
      const started: SessionWorkerClient[] = [];
      const loads: LoadResult[] = [];
      for (const [i, path] of models.entries()) {
        signal?.throwIfAborted();
        onProgress?.('load', `loading ${basename(finals[i - 1] ?? input)}`);
        const worker = new SessionWorkerClient(labels[i], signal);
        workers.push(worker);
        started.push(worker);
        try {
          loads.push(await worker.load(path, at));
        } catch (e) {
          if (signal?.aborted) throw e;
          if (i === 0) throw new OptimizeError(`the original does not load in onnxruntime-node: ${oneLine(e)}`);
          throw new OptimizeError(
            `${recipes[i - 1].name}: the variant does not load in onnxruntime-node, so it was removed: ${oneLine(e)}`,
          );
        }
      }
      return { started, loads };
    };
    const evaluators = (await start(options.evaluationLevel ?? 'disabled')).started;
    const accumulators = staged.map(() => new Map<string, OutputAgreementAccumulator>());
    const predictions = models.map(() => [] as number[]);
    for (const [b, batch] of evaluation.batches.entries()) {
      signal?.throwIfAborted();
      onProgress?.('evaluate', `evaluation batch ${b + 1}/${evaluation.batches.length}`);
      const reference = await evaluators[0].run(batch).catch((e: unknown) => {
        throw signal?.aborted ? e : new OptimizeError(`the original does not run on the evaluation inputs: ${oneLine(e)}`);
      });
      if (evaluation.labels) predictions[0].push(...(predictedClasses(reference) ?? []));
      for (let v = 0; v < staged.length; v++) {
        const outputs = await evaluators[v + 1].run(batch).catch((e: unknown) => {
          throw signal?.aborted
            ? e
            : new OptimizeError(`${recipes[v].name}: the variant does not run on the evaluation inputs, so it was removed: ${oneLine(e)}`);
        });
        if (evaluation.labels) predictions[v + 1].push(...(predictedClasses(outputs) ?? []));
        for (const ref of reference) {
          const out = outputs.find((o) => o.name === ref.name);
          if (!out) throw new OptimizeError(`${recipes[v].name}: the variant has no output '${ref.name}', so it was removed`);
          let acc = accumulators[v].get(ref.name);
          if (!acc) accumulators[v].set(ref.name, (acc = new OutputAgreementAccumulator(ref.name)));
          try {
            acc.add(ref, out);
          } catch (e) {
            throw new OptimizeError(`${recipes[v].name}: ${oneLine(e)}, so the variant was removed`);
          }
        }
      }
    }
    let classification: (ClassificationMetrics | undefined)[] = models.map(() => undefined);
    if (evaluation.labels) {
      if (predictions[0].length !== evaluation.samples)
        throw new OptimizeError('--labels given, but the model has no classifier-like output (2-D scores or integer class ids)');
      classification = predictions.map((p) => classificationMetrics(p, evaluation.labels!));
    }

    await Promise.all(evaluators.map((w) => w.close()));

    // 3. Fresh processes at the level a deployment loads them at: session creation, the interleaved benchmark, then
    // each process's peak RSS.
    const { started: benchers, loads } = await start(level);
    const batchSize = options.batchSize ?? 1;
    const timedFeeds = toWire(makeInputs(original, { batchSize, dims: options.dims, seed: 1 }));
    for (const w of benchers) await w.setTimedFeeds(timedFeeds);
    const bench = await benchmarkInterleaved(benchers, {
      warmup: options.warmup ?? 10,
      runs: options.runs ?? 100,
      batchSize,
      signal,
      onProgress: (done, total) => onProgress?.('benchmark', `benchmark round ${done}/${total}`),
    });
    const memory: MemoryResult[] = [];
    for (const w of benchers) memory.push(await w.memory());
    await Promise.all(benchers.map((w) => w.close()));

    // 4. Keep the variants: move them (and their data files) into place.
    for (const name of await readdir(staging)) await rename(join(staging, name), join(folder, name));
    kept = true;

    const measured = async (i: number, path: string): Promise<ModelFigures> => {
      const r = bench.results[i];
      return {
        ...(await staticFigures(await readModelSummary(path, 'model'))),
        sessionCreateMs: loads[i].sessionCreateMs,
        p50Ms: r.p50,
        p90Ms: r.p90,
        p99Ms: r.p99,
        meanMs: r.mean,
        throughput: r.throughput,
        peakRssBytes: memory[i].peakRssBytes,
        baselineRssBytes: loads[i].baselineRssBytes,
        ...(classification[i] ? { classification: classification[i] } : {}),
      };
    };
    const originalFigures = await measured(0, input);
    const variants: VariantFigures[] = [];
    for (const [v, recipe] of recipes.entries()) {
      const figures = await measured(v + 1, finals[v]);
      const agreement = combineAgreement([...accumulators[v].values()].map((a) => a.result()));
      const changes = operatorChanges(originalFigures.operators, figures.operators);
      variants.push({
        ...figures,
        recipe: recipe.name,
        parentPath: parents[v].path,
        parentSha256: parents[v].sha256,
        operatorsAdded: changes.added,
        operatorsRemoved: changes.removed,
        agreement,
        verdict: '',
      });
    }
    for (const v of variants) v.verdict = verdictLine({ recipe: v.recipe, original: originalFigures, variant: v, agreement: v.agreement });
    return {
      original: originalFigures,
      variants,
      evaluation: {
        source: evaluation.source,
        description: evaluation.description,
        samples: evaluation.samples,
        batches: evaluation.batches.length,
        graphOptimizationLevel: options.evaluationLevel ?? 'disabled',
      },
      measurement: {
        benchmark: {
          warmup: bench.warmup,
          runs: bench.runs,
          burst: bench.burst,
          rounds: bench.rounds,
          batchSize,
          inputs: timedFeeds.map((t) => ({ name: t.name, type: t.type, shape: t.dims })),
          graphOptimizationLevel: level,
        },
        rss: RSS_METHOD,
        onnxruntime: ortVersion(),
        cpu: cpus()[0]?.model.trim() ?? 'unknown',
        cores: cpus().length,
      },
    };
  } finally {
    await Promise.all(workers.map((w) => w.close().catch(() => undefined)));
    await rm(staging, { recursive: true, force: true });
    if (!kept && created) await rmdir(folder).catch(() => undefined);
  }
}
