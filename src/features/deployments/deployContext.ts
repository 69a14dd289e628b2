import * as vscode from 'vscode';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import type { LineageRecord } from '../../core/deploy/lineage';
import { UserError } from '../../vscode/userError';
import type { RegistryCredentials } from '../../vscode/secrets';
import type { BuiltImages } from './containers/builtImages';
import type { ContainerWatcher } from './containers/containerWatcher';
import type { DeploymentNode, DeploymentsTree } from './deploymentsTree';
import type { DockerService } from './containers/dockerService';
import type { DriftWatch } from './serving/driftWatch';
import type { ReadonlyDocuments } from './readonlyDocuments';

/** What the container and deployment-target commands share; built once by the Deployments feature. */
export interface DeployContext {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  docker: DockerService;
  docs: ReadonlyDocuments;
  images: BuiltImages;
  credentials: RegistryCredentials;
  watcher: ContainerWatcher;
  drift: DriftWatch;
  tree: DeploymentsTree;
  view: vscode.TreeView<DeploymentNode>;
}

/** The workspace folder lineage is recorded in: the model's folder, else the first one. */
export function workspaceRootFor(file?: string): string {
  const folder = (file && vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file))) || vscode.workspace.workspaceFolders?.[0];
  if (!folder || folder.uri.scheme !== 'file')
    throw new UserError('Open a folder first: deployments and their lineage are recorded in the workspace (.mlw/lineage.jsonl).');
  return folder.uri.fsPath;
}

/** Appends a lineage record; a failure to record is logged, never fatal to the deployment itself. */
export async function recordLineage(ctx: DeployContext, record: LineageRecord): Promise<void> {
  try {
    const { appendLineage } = await import('../../core/deploy/lineage');
    await appendLineage(workspaceRootFor(record.modelPath), record);
  } catch (e) {
    ctx.log.warn(`Could not record lineage (${record.kind}): ${(e as Error).message}`);
  }
}

/** Each folder's lineage as last read, with the file's size and mtime then: unchanged files are not read again. */
const lineageCache = new Map<string, { stamp: string; records: LineageRecord[] }>();

async function folderLineage(folder: string): Promise<LineageRecord[]> {
  const { readLineage, lineageFile } = await import('../../core/deploy/lineage');
  const st = await fsp.stat(lineageFile(folder)).catch(() => undefined);
  const stamp = st ? `${st.size}:${st.mtimeMs}` : 'none';
  const cached = lineageCache.get(folder);
  if (cached?.stamp === stamp) return cached.records;
  const records = await readLineage(folder).catch(() => [] as LineageRecord[]);
  lineageCache.set(folder, { stamp, records });
  return records;
}

/** Every lineage record of every workspace folder, oldest first. */
export async function readAllLineage(): Promise<LineageRecord[]> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  const all = await Promise.all(folders.map((f) => folderLineage(f.uri.fsPath)));
  return all.flat().sort((a, b) => a.at.localeCompare(b.at));
}

/** The experiment run a model came from, when it lives in a run's folder (.mlw/runs/<id>/…). */
export function runIdFromPath(modelPath: string): string | undefined {
  const parts = modelPath.split(path.sep);
  const i = parts.lastIndexOf('runs');
  return i > 0 && parts[i - 1] === '.mlw' && parts[i + 1] && i + 2 < parts.length ? parts[i + 1] : undefined;
}

/** A progress notification whose Cancel button aborts the returned signal. */
export function withCancellableProgress<T>(
  title: string,
  task: (progress: vscode.Progress<{ message?: string; increment?: number }>, signal: AbortSignal) => Promise<T>,
): Thenable<T> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      try {
        return await task(progress, abort.signal);
      } catch (e) {
        if (abort.signal.aborted) throw new vscode.CancellationError();
        throw e;
      } finally {
        sub.dispose();
      }
    },
  );
}
