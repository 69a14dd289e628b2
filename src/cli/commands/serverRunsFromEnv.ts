import type { CliContext } from '../cliCommand';
import { authFromEnv, httpTrackingUri } from '../../core/mlflow/client/mlflowAuth';
import { MlflowClient } from '../../core/mlflow/client/MlflowClient';
import { listServerRuns } from '../../core/mlflow/client/listServerRuns';
import { setMlflowConnection } from '../../core/mlflow/client/mlflowConnections';
import type { Run } from '../../core/runs/runTypes';

/**
 * The runs of the tracking server MLFLOW_TRACKING_URI names when it is an http(s) URL (auth as
 * MLflow's client takes it from the environment); none otherwise. The server becomes this
 * process's connection, so `runs show` of one of its runs reads its metric history there.
 */
export async function serverRunsFromEnv(ctx: CliContext): Promise<Run[]> {
  const url = httpTrackingUri(process.env.MLFLOW_TRACKING_URI);
  if (!url) return [];
  const client = new MlflowClient({ url, auth: authFromEnv(process.env), signal: ctx.signal });
  setMlflowConnection(client);
  return listServerRuns(client);
}
