import type { Logger } from '../logger';
import type { ChildOutcome } from '../runs/finishRun';
import type { MetricsWriter } from '../runs/MetricsWriter';
import type { RunStore } from '../runs/RunStore';
import type { Run } from '../runs/runTypes';
import { startMlflowEndpoint } from './startMlflowEndpoint';

export interface LaunchMlflow {
  /** For the child's environment: MLFLOW_TRACKING_URI, _TRACKING_TOKEN, _RUN_ID, _EXPERIMENT_NAME, _EXPERIMENT_ID. */
  env: Record<string, string>;
  /** After the child exited: answers the requests in flight, ends the runs the script left open, refuses later writes. */
  stop(outcome: ChildOutcome): Promise<void>;
}

/**
 * One loopback MLflow endpoint per launch, with its own token, writing into the launched run.
 * Not started when the caller's environment sets MLFLOW_TRACKING_URI (to log elsewhere, or set it
 * to `undefined` to give the child no MLflow at all). A failure to start is logged, never fatal.
 */
export async function startLaunchMlflow(input: {
  store: RunStore;
  run: Run;
  writer: MetricsWriter;
  callerEnv?: Record<string, string | undefined>;
  logger: Logger;
}): Promise<LaunchMlflow> {
  const none: LaunchMlflow = { env: {}, stop: async () => undefined };
  if (input.callerEnv && Object.prototype.hasOwnProperty.call(input.callerEnv, 'MLFLOW_TRACKING_URI')) return none;
  try {
    const endpoint = await startMlflowEndpoint({
      store: input.store,
      logger: input.logger,
      launched: { run: input.run, writer: input.writer },
    });
    return {
      env: endpoint.env,
      async stop(outcome) {
        await endpoint.close();
        const ok = !outcome.error && outcome.code === 0;
        const detail = outcome.error ?? (outcome.signal ? `killed by ${outcome.signal}` : `exit code ${outcome.code}`);
        await endpoint.session.close({ ok, detail });
      },
    };
  } catch (e) {
    input.logger.warn(`Run ${input.run.id}: no MLflow endpoint for the script: ${(e as Error).message}`);
    return none;
  }
}
