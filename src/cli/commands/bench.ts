import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatBytes } from '../../core/format/formatBytes';
import {
  benchmarkModel,
  GRAPH_OPTIMIZATION_LEVELS,
  loadFeeds,
  parseExecutionProviders,
  type BenchmarkResult,
  type ExecutionProvider,
  type GraphOptimizationLevel,
} from '../../core/ort';
import { summarizeModel } from '../../core/onnx';
import { describeChoices } from '../../core/ort/inputDims';
import { UsageError, type CliCommand } from '../cliCommand';

function integer(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${value}'`);
  return n;
}

/** The providers of `--ep cuda,cpu`, or undefined (CPU) without the flag. */
export function parseEpOption(value: string | undefined): ExecutionProvider[] | undefined {
  if (value === undefined) return undefined;
  try {
    return parseExecutionProviders(value);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** `name=value` pairs of --dim into a record (name: a dim_param, or `input:axis` for an unnamed dim). */
export function parseDims(pairs: readonly string[]): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const p of pairs) {
    const m = /^([^=]+)=(\d+)$/.exec(p);
    if (!m) throw new UsageError(`--dim expects name=value with a non-negative integer, got '${p}'`);
    dims[m[1]] = Number(m[2]);
  }
  return dims;
}

/** `input=number` pairs of --scalar into a record. */
export function parseScalars(pairs: readonly string[]): Record<string, number> {
  const scalars: Record<string, number> = {};
  for (const p of pairs) {
    const eq = p.lastIndexOf('=');
    const value = Number(p.slice(eq + 1));
    if (eq <= 0 || p.slice(eq + 1).trim() === '' || !Number.isFinite(value))
      throw new UsageError(`--scalar expects input=number, got '${p}'`);
    scalars[p.slice(0, eq)] = value;
  }
  return scalars;
}

const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(3));

export function formatBenchmark(r: BenchmarkResult): string {
  const c = r.config;
  return [
    `${r.model.path}  (${formatBytes(r.model.sizeBytes)})`,
    `onnxruntime ${c.onnxruntime}, ${c.cores} cores, ${c.cpu}`,
    `opt ${c.graphOptimizationLevel}, intra-op threads ${c.intraOpThreads}, inter-op threads ${c.interOpThreads}; batch ${c.batchSize}; ${c.warmup} warm-up + ${c.runs} runs`,
    ...c.inputs.map((i) => `  input ${i.name}: ${i.type}[${i.shape.join(',')}]`),
    ...describeChoices(c.dimensions ?? [], c.scalars ?? []).map((l) => `    ${l}`),
    ...(c.skippedOutputs.length ? [`  skipped non-tensor outputs: ${c.skippedOutputs.join(', ')}`] : []),
    '',
    `session create  ${ms(r.sessionCreateMs)} ms`,
    `first run       ${ms(r.firstRunMs)} ms`,
    `latency ms      p50 ${ms(r.p50)}  p90 ${ms(r.p90)}  p99 ${ms(r.p99)}  mean ${ms(r.mean)} ± ${ms(r.stddev)}  min ${ms(r.min)}  max ${ms(r.max)}`,
    `throughput      ${r.throughput.toFixed(r.throughput >= 100 ? 0 : 2)} inferences/s`,
    `peak RSS        ${formatBytes(r.peakRssBytes)}`,
  ].join('\n');
}

export const benchCommand: CliCommand = {
  name: 'bench',
  summary: 'Benchmark an ONNX model with onnxruntime-node (latency percentiles, throughput)',
  usage: `mlw bench <model.onnx> [options] [--json]

Creates an onnxruntime-node session (CPU, or the --ep providers), feeds random inputs (or --input files) and times the runs.
  --runs N             timed runs (default 100)
  --warmup N           untimed runs first (default 10)
  --batch N            size of a leading symbolic dim (default 1)
  --dim name=value     value of a symbolic dim, repeatable (e.g. --dim sequence=128; input:axis=N for an
                       unnamed one); a dim without a value takes the metadata's, an image's other side, the
                       batch size when leading, else 16, and the output says which
  --scalar input=V     value of a scalar input (e.g. --scalar sr=16000), repeatable
  --threads N          intra-op threads (default: ORT's choice)
  --inter-threads N    inter-op threads (> 1 runs independent nodes in parallel)
  --opt LEVEL          graph optimization: all | extended | basic | disabled (default all)
  --ep LIST            execution providers in order, e.g. cuda,cpu (default cpu); one that cannot load is
                       an error, unless the list names cpu: then it falls back to CPU and says so on stderr
  --input FILE         feeds from a .json file ({input: nested array}) or .npy files (name=file.npy), repeatable
  --seed N             seed of the random inputs (default 1)
  --sha256             include the model file's SHA-256
  --json               print the whole result as JSON (latencies included)
Exit code: 0, 1 when the model cannot be loaded or run, 2 for bad options, 130 when interrupted.`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        runs: { type: 'string' },
        warmup: { type: 'string' },
        batch: { type: 'string' },
        dim: { type: 'string', multiple: true },
        scalar: { type: 'string', multiple: true },
        threads: { type: 'string' },
        'inter-threads': { type: 'string' },
        opt: { type: 'string' },
        ep: { type: 'string' },
        input: { type: 'string', multiple: true },
        seed: { type: 'string' },
        sha256: { type: 'boolean' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one model path');
    const opt = values.opt ?? 'all';
    if (!(GRAPH_OPTIMIZATION_LEVELS as readonly string[]).includes(opt))
      throw new UsageError(`--opt must be one of ${GRAPH_OPTIMIZATION_LEVELS.join(', ')}, got '${opt}'`);
    const executionProviders = parseEpOption(values.ep);
    const path = resolve(ctx.workspace, positionals[0]);
    const feeds = values.input?.length
      ? await loadFeeds(
          await summarizeModel(path),
          values.input.map((f) => (f.includes('=') ? f : resolve(ctx.workspace, f))),
        )
      : undefined;
    const progress = !ctx.json && process.stderr.isTTY;
    const result = await benchmarkModel(path, {
      runs: integer(values.runs, 'runs', 1),
      warmup: integer(values.warmup, 'warmup', 0),
      batchSize: integer(values.batch, 'batch', 1),
      dims: parseDims(values.dim ?? []),
      scalars: parseScalars(values.scalar ?? []),
      intraOpThreads: integer(values.threads, 'threads', 1),
      interOpThreads: integer(values['inter-threads'], 'inter-threads', 1),
      graphOptimizationLevel: opt as GraphOptimizationLevel,
      executionProviders,
      seed: integer(values.seed, 'seed', 0),
      hash: values.sha256 ?? false,
      feeds,
      signal: ctx.signal,
      logger: ctx.logger,
      onProgress: progress
        ? (p) => process.stderr.write(`\r${p.phase} ${p.done}/${p.total}   ${p.phase === 'measure' && p.done === p.total ? '\n' : ''}`)
        : undefined,
    });
    ctx.out(ctx.json ? JSON.stringify(result, null, 2) : formatBenchmark(result));
    return 0;
  },
};
