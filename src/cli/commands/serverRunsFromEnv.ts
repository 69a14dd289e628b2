import type { CliContext } from '../cliCommand';
import { authFromEnv, httpTrackingUri } from '../../core/mlflow/client/mlflowAuth';
import { MlflowClient } from '../../core/mlflow/client/MlflowClient';
import { listServerRuns } from '../../core/mlflow/client/listServerRuns';
import { setMlflowConnection } from '../../core/mlflow/client/mlflowConnections';
import { MlflowServerError } from '../../core/mlflow/client/MlflowServerError';
import { serverRunToRun } from '../../core/mlflow/client/serverRunToRun';
import type { Run } from '../../core/runs/runTypes';

/**
 * The runs of the tracking server MLFLOW_TRACKING_URI names when it is an http(s) URL (auth as
 * MLflow's client takes it from the environment); none otherwise. The server becomes this
 * process's connection, so readRunMetrics of one of its runs reads its history there.
 */
export async function serverRunsFromEnv(ctx: CliContext): Promise<Run[]> {
  const client = envClient(ctx);
  return client ? listServerRuns(client) : [];
}

function envClient(ctx: CliContext): MlflowClient | undefined {
  const url = httpTrackingUri(process.env.MLFLOW_TRACKING_URI);
  if (!url) return undefined;
  const client = new MlflowClient({ url, auth: authFromEnv(process.env), signal: ctx.signal });
  setMlflowConnection(client);
  return client;
}

/** One run of that server by its full id (`mlw runs show`), or undefined when there is no such server or run. */
export async function serverRunFromEnv(id: string, ctx: CliContext): Promise<Run | undefined> {
  const client = envClient(ctx);
  if (!client) return undefined;
  let run;
  try {
    run = await client.getRun(id);
  } catch (e) {
    if (e instanceof MlflowServerError && (e.errorCode === 'RESOURCE_DOES_NOT_EXIST' || e.errorCode === 'INVALID_PARAMETER_VALUE'))
      return undefined;
    throw e;
  }
  const experiment = await client.getExperiment(run.info.experiment_id).catch(() => undefined);
  return serverRunToRun(run, client.url, experiment?.name ?? run.info.experiment_id);
}
