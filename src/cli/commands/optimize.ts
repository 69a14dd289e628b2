import { isAbsolute, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { appendLineage, lineageFile } from '../../core/deploy/lineage';
import { formatBytes } from '../../core/format/formatBytes';
import {
  BUILT_RECIPES,
  LAYOUT_LEVEL_REASON,
  optimizeModel,
  OptimizeError,
  parseRecipes,
  PLANNED_RECIPES,
  RecipeError,
  type ModelFigures,
  type OptimizationReport,
} from '../../core/optimize';
import { CALIBRATION_NEEDED, calibrationSource, DEFAULT_PERCENTILE, int8StaticRecipe } from '../../core/optimize/int8StaticRecipe';
import { sha256File } from '../../core/sha256File';
import { UsageError, type CliContext, type CliCommand } from '../cliCommand';
import { parseDims } from './bench';

/**
 * Each kept variant inside the workspace, with its parent's sha256 and recipe, in the workspace's lineage (a variant
 * written elsewhere is not this workspace's to record); a failure is a warning only. True when any was recorded.
 */
async function recordVariants(report: OptimizationReport, ctx: CliContext): Promise<boolean> {
  const inside = report.variants.filter(
    (v) => !relative(ctx.workspace, v.path).startsWith('..') && !isAbsolute(relative(ctx.workspace, v.path)),
  );
  if (inside.length === 0) return false;
  try {
    for (const v of inside) {
      await appendLineage(ctx.workspace, {
        at: new Date().toISOString(),
        kind: 'variant',
        modelPath: v.path,
        modelHash: (await sha256File(v.path)).sha256,
        parentPath: v.parentPath,
        parentHash: v.parentSha256,
        recipe: v.recipe,
        verdict: v.verdict,
        fileSize: v.fileSize,
      });
    }
    return true;
  } catch (e) {
    ctx.logger.warn(`lineage not recorded: ${(e as Error).message}`);
    return false;
  }
}

function integer(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${value}'`);
  return n;
}

function calibrationMethod(value: string | undefined): 'minmax' | 'percentile' | undefined {
  if (value === undefined || value === 'minmax' || value === 'percentile') return value;
  throw new UsageError(`--calibration must be minmax or percentile, got '${value}'`);
}

function percentileOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const p = Number(value);
  if (!(p > 50 && p <= 100)) throw new UsageError(`--percentile must be a number in (50, 100], got '${value}'`);
  return p;
}

const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(3));

function row(label: string, m: ModelFigures): string {
  return [
    label.padEnd(16),
    formatBytes(m.fileSize).padStart(10),
    formatBytes(m.weightBytes).padStart(10),
    String(m.nodes).padStart(6),
    ms(m.sessionCreateMs).padStart(9),
    ms(m.p50Ms).padStart(9),
    ms(m.p99Ms).padStart(9),
    m.throughput.toFixed(m.throughput >= 100 ? 0 : 1).padStart(9),
    formatBytes(m.peakRssBytes).padStart(10),
  ].join(' ');
}

export function formatOptimizationReport(r: OptimizationReport): string {
  const b = r.measurement.benchmark;
  const lines = [
    `onnxruntime ${r.measurement.onnxruntime}, ${r.measurement.cores} cores, ${r.measurement.cpu}`,
    `benchmark: ${b.warmup} warm-up + ${b.runs} runs per model, interleaved in ${b.rounds} rounds of ${b.burst}; sessions at level ${b.graphOptimizationLevel}; ` +
      b.inputs.map((i) => `${i.name} ${i.type}[${i.shape.join(',')}]`).join(', '),
    `evaluation: ${r.evaluation.description} (${r.evaluation.samples} samples; sessions at level ${r.evaluation.graphOptimizationLevel}, graphs as written)`,
    '',
    `${'model'.padEnd(16)} ${'file'.padStart(10)} ${'weights'.padStart(10)} ${'nodes'.padStart(6)} ${'create ms'.padStart(9)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'inf/s'.padStart(9)} ${'peak RSS'.padStart(10)}`,
    row('original', r.original),
    ...r.variants.map((v) => row(v.recipe, v)),
    '',
  ];
  for (const v of r.variants) {
    lines.push(`${v.path}`);
    const a = v.agreement;
    lines.push(
      `  agreement: max abs ${a.maxAbsDiff.toExponential(2)}, max rel ${a.maxRelDiff.toExponential(2)}, cosine ${a.cosine.toFixed(6)}` +
        (a.top1 === null ? '' : `, top-1 ${(a.top1 * 100).toFixed(1)} %`),
    );
    if (v.operatorsAdded.length)
      lines.push(`  operators added: ${v.operatorsAdded.map((o) => `${o.op} ${o.before}→${o.after}`).join(', ')}`);
    if (v.operatorsRemoved.length)
      lines.push(`  operators removed: ${v.operatorsRemoved.map((o) => `${o.op} ${o.before}→${o.after}`).join(', ')}`);
    if (v.classification && r.original.classification) {
      const o = r.original.classification;
      const c = v.classification;
      lines.push(
        `  accuracy ${o.accuracy.toFixed(4)} → ${c.accuracy.toFixed(4)}, macro F1 ${o.macroF1.toFixed(4)} → ${c.macroF1.toFixed(4)}`,
      );
    }
    lines.push(`  ${v.verdict}`);
  }
  lines.push('', `peak RSS: ${r.measurement.rss}`);
  return lines.join('\n');
}

export const optimizeCommand: CliCommand = {
  name: 'optimize',
  summary: 'Optimise an ONNX model with recipes, check each variant and report size, speed, memory and agreement',
  usage: `mlw optimize <model.onnx> --recipe R1[,R2…] [-o OUT] [--eval X.npy|DIR] [--labels y.npy] [--calibrate DIR] [--calibration minmax|percentile] [--per-channel] [--block-size N] [--json]

Applies the recipes in order (each to the previous one's result) and writes each result as a new file,
<model>.<r1>.onnx, <model>.<r1>.<r2>.onnx, …, never in place. A variant is kept only once it has loaded in
onnxruntime-node and run on the evaluation inputs; its metadata props record its parent's sha256
(mlw.optimize.parent_sha256) and the recipe (mlw.optimize.recipe). Then the original and every variant are
measured in one run: file size, weights by dtype, nodes, operators added and removed, session creation,
latency p50/p99 and throughput benchmarked interleaved (A, B, A, B …), peak RSS (each model in a process of
its own), output agreement with the original (max abs/rel error, cosine, top-1), and a one-line verdict.
A variant written inside the workspace is recorded in its lineage (.mlw/lineage.jsonl): its sha256, its
parent's, the recipe and the verdict.

Recipes:
${BUILT_RECIPES.map((r) => `  ${r.name.padEnd(14)} ${r.description}`).join('\n')}
${PLANNED_RECIPES.length > 0 ? `  not available yet: ${PLANNED_RECIPES.map((r) => r.name).join(', ')}\n` : ''}  ${LAYOUT_LEVEL_REASON.replace(/(.{1,108})(\s+|$)/g, '$1\n  ').trimEnd()}

Options:
  -o, --out OUT        output folder (made if missing), or a .onnx path for the last variant (default: beside the model)
  --eval X.npy|DIR     evaluation inputs: a .npy for a single-input model, or a folder of NAME.npy per input,
                       samples along the first axis (default: 4 random batches generated from the signature)
  --labels y.npy       class ids of the --eval samples: accuracy and macro F1 before and after
  --dim name=value     value of a symbolic dim, repeatable (else the model's metadata or a default)
  --batch N            leading symbolic dim of the benchmark inputs (default 1)
  --runs N             timed runs per model (default 100)   --warmup N   untimed runs first (default 10)
  --calibrate DIR      int8-static: calibration inputs, a folder of .npy/.npz files (an .npz holds one array per
                       input name; or NAME.npy per input, samples along the first axis), or one .npz/.npy file;
                       without it the --eval inputs; without either int8-static refuses (no random calibration)
  --calibration M      int8-static: activation ranges by minmax (default) or percentile
  --percentile P       with --calibration percentile: the percentile kept in each tail (default ${DEFAULT_PERCENTILE})
  --per-channel        int8 recipes: per output channel (int8-static: Conv, Gemm and MatMul weights; int8-dynamic:
                       MatMul and Gemm weights; default per tensor)
  --block-size N       int4-weights, int8-weights: block size along K, 16, 32, 64, 128 or 256 (default 32)
  --json               {"original": M, "variants": [M…]}: path, fileSize, weightBytes, nodes, p50Ms, p99Ms,
                       peakRssBytes, and for variants recipe and agreement {maxAbsDiff, maxRelDiff, cosine, top1}
Exit code: 0 when every variant was written and checked; 1 with a one-line reason when a recipe is unknown,
not available or does not apply, the model cannot be read, the output folder cannot be written, or a variant
does not load or run (nothing is left behind); 2 for bad options; 130 when interrupted.`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        recipe: { type: 'string', multiple: true },
        out: { type: 'string', short: 'o' },
        eval: { type: 'string' },
        labels: { type: 'string' },
        'per-channel': { type: 'boolean' },
        calibrate: { type: 'string' },
        calibration: { type: 'string' },
        percentile: { type: 'string' },
        'block-size': { type: 'string' },
        dim: { type: 'string', multiple: true },
        batch: { type: 'string' },
        runs: { type: 'string' },
        warmup: { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one model path');
    if (!values.recipe?.length) throw new UsageError(`--recipe is required (available: ${BUILT_RECIPES.map((r) => r.name).join(', ')})`);
    const options = {
      dims: parseDims(values.dim ?? []),
      batchSize: integer(values.batch, 'batch', 1),
      runs: integer(values.runs, 'runs', 1),
      warmup: integer(values.warmup, 'warmup', 0),
      blockSize: integer(values['block-size'], 'block-size', 1),
      perChannel: values['per-channel'] ?? false,
      calibration: calibrationMethod(values.calibration),
      percentile: percentileOption(values.percentile),
    };
    const at = (p: string | undefined) => (p === undefined ? undefined : resolve(ctx.workspace, p));
    const progress = !ctx.json && process.stderr.isTTY;
    try {
      const recipes = parseRecipes(values.recipe.join(','));
      if (recipes.some((r) => r.name === int8StaticRecipe.name) && !calibrationSource({ calibrate: values.calibrate, eval: values.eval })) {
        ctx.err(`mlw optimize: ${CALIBRATION_NEEDED}`);
        return 1;
      }
      const report = await optimizeModel(resolve(ctx.workspace, positionals[0]), {
        ...options,
        recipes,
        out: at(values.out),
        eval: at(values.eval),
        calibrate: at(values.calibrate),
        labels: at(values.labels),
        signal: ctx.signal,
        logger: ctx.logger,
        onProgress: progress ? (_phase, message) => process.stderr.write(`\r\x1b[K${message}`) : undefined,
      });
      if (progress) process.stderr.write('\r\x1b[K');
      const recorded = await recordVariants(report, ctx);
      ctx.out(ctx.json ? JSON.stringify(report, null, 2) : formatOptimizationReport(report));
      if (!ctx.json && recorded) ctx.out(`Lineage: variant → parent sha256 and recipe recorded in ${lineageFile(ctx.workspace)}`);
      return 0;
    } catch (e) {
      if (progress) process.stderr.write('\r\x1b[K');
      if (e instanceof RecipeError || e instanceof OptimizeError) {
        ctx.err(`mlw optimize: ${e.message}`);
        return 1;
      }
      throw e;
    }
  },
};
