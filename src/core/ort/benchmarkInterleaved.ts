/**
 * Benchmarks several models against each other, interleaved: warm-up, then rounds in which each model does a
 * short burst of timed runs in turn (A, B, A, B …; the order flips every round so neither always goes first), so
 * machine noise (another process, thermal throttling, a frequency change) hits every model alike. Only one model
 * runs at a time. The timed loop itself is benchmarkModel's (the bare session.run; here inside each model's own
 * process, see src/core/optimize/sessionWorker.ts); statistics are latencyStats.
 */
import { latencyStats, type LatencyStats } from './latencyStats';

/** Something that can do `runs` back-to-back timed runs of one model and report each run's latency. */
export interface TimedRunner {
  time(runs: number): Promise<{ latenciesMs: number[]; wallMs: number }>;
}

export interface InterleavedOptions {
  /** Untimed runs of each model first. Default 10. */
  warmup?: number;
  /** Timed runs of each model. Default 100. */
  runs?: number;
  /** Runs per model per round. Default 5. */
  burst?: number;
  /** Inferences per run (the batch size), for the throughput. Default 1. */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface InterleavedResult extends LatencyStats {
  latenciesMs: number[];
  /** Inferences per second over the model's timed runs (runs × batch size ÷ the sum of its bursts' wall time). */
  throughput: number;
}

export interface InterleavedBenchmark {
  results: InterleavedResult[];
  warmup: number;
  runs: number;
  burst: number;
  rounds: number;
}

export async function benchmarkInterleaved(
  runners: readonly TimedRunner[],
  options: InterleavedOptions = {},
): Promise<InterleavedBenchmark> {
  const warmup = options.warmup ?? 10;
  const runs = options.runs ?? 100;
  const burst = Math.max(1, Math.min(options.burst ?? 5, runs));
  const batch = options.batchSize ?? 1;
  if (!Number.isSafeInteger(runs) || runs < 1) throw new RangeError(`runs must be an integer ≥ 1, got ${runs}`);
  for (const r of runners) if (warmup > 0) await r.time(warmup);
  const latencies = runners.map(() => [] as number[]);
  const wall = runners.map(() => 0);
  const rounds = Math.ceil(runs / burst);
  for (let round = 0; round < rounds; round++) {
    options.signal?.throwIfAborted();
    const n = Math.min(burst, runs - round * burst);
    const order = runners.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      const t = await runners[i].time(n);
      latencies[i].push(...t.latenciesMs);
      wall[i] += t.wallMs;
    }
    options.onProgress?.(round + 1, rounds);
  }
  return {
    results: latencies.map((l, i) => ({ ...latencyStats(l), latenciesMs: l, throughput: (l.length * batch * 1000) / wall[i] })),
    warmup,
    runs,
    burst,
    rounds,
  };
}
