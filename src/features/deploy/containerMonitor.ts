import * as vscode from 'vscode';
import type { ContainerInfo } from '../../core/docker/dockerEngine';
import { buildInferRequest, inferPath } from '../../core/serve/inferExample';
import { UserError } from '../../vscode/userError';
import { containerEndpoint, LABEL_MODEL_NAME } from './containerNodes';
import { fetchModelMetadata } from './deployCommands';
import type { DeployContext } from './deployContext';
import { MonitorPanel } from './monitorPanel';

/** Posts one request built from the model's metadata (random data) to a container and shows the answer. */
async function sendTestRequest(endpoint: string, model: string): Promise<unknown> {
  const meta = await fetchModelMetadata(endpoint, model);
  const request = buildInferRequest(meta, 'random');
  const url = `${endpoint}${inferPath(meta.name)}`;
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(request), signal: AbortSignal.timeout(30_000) });
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) throw new UserError(`Test request to ${meta.name} at ${endpoint} failed with HTTP ${res.status}.`);
  const content = JSON.stringify({ request: { url, ms: Math.round((performance.now() - t0) * 10) / 10, body: request }, response: body }, null, 2);
  const doc = await vscode.workspace.openTextDocument({ language: 'json', content });
  await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
  return body;
}

/** "Open Monitor" on a container: the server monitor pointed at the container's published endpoint. */
export function openContainerMonitor(ctx: DeployContext, c: ContainerInfo, openLog: () => unknown): void {
  const endpoint = containerEndpoint(c);
  if (!endpoint || c.state !== 'running') throw new UserError(`${c.name} is not running with a published port (${c.status}).`);
  const model = c.labels[LABEL_MODEL_NAME];
  MonitorPanel.showUrl({ key: `container:${c.id}`, label: c.name, baseUrl: endpoint, modelNames: model ? [model] : undefined }, ctx.context.extensionUri, ctx.log, {
    sendTestRequest: model ? () => sendTestRequest(endpoint, model) : undefined,
    openLog: () => void openLog(),
  });
}
