/**
 * Messages between the extension and the benchmark webview. Both the extension bundle and the browser bundle
 * compile it, so it imports types only, from src/core/ort/latencyStats.ts (which imports nothing). Handshake:
 * the webview posts `ready`, the extension answers with `state`.
 */
import type { LatencyStats } from '../core/ort/latencyStats';

/** The compared figures of a benchmark: core's latency statistics and the figures around them (as in BenchmarkResult). */
export interface BenchmarkFigures extends LatencyStats {
  sessionCreateMs: number;
  firstRunMs: number;
  throughput: number;
  peakRssBytes: number;
}

export interface BenchmarkRun extends BenchmarkFigures {
  path: string;
  startedAt: string;
  runs: number;
  batchSize: number;
  latenciesMs: number[];
  /** The inputs the runs were fed, and the graph optimisation level. */
  inputs?: { name: string; type: string; shape: readonly number[] }[];
  /** One line per free dimension or scalar input: its value and why (core's describeChoices). */
  choices?: string[];
  graphOptimizationLevel?: string;
}

export interface FigureComparison {
  figure: keyof BenchmarkFigures;
  a: number;
  b: number;
  percent: number;
}

export interface BenchmarkView {
  fileName: string;
  current: BenchmarkRun;
  /** The previous benchmark of the same model, with the figure-by-figure comparison against it. */
  previous?: BenchmarkRun;
  comparison?: { figures: FigureComparison[]; speedup: number; faster: 'a' | 'b' | 'same'; configDifferences: string[] };
}

export type BenchmarkToWebview = { type: 'state'; view: BenchmarkView };

export type BenchmarkFromWebview = { type: 'ready' } | { type: 'rerun' };

export function parseBenchmarkMessage(raw: unknown): BenchmarkFromWebview | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const type = (raw as Record<string, unknown>).type;
  return type === 'ready' || type === 'rerun' ? { type } : undefined;
}
