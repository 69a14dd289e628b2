import { UsageError, type CliContext } from '../cliCommand';
import { authFromEnv, type MlflowAuth } from '../../core/mlflow/client/mlflowAuth';
import { MlflowClient } from '../../core/mlflow/client/MlflowClient';
import { pushRun } from '../../core/mlflow/client/pushRun';
import { findRun } from '../../core/runs/listWorkspaceRuns';
import { RunStore } from '../../core/runs/RunStore';

export interface PushFlags {
  to?: string;
  token?: string;
  experiment?: string;
}

/** `mlw runs push ID --to URL [--token T] [--experiment NAME]`: a local run becomes a new run of that MLflow server. */
export async function pushRunCommand(id: string, flags: PushFlags, ctx: CliContext, mlflowDbs: string[]): Promise<number> {
  if (!flags.to) throw new UsageError('usage: mlw runs push <run-id> --to URL [--token T] [--experiment NAME]');
  const auth: MlflowAuth = flags.token ? { kind: 'token', token: flags.token } : authFromEnv(process.env);
  let client: MlflowClient;
  try {
    client = new MlflowClient({ url: flags.to, auth, signal: ctx.signal });
  } catch (e) {
    throw new UsageError(`--to: ${(e as Error).message}`);
  }
  const store = new RunStore(ctx.workspace, ctx.logger);
  const run = await findRun(ctx.workspace, id, { logger: ctx.logger, store, signal: ctx.signal, mlflowDbs });
  let last = -1;
  const result = await pushRun(client, run, {
    workspace: ctx.workspace,
    store,
    experiment: flags.experiment,
    onProgress: (p) => {
      const pct = Math.floor(p.fraction * 10) * 10;
      if (!ctx.json && pct > 0 && pct !== last) {
        last = pct;
        ctx.err(`mlw: push ${run.id}: ${pct}% (${p.message})`);
      }
    },
  });
  for (const s of result.skippedArtifacts) ctx.err(`mlw: artifact ${s.path} not pushed: ${s.reason}`);
  if (ctx.json) {
    ctx.out(JSON.stringify({ localRunId: run.id, server: client.url, ...result }, null, 2));
    return 0;
  }
  ctx.out(result.runId);
  ctx.out(result.url);
  ctx.err(
    `mlw: pushed ${run.id} to ${client.url} experiment "${result.experiment}": ${result.params} params, ${result.tags} tags, ` +
      `${result.metricPoints} metric points in ${result.batches} batches, ${result.artifacts.length} artifacts`,
  );
  return 0;
}
