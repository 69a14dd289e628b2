/** Compares two benchmark results figure by figure: B relative to A (ratio > 1 means B's figure is larger). */
import type { BenchmarkResult } from './benchmarkModel';

export const COMPARED_FIGURES = [
  'sessionCreateMs',
  'firstRunMs',
  'p50',
  'p90',
  'p99',
  'mean',
  'min',
  'max',
  'stddev',
  'throughput',
  'peakRssBytes',
] as const;
export type ComparedFigure = (typeof COMPARED_FIGURES)[number];

export interface FigureDelta {
  a: number;
  b: number;
  /** b − a */
  delta: number;
  /** b ÷ a (NaN when a is 0). */
  ratio: number;
  /** (b − a) ÷ a × 100. */
  percent: number;
}

export interface BenchmarkComparison {
  a: { path: string; startedAt: string };
  b: { path: string; startedAt: string };
  figures: Record<ComparedFigure, FigureDelta>;
  /** p50 speed-up of B over A (a.p50 ÷ b.p50): > 1 means B is faster. */
  speedup: number;
  /** Which is faster by p50, or 'same' within 1 %. */
  faster: 'a' | 'b' | 'same';
  /** Settings that differ (runs, batch size, threads, ...), so the reader knows the comparison is not like for like. */
  configDifferences: string[];
}

type Comparable = Pick<BenchmarkResult, ComparedFigure | 'model' | 'startedAt' | 'config'>;

function delta(a: number, b: number): FigureDelta {
  const ratio = a === 0 ? Number.NaN : b / a;
  return { a, b, delta: b - a, ratio, percent: (ratio - 1) * 100 };
}

export function compareBenchmarks(a: Comparable, b: Comparable): BenchmarkComparison {
  const figures = Object.fromEntries(COMPARED_FIGURES.map((f) => [f, delta(a[f], b[f])])) as Record<ComparedFigure, FigureDelta>;
  const speedup = b.p50 === 0 ? Number.NaN : a.p50 / b.p50;
  const faster = !Number.isFinite(speedup) || Math.abs(speedup - 1) <= 0.01 ? 'same' : speedup > 1 ? 'b' : 'a';
  const configDifferences: string[] = [];
  for (const key of [
    'runs',
    'warmup',
    'batchSize',
    'intraOpThreads',
    'interOpThreads',
    'graphOptimizationLevel',
    'onnxruntime',
    'cpu',
  ] as const) {
    if (JSON.stringify(a.config[key]) !== JSON.stringify(b.config[key]))
      configDifferences.push(`${key}: ${String(a.config[key])} → ${String(b.config[key])}`);
  }
  // Results saved before providers were recorded ran on CPU.
  const providers = (c: Comparable['config']): string => (c.executionProviders ?? ['cpu']).join(',');
  if (providers(a.config) !== providers(b.config))
    configDifferences.push(`executionProviders: ${providers(a.config)} → ${providers(b.config)}`);
  if (JSON.stringify(a.config.dims) !== JSON.stringify(b.config.dims))
    configDifferences.push(`dims: ${JSON.stringify(a.config.dims)} → ${JSON.stringify(b.config.dims)}`);
  return {
    a: { path: a.model.path, startedAt: a.startedAt },
    b: { path: b.model.path, startedAt: b.startedAt },
    figures,
    speedup,
    faster,
    configDifferences,
  };
}
