import * as vscode from 'vscode';
import type { Logger } from '../../../core/logger';
import { normalizeServerUrl } from '../../../core/mlflow/client/mlflowAuth';
import { MlflowClient } from '../../../core/mlflow/client/MlflowClient';
import { mlflowConnection } from '../../../core/mlflow/client/mlflowConnections';
import { mirrorRegisteredModel } from '../../../core/mlflow/client/RegistryMirror';
import { RegistryStore } from '../../../core/registry/RegistryStore';
import { setting } from '../../../vscode/config';
import { MlflowCredentials } from '../../../vscode/mlflowCredentials';

let credentials: MlflowCredentials | undefined;

/** Called once at activation: the registry mirror reads the tracking server's token from SecretStorage. */
export function useSecretsForRegistryMirror(secrets: vscode.SecretStorage, log: Logger): void {
  credentials = new MlflowCredentials(secrets, (m) => log.warn(m));
}

/** The client of the server in mlWorkbench.mlflow.trackingUri: the Runs view's connection, else one with the stored secret. */
async function trackingClient(log: Logger): Promise<MlflowClient | undefined> {
  const raw = setting('mlflow.trackingUri').trim();
  if (!raw) return undefined;
  let url: string;
  try {
    url = normalizeServerUrl(raw);
  } catch (e) {
    log.warn(`mlWorkbench.mlflow.trackingUri: ${(e as Error).message}`);
    return undefined;
  }
  const connected = mlflowConnection(url);
  if (connected) return connected;
  const auth = (await credentials?.get(url)) ?? { kind: 'none' as const };
  return new MlflowClient({ url, auth, timeoutMs: 10_000 });
}

/**
 * After a registry change made in the window: the same in the Model Registry of the connected MLflow tracking
 * server, as `mlw registry` does for MLFLOW_TRACKING_URI. The local move stands either way;
 * a server that is away or refuses gets one warning naming `mlw registry sync`.
 */
export async function mirrorRegistryChange(folder: string, name: string, log: Logger): Promise<void> {
  const client = await trackingClient(log).catch(() => undefined);
  if (!client) return;
  try {
    const r = await mirrorRegisteredModel(client, new RegistryStore(folder), name);
    if (r.failed.length) throw new Error(r.failed.map((f) => `version ${f.local}: ${f.error}`).join('; '));
    log.info(
      `Registry: ${name} mirrored to MLflow server ${client.url} (versions ${r.versions.map((v) => `${v.local}=${v.server}`).join(', ')})`,
    );
  } catch (e) {
    const message = `${name} changed here but not on MLflow server ${client.url}: ${(e as Error).message}`;
    log.warn(`Registry: ${message}`);
    void vscode.window.showWarningMessage(`${message.split('\n')[0]} Send it later with: mlw registry sync ${name}`);
  }
}
