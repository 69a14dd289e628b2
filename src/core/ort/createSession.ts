/**
 * The one place ONNX Runtime sessions are created: from a model file path (so external data files resolve next to
 * the model), with the execution providers asked for, and ORT's own logging raised above warnings so it stays
 * off stderr. Model failures become OrtSessionError, whose message names the model and the cause; a provider
 * that cannot load becomes ExecutionProviderError, unless the list names `cpu`, in which case the session falls
 * back to the providers that do load and says so through the logger.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { Logger } from '../logger';
import { allowsCpuFallback, DEFAULT_EXECUTION_PROVIDERS, type ExecutionProvider } from './executionProviders';
import { ExecutionProviderError } from './executionProviderError';
import { GRAPH_OPTIMIZATION_LEVELS, type GraphOptimizationLevel } from './graphOptimizationLevel';
import { loadOrt } from './loadOrt';
import { ortErrorLine, type OrtErrorContext } from './ortErrorLine';
import { probeExecutionProviders } from './probeExecutionProvider';

export { GRAPH_OPTIMIZATION_LEVELS, type GraphOptimizationLevel };

/** The one options type of a session, for benchmark, try, the test data sets and the server. */
export interface SessionOptions {
  /** Default 'all'. */
  graphOptimizationLevel?: GraphOptimizationLevel;
  /** Threads inside one operator; 0 or undefined lets ORT choose (one per physical core). */
  intraOpThreads?: number;
  /** Threads running independent operators in parallel; > 1 switches ORT to the parallel execution mode. */
  interOpThreads?: number;
  /** ORT log level: 0 verbose .. 4 fatal. Default 3 (errors only), so warnings stay off stderr. */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /**
   * Execution providers in order of preference, e.g. ['cuda', 'cpu']. Default ['cpu']. When one cannot load, the
   * session falls back to the others only if the list names 'cpu'; otherwise createSession throws.
   */
  executionProviders?: readonly ExecutionProvider[];
  /** Told, in one line per provider, when a provider could not load and the session fell back. */
  logger?: Pick<Logger, 'warn'>;
  /**
   * Save the graph as optimised at `graphOptimizationLevel` to this path when the session is created (ORT's
   * offline optimisation). Its metadata props are kept. Initializers stay inline, except for a model with external
   * data: ORT then keeps each unchanged one pointing at the *source's* data file, which ties the saved file to it,
   * so pass `optimizedExternalData` to write them into a data file of the saved model's own.
   */
  optimizedModelFilePath?: string;
  /**
   * With `optimizedModelFilePath`: write initializers of at least `minSizeBytes` into `fileName` (a plain file
   * name, next to the saved model) instead of inline.
   */
  optimizedExternalData?: { fileName: string; minSizeBytes: number };
}

export interface CreatedSession {
  session: ort.InferenceSession;
  /** The providers the session was created with: the requested ones, less those that could not load. */
  executionProviders: ExecutionProvider[];
}

/** Why a model could not be loaded or run; `model` is the absolute path. */
export class OrtSessionError extends Error {
  constructor(
    readonly model: string,
    readonly stage: 'load' | 'run',
    cause: unknown,
    /** The run's feeds, so a failure inside a node names the input shapes. */
    context?: OrtErrorContext,
  ) {
    super(`${stage === 'load' ? 'cannot load' : 'cannot run'} model ${model}: ${ortErrorLine(cause, context)}`, { cause });
    this.name = 'OrtSessionError';
  }
}

/** An ORT error as one readable line, without ANSI escapes, log prefixes or `[ONNXRuntimeError] : 1 : FAIL :` noise. */
export function causeText(cause: unknown): string {
  return ortErrorLine(cause);
}

export function sessionOptionsFor(
  options: SessionOptions = {},
  providers: readonly ExecutionProvider[] = options.executionProviders ?? DEFAULT_EXECUTION_PROVIDERS,
): ort.InferenceSession.SessionOptions {
  const out: ort.InferenceSession.SessionOptions = {
    executionProviders: [...providers],
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    logSeverityLevel: options.logSeverityLevel ?? 3,
  };
  if (options.optimizedModelFilePath !== undefined) {
    out.optimizedModelFilePath = options.optimizedModelFilePath;
    const data = options.optimizedExternalData;
    if (data !== undefined) {
      out.extra = {
        session: {
          optimized_model_external_initializers_file_name: data.fileName,
          optimized_model_external_initializers_min_size_in_bytes: String(data.minSizeBytes),
        },
      };
    }
  }
  if (options.intraOpThreads !== undefined && options.intraOpThreads > 0) out.intraOpNumThreads = options.intraOpThreads;
  if (options.interOpThreads !== undefined && options.interOpThreads > 0) {
    out.interOpNumThreads = options.interOpThreads;
    if (options.interOpThreads > 1) out.executionMode = 'parallel';
  }
  return out;
}

/**
 * Creates a session from a file path. Throws OrtSessionError (missing file, not a model, unsupported op, ...) or
 * ExecutionProviderError (a requested provider cannot load and the list does not name cpu).
 */
export async function createSession(path: string, options: SessionOptions = {}): Promise<CreatedSession> {
  const absolute = resolve(path);
  const info = await stat(absolute).catch((e: unknown) => {
    throw new OrtSessionError(absolute, 'load', (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : e);
  });
  if (!info.isFile()) throw new OrtSessionError(absolute, 'load', 'not a regular file');
  const ort = loadOrt();
  const requested = [...(options.executionProviders ?? DEFAULT_EXECUTION_PROVIDERS)];
  // The requested list goes to ORT as it is: on a machine where the providers load, nothing else happens.
  try {
    return { session: await ort.InferenceSession.create(absolute, sessionOptionsFor(options, requested)), executionProviders: requested };
  } catch (e) {
    if (requested.every((p) => p === 'cpu')) throw new OrtSessionError(absolute, 'load', e);
    // Which provider failed? Each non-CPU one is tried alone on a tiny model. If they all load, the model is at fault.
    const failed = (await probeExecutionProviders(requested.filter((p) => p !== 'cpu'))).flatMap((p) => (p.loads ? [] : [p.error]));
    if (failed.length === 0) throw new OrtSessionError(absolute, 'load', e);
    if (!allowsCpuFallback(requested)) throw failed[0];
    const remaining = requested.filter((p) => !failed.some((f) => f.provider === p));
    const to = remaining.length === 1 ? 'CPU' : remaining.join(', ');
    for (const f of failed) options.logger?.warn(`${new ExecutionProviderError(f.provider, f.cause, true).message}; falling back to ${to}`);
    try {
      return { session: await ort.InferenceSession.create(absolute, sessionOptionsFor(options, remaining)), executionProviders: remaining };
    } catch (e2) {
      throw new OrtSessionError(absolute, 'load', e2);
    }
  }
}

/** Run options that keep ORT's per-run log off stderr too. */
export const QUIET_RUN_OPTIONS: ort.InferenceSession.RunOptions = { logSeverityLevel: 3 };
