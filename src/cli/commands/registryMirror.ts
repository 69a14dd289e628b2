import { UsageError, type CliContext } from '../cliCommand';
import { authFromEnv, httpTrackingUri } from '../../core/mlflow/client/mlflowAuth';
import { MlflowClient } from '../../core/mlflow/client/MlflowClient';
import { mirrorRegisteredModel, type RegistryMirrorResult } from '../../core/mlflow/client/RegistryMirror';
import type { RegistryStore } from '../../core/registry/RegistryStore';

/** A registry call to the server waits at most this long: a slow server delays the command, never loses the move. */
const MIRROR_TIMEOUT_MS = 10_000;

/** The tracking server MLFLOW_TRACKING_URI names (http or https, auth as MLflow's client reads it), or undefined. */
export function registryMirrorClient(ctx: CliContext): MlflowClient | undefined {
  const url = httpTrackingUri(process.env.MLFLOW_TRACKING_URI);
  if (!url) return undefined;
  return new MlflowClient({ url, auth: authFromEnv(process.env), timeoutMs: MIRROR_TIMEOUT_MS, signal: ctx.signal });
}

/** `version 1 -> 3, 2 -> 4; champion=4`: what a sync did, for one line. */
export function describeMirror(r: RegistryMirrorResult): string {
  const made = r.versions.filter((v) => v.created).map((v) => `${v.local} -> ${v.server}`);
  const parts = [
    made.length ? `version${made.length > 1 ? 's' : ''} ${made.join(', ')}` : '',
    r.aliasesSet.length ? r.aliasesSet.join(', ') : '',
    r.aliasesDeleted.length ? `alias${r.aliasesDeleted.length > 1 ? 'es' : ''} ${r.aliasesDeleted.join(', ')} removed` : '',
    r.tagsSet ? `${r.tagsSet} tag${r.tagsSet > 1 ? 's' : ''}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join('; ') : 'already in step';
}

const failedLine = (r: RegistryMirrorResult) => r.failed.map((f) => `version ${f.local}: ${f.error}`).join('; ');

/**
 * After a local registry change: the same in the Model Registry of the MLFLOW_TRACKING_URI server, when one is set.
 * Never fails the command: the local move is done; a server that is away or refuses gets one line on stderr saying
 * how to send it later. A mirrored change is said on stderr too (stdout keeps its contract).
 */
export async function mirrorAfterChange(ctx: CliContext, store: RegistryStore, name: string): Promise<void> {
  const client = registryMirrorClient(ctx);
  if (!client) return;
  try {
    const r = await mirrorRegisteredModel(client, store, name);
    if (r.failed.length) ctx.err(`mlw registry: warning: ${name} is not fully mirrored to MLflow server ${client.url}: ${failedLine(r)}`);
    else ctx.err(`mlw registry: mirrored ${name} to MLflow server ${client.url} (${describeMirror(r)})`);
  } catch (e) {
    ctx.err(
      `mlw registry: warning: ${name} changed here but not on MLflow server ${client.url}: ${(e as Error).message.replace(/\s+/g, ' ')} Send it later with: mlw registry sync ${name}`,
    );
  }
}

/** `mlw registry sync [NAME]`: sends what the server's Model Registry lacks of NAME (or every model). Exit 1 when some did not go. */
export async function syncCommand(names: string[], ctx: CliContext, store: RegistryStore): Promise<number> {
  const client = registryMirrorClient(ctx);
  if (!client)
    throw new UsageError('no MLflow tracking server to sync with: set MLFLOW_TRACKING_URI=http(s)://HOST:PORT (and MLFLOW_TRACKING_TOKEN)');
  const todo = names.length ? names : (await store.list()).map((m) => m.name);
  if (!todo.length) {
    ctx.out('No registered models to sync. Register one with: mlw registry register MODEL --name NAME');
    return 0;
  }
  const results: RegistryMirrorResult[] = [];
  let failed = 0;
  for (const name of todo) {
    await store.get(name); // a name with no local model is a one-line error before anything is sent
    let r: RegistryMirrorResult;
    try {
      r = await mirrorRegisteredModel(client, store, name);
    } catch (e) {
      failed++;
      ctx.err(`mlw registry: ${name} not synced with MLflow server ${client.url}: ${(e as Error).message.replace(/\s+/g, ' ')}`);
      continue;
    }
    results.push(r);
    if (r.failed.length) {
      failed++;
      ctx.err(`mlw registry: ${name} partly synced with MLflow server ${client.url}: ${failedLine(r)}`);
    }
    if (!ctx.json)
      ctx.out(
        `${name}: ${describeMirror(r)} on ${client.url}${r.versions.length ? ` (versions ${r.versions.map((v) => `${v.local}=${v.server}`).join(', ')})` : ''}`,
      );
  }
  if (ctx.json) ctx.out(JSON.stringify(results, null, 2));
  return failed ? 1 : 0;
}
