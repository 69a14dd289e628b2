import { UsageError } from './cliCommand';
import { authFromEnv } from '../core/mlflow/client/mlflowAuth';
import { MlflowClient } from '../core/mlflow/client/MlflowClient';
import type { RunMirrorOptions } from '../core/mlflow/client/RunMirror';

/** A call to the server while a run runs waits at most this long; a slow server delays only its own copy. */
const MIRROR_TIMEOUT_MS = 10_000;

/**
 * `--log-to URL` of `mlw run` and `mlw sweep`: also log each run to that MLflow tracking server
 * while it runs, authenticated from MLFLOW_TRACKING_TOKEN (or _USERNAME / _PASSWORD). No abort
 * signal: after Ctrl-C the server still hears that the run was stopped.
 */
export function logToFlag(url: string | undefined): RunMirrorOptions | undefined {
  if (url === undefined) return undefined;
  try {
    return { client: new MlflowClient({ url, auth: authFromEnv(process.env), timeoutMs: MIRROR_TIMEOUT_MS }) };
  } catch (e) {
    throw new UsageError(`--log-to: ${(e as Error).message}`);
  }
}
