import type { MlflowClient } from './MlflowClient';

/**
 * The tracking servers this process is connected to, by URL: the extension registers the one
 * the user connected to, the CLI the one MLFLOW_TRACKING_URI names. A run of source `mlflow-server`
 * names its server (`run.remote.url`), and readRunMetrics reads its series through the client here.
 */
const clients = new Map<string, MlflowClient>();

export function setMlflowConnection(client: MlflowClient): void {
  clients.set(client.url, client);
}

export function dropMlflowConnection(url: string): void {
  clients.delete(url);
}

export function mlflowConnection(url: string): MlflowClient | undefined {
  return clients.get(url);
}
