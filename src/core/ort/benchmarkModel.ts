/**
 * Measures a model's inference latency with onnxruntime-node: session creation, first run, warm-up, then timed
 * runs of the same random (or given) feeds. The timed loop does nothing but `session.run`, one clock read and a
 * store (bench/onnx-benchmark-overhead.mjs: within 2 % of a bare loop); memory and progress are sampled at most
 * every 50 ms. Cancels between runs when the signal aborts.
 */
import { stat } from 'node:fs/promises';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../logger';
import { sha256File } from '../sha256File';
import { summarizeModel } from '../onnx/summarizeModel';
import { createSession, OrtSessionError, QUIET_RUN_OPTIONS, type GraphOptimizationLevel, type SessionOptions } from './createSession';
import type { ExecutionProvider } from './executionProviders';
import { latencyStats, type LatencyStats } from './latencyStats';
import { chooseDims, chooseScalars, type DimChoice, type ScalarChoice } from './inputDims';
import { makeInputs, type Feeds } from './makeInputs';
import { ortVersion } from './ortVersion';

export interface BenchmarkProgress {
  phase: 'load' | 'warmup' | 'measure';
  done: number;
  total: number;
}

export interface BenchmarkOptions extends SessionOptions {
  /** Untimed runs after the first one. Default 10. */
  warmup?: number;
  /** Timed runs. Default 100. */
  runs?: number;
  batchSize?: number;
  dims?: Record<string, number>;
  /** Values of scalar inputs by name. */
  scalars?: Record<string, number>;
  seed?: number;
  /** Feeds to use instead of random inputs (missing inputs are still generated). */
  feeds?: Feeds;
  /** Compute the model file's SHA-256 (reads the whole file). Default false. */
  hash?: boolean;
  signal?: AbortSignal;
  /** Called at most every 100 ms, and at the end of each phase. */
  onProgress?: (progress: BenchmarkProgress) => void;
  logger?: Logger;
}

export interface BenchmarkConfig {
  warmup: number;
  runs: number;
  batchSize: number;
  dims: Record<string, number>;
  intraOpThreads: number | 'default';
  interOpThreads: number | 'default';
  graphOptimizationLevel: GraphOptimizationLevel;
  /** The providers the session ran on (a requested one that could not load is not in it). */
  executionProviders: ExecutionProvider[];
  inputs: { name: string; type: string; shape: readonly number[] }[];
  /** The value each free dimension of the generated inputs got, and why (absent in results saved before). */
  dimensions?: DimChoice[];
  scalars?: ScalarChoice[];
  /** Outputs fetched; non-tensor outputs (ZipMap maps, sequences) are skipped. */
  outputs: string[];
  skippedOutputs: string[];
  onnxruntime: string;
  node: string;
  cpu: string;
  cores: number;
}

export interface BenchmarkResult extends LatencyStats {
  model: { path: string; sizeBytes: number; sha256?: string };
  startedAt: string;
  sessionCreateMs: number;
  firstRunMs: number;
  latenciesMs: number[];
  /** Inferences per second (runs × batch size ÷ wall time of the timed loop). */
  throughput: number;
  /** Highest resident set size sampled during the benchmark. */
  peakRssBytes: number;
  config: BenchmarkConfig;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The benchmark was aborted', 'AbortError');
}

function count(value: number | undefined, fallback: number, what: string, min: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${what} must be an integer ≥ ${min}, got ${value}`);
  return v;
}

export async function benchmarkModel(path: string, options: BenchmarkOptions = {}): Promise<BenchmarkResult> {
  const absolute = resolve(path);
  const warmup = count(options.warmup, 10, 'warmup', 0);
  const runs = count(options.runs, 100, 'runs', 1);
  const batchSize = count(options.batchSize, 1, 'batch size', 1);
  const { signal, onProgress, logger } = options;
  const startedAt = new Date().toISOString();
  let peakRss = process.memoryUsage.rss();
  let lastSample = performance.now();
  let lastReport = Number.NEGATIVE_INFINITY;
  const report = (phase: BenchmarkProgress['phase'], done: number, total: number, now: number, force = false) => {
    if (now - lastSample >= 50) {
      lastSample = now;
      const rss = process.memoryUsage.rss();
      if (rss > peakRss) peakRss = rss;
    }
    if (onProgress && (force || now - lastReport >= 100)) {
      lastReport = now;
      onProgress({ phase, done, total });
    }
  };
  signal?.throwIfAborted();

  const info = await stat(absolute).catch(() => undefined);
  if (!info?.isFile()) throw new OrtSessionError(absolute, 'load', 'file not found');
  const sha256 = options.hash ? (await sha256File(absolute, signal)).sha256 : undefined;
  const summary = await summarizeModel(absolute);
  report('load', 0, 1, performance.now(), true);

  const t0 = performance.now();
  const { session, executionProviders } = await createSession(absolute, {
    graphOptimizationLevel: options.graphOptimizationLevel,
    intraOpThreads: options.intraOpThreads,
    interOpThreads: options.interOpThreads,
    executionProviders: options.executionProviders,
    logger,
  });
  const sessionCreateMs = performance.now() - t0;
  try {
    report('load', 1, 1, performance.now(), true);
    const feeds = makeInputs(summary, {
      batchSize,
      dims: options.dims,
      scalars: options.scalars,
      seed: options.seed,
      provided: options.feeds,
    });
    const generated = { ...summary, inputs: summary.inputs.filter((i) => !(i.name in (options.feeds ?? {}))) };
    const tensorOutputs = session.outputMetadata.filter((m) => m.isTensor).map((m) => m.name);
    const skippedOutputs = session.outputNames.filter((n) => !tensorOutputs.includes(n));
    if (tensorOutputs.length === 0) throw new OrtSessionError(absolute, 'run', 'the model has no tensor outputs');
    if (skippedOutputs.length > 0) logger?.debug(`benchmark: skipping non-tensor outputs ${skippedOutputs.join(', ')}`);
    // Fetch by name only when needed: the bare `session.run(feeds)` is what the overhead goal compares against.
    const fetches = skippedOutputs.length > 0 ? tensorOutputs : undefined;
    const context = { inputs: Object.entries(feeds).map(([name, t]) => ({ name, shape: t.dims })) };
    const run = async (): Promise<void> => {
      try {
        if (fetches) await session.run(feeds, fetches, QUIET_RUN_OPTIONS);
        else await session.run(feeds, QUIET_RUN_OPTIONS);
      } catch (e) {
        throw new OrtSessionError(absolute, 'run', e, context);
      }
    };

    let firstRunMs = Number.NaN;
    if (warmup > 0) {
      const f0 = performance.now();
      await run();
      firstRunMs = performance.now() - f0;
      for (let i = 1; i < warmup; i++) {
        if (signal?.aborted) throw abortError(signal);
        await run();
        report('warmup', i + 1, warmup, performance.now());
      }
      report('warmup', warmup, warmup, performance.now(), true);
    }

    // The timed loop: the bare `await session.run(...)`, then one clock read and one store; no wrapper promise,
    // no closure, no per-run options (the session was created at log level 3, which runs inherit). Progress and
    // memory are sampled at most every 50 ms, and the clock is read again after them so their cost lands in no
    // latency.
    const latencies = new Float64Array(runs);
    const loopStart = performance.now();
    let before = loopStart;
    let nextReport = loopStart + 50;
    try {
      for (let i = 0; i < runs; i++) {
        if (signal?.aborted) break;
        if (fetches) await session.run(feeds, fetches);
        else await session.run(feeds);
        const after = performance.now();
        latencies[i] = after - before;
        before = after;
        if (after >= nextReport) {
          report('measure', i + 1, runs, after);
          before = performance.now();
          nextReport = before + 50;
        }
      }
    } catch (e) {
      throw new OrtSessionError(absolute, 'run', e, context);
    }
    if (signal?.aborted) throw abortError(signal);
    const wallMs = before - loopStart;
    report('measure', runs, runs, performance.now(), true);
    if (Number.isNaN(firstRunMs)) firstRunMs = latencies[0];

    const firstCpu = cpus()[0];
    return {
      model: { path: absolute, sizeBytes: info.size, ...(sha256 ? { sha256 } : {}) },
      startedAt,
      sessionCreateMs,
      firstRunMs,
      latenciesMs: Array.from(latencies),
      ...latencyStats(latencies),
      throughput: (runs * batchSize * 1000) / wallMs,
      peakRssBytes: Math.max(peakRss, process.memoryUsage.rss()),
      config: {
        warmup,
        runs,
        batchSize,
        dims: { ...(options.dims ?? {}) },
        intraOpThreads: options.intraOpThreads && options.intraOpThreads > 0 ? options.intraOpThreads : 'default',
        interOpThreads: options.interOpThreads && options.interOpThreads > 0 ? options.interOpThreads : 'default',
        graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
        executionProviders,
        inputs: Object.entries(feeds).map(([name, t]) => ({ name, type: t.type, shape: t.dims })),
        dimensions: chooseDims(generated, { batchSize, dims: options.dims }),
        scalars: chooseScalars(generated, options.scalars),
        outputs: tensorOutputs,
        skippedOutputs,
        onnxruntime: ortVersion(),
        node: process.version,
        cpu: firstCpu?.model.trim() ?? 'unknown',
        cores: cpus().length,
      },
    };
  } finally {
    await session.release().catch(() => undefined);
  }
}
