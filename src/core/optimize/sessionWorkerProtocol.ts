/**
 * Messages between optimizeModel and a session worker (sessionWorker.ts, one child process per model, so each
 * model's peak RSS is its own). Sent over Node's IPC channel with the 'advanced' serialization, so typed arrays
 * cross as they are.
 */
import type { GraphOptimizationLevel } from '../ort/graphOptimizationLevel';
import type { OrtType, TensorData } from '../ort/ortTypes';

/** A tensor as it crosses the process boundary. */
export interface WireTensor {
  name: string;
  type: OrtType;
  dims: number[];
  data: TensorData;
}

export type WorkerRequest =
  | { op: 'load'; path: string; graphOptimizationLevel: GraphOptimizationLevel; intraOpThreads?: number }
  /** Runs once on `feeds` and returns every tensor output. */
  | { op: 'run'; feeds: WireTensor[] }
  /** Keeps `feeds` for the timed runs. */
  | { op: 'setTimedFeeds'; feeds: WireTensor[] }
  /** `runs` back-to-back timed runs of the kept feeds. */
  | { op: 'time'; runs: number }
  | { op: 'memory' };

export interface LoadResult {
  sessionCreateMs: number;
  /** Max RSS of the worker after onnxruntime loaded, before the session was created. */
  baselineRssBytes: number;
  outputs: string[];
}

export interface TimeResult {
  latenciesMs: number[];
  wallMs: number;
}

export interface MemoryResult {
  /** process.resourceUsage().maxRSS of the worker, in bytes: the peak over its whole life. */
  peakRssBytes: number;
}

export type WorkerResult = LoadResult | { outputs: WireTensor[] } | TimeResult | MemoryResult | Record<string, never>;

export type WorkerMessage = { id: number; ok: true; result: WorkerResult } | { id: number; ok: false; error: string };
