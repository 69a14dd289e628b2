/**
 * Opens an onnxruntime-node InferenceSession from a model file path (so external data files resolve next to the
 * model), CPU execution provider, with ORT's own logging raised above warnings so it stays off stderr.
 * Failures become OrtSessionError, whose message names the model and the cause.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';

import { GRAPH_OPTIMIZATION_LEVELS, type GraphOptimizationLevel } from './graphOptimizationLevel';
export { GRAPH_OPTIMIZATION_LEVELS, type GraphOptimizationLevel };

export interface SessionOptions {
  /** Default 'all'. */
  graphOptimizationLevel?: GraphOptimizationLevel;
  /** Threads inside one operator; 0 or undefined lets ORT choose (one per physical core). */
  intraOpThreads?: number;
  /** Threads running independent operators in parallel; > 1 switches ORT to the parallel execution mode. */
  interOpThreads?: number;
  /** ORT log level: 0 verbose .. 4 fatal. Default 3 (errors only), so warnings stay off stderr. */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

/** Why a model could not be loaded or run; `model` is the absolute path. */
export class OrtSessionError extends Error {
  constructor(
    readonly model: string,
    readonly stage: 'load' | 'run',
    cause: unknown,
  ) {
    super(`${stage === 'load' ? 'cannot load' : 'cannot run'} model ${model}: ${causeText(cause)}`, { cause });
    this.name = 'OrtSessionError';
  }
}

/** The first meaningful line of an ORT error, without its `[ONNXRuntimeError] : 1 : FAIL :` prefix noise. */
export function causeText(cause: unknown): string {
  const text = cause instanceof Error ? cause.message : String(cause);
  return text.replace(/\s+/g, ' ').trim() || 'unknown error';
}

export function sessionOptionsFor(options: SessionOptions = {}): ort.InferenceSession.SessionOptions {
  const out: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    logSeverityLevel: options.logSeverityLevel ?? 3,
  };
  if (options.intraOpThreads !== undefined && options.intraOpThreads > 0) out.intraOpNumThreads = options.intraOpThreads;
  if (options.interOpThreads !== undefined && options.interOpThreads > 0) {
    out.interOpNumThreads = options.interOpThreads;
    if (options.interOpThreads > 1) out.executionMode = 'parallel';
  }
  return out;
}

/** Creates a session from a file path. Throws OrtSessionError (missing file, not a model, unsupported op, ...). */
export async function createSession(path: string, options: SessionOptions = {}): Promise<ort.InferenceSession> {
  const absolute = resolve(path);
  const info = await stat(absolute).catch((e: unknown) => {
    throw new OrtSessionError(absolute, 'load', (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : e);
  });
  if (!info.isFile()) throw new OrtSessionError(absolute, 'load', 'not a regular file');
  try {
    return await ort.InferenceSession.create(absolute, sessionOptionsFor(options));
  } catch (e) {
    throw new OrtSessionError(absolute, 'load', e);
  }
}

/** Run options that keep ORT's per-run log off stderr too. */
export const QUIET_RUN_OPTIONS: ort.InferenceSession.RunOptions = { logSeverityLevel: 3 };
