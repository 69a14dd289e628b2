import * as vscode from 'vscode';
import { listDeployments, type AliasDeployment } from '../../core/registry/aliasDeployments';
import { Disposable } from '../../vscode/disposable';
import { captureLabel } from './serving/captureSetting';
import type { LocalServers } from './serving/localServers';

/** One deployment that serves a registry alias (a record of .mlw/deployments/), with its workspace folder. */
export interface AliasServing {
  folder: string;
  deployment: AliasDeployment;
}

/**
 * What serves each registry alias in the workspace folders: the records of .mlw/deployments/ (local servers that
 * follow NAME@ALIAS, containers of `mlw deploy local NAME@ALIAS` behind their front proxy), whoever started them
 * (this window, another one, the CLI). Read again when a record or a local server changes.
 */
export class AliasDeploymentsWatch extends Disposable {
  private readonly emitter = this.track(new vscode.EventEmitter<void>());
  readonly onDidChange = this.emitter.event;
  private current: AliasServing[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(servers: LocalServers) {
    super();
    const w = this.track(vscode.workspace.createFileSystemWatcher('**/.mlw/deployments/*.json'));
    const soon = () => this.reloadSoon();
    this.track(w.onDidCreate(soon));
    this.track(w.onDidChange(soon));
    this.track(w.onDidDelete(soon));
    this.track(servers.onDidChange(soon));
    this.track({ dispose: () => clearTimeout(this.timer) });
    soon();
  }

  get all(): readonly AliasServing[] {
    return this.current;
  }

  private reloadSoon(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), 100);
  }

  async reload(): Promise<void> {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    const next = (
      await Promise.all(
        folders.map(async (folder) =>
          (await listDeployments(folder).catch(() => [] as AliasDeployment[])).map((deployment) => ({ folder, deployment })),
        ),
      )
    ).flat();
    if (JSON.stringify(next) === JSON.stringify(this.current)) return;
    this.current = next;
    this.emitter.fire();
  }
}

const portOf = (url: string): string => {
  try {
    return new URL(url).port;
  } catch {
    return '?';
  }
};

/** The client endpoint of a deployment: the server's URL, the front proxy's stable one. */
export function aliasEndpoint(d: AliasDeployment): string | undefined {
  if (d.kind === 'server') return d.url;
  if (d.kind === 'container') return d.endpoint;
  return undefined; // a Kubernetes deployment's endpoint is the cluster's Service, not a URL on this machine
}

/** The capture rate of a deployment: the record's, else (a server of this window) the server's own. */
function captureOf(d: AliasDeployment, servers: LocalServers): number {
  const recorded = (d as { capture?: unknown }).capture;
  if (typeof recorded === 'number') return recorded;
  if (d.kind === 'server') return servers.all.find((s) => s.pid === d.process.pid && s.running)?.captureRate ?? 0;
  return 0;
}

/** What identifies a deployment across its rolls: folder, NAME@ALIAS, kind, and a server's process. */
export const aliasServingKey = (a: AliasServing): string =>
  `${a.folder}:${a.deployment.model}@${a.deployment.alias}:${a.deployment.kind}:${a.deployment.kind === 'server' ? a.deployment.process.pid : ''}`;

export function aliasGroupItem(count: number): vscode.TreeItem {
  const item = new vscode.TreeItem('Registry aliases', vscode.TreeItemCollapsibleState.Expanded);
  item.id = 'registryAliases';
  item.iconPath = new vscode.ThemeIcon('library');
  item.description = `${count} serving`;
  item.tooltip = 'What serves each registry alias (NAME@ALIAS) in the workspace: it rolls when the alias moves (promote, rollback)';
  item.contextValue = 'registryAliases';
  return item;
}

export function aliasServingItem(a: AliasServing, servers: LocalServers): vscode.TreeItem {
  const d = a.deployment;
  const item = new vscode.TreeItem(`${d.model}@${d.alias} → v${d.version}`, vscode.TreeItemCollapsibleState.None);
  item.id = `registryAlias:${aliasServingKey(a)}`;
  const endpoint = aliasEndpoint(d);
  const capture = captureOf(d, servers);
  const kind = d.kind === 'server' ? 'local server' : d.kind;
  item.description =
    d.kind === 'kubernetes'
      ? `kubernetes deployment/${d.deployment} · ${d.context}/${d.namespace}${d.pending ? ` · v${d.pending.version} did not roll out` : d.applied ? '' : ' · manifest only'}`
      : `${kind}${endpoint ? ` :${portOf(endpoint)}` : ''} · ${capture > 0 ? captureLabel(capture) : 'capture off'}`;
  const pending = d.kind === 'kubernetes' && d.pending !== undefined;
  item.iconPath = new vscode.ThemeIcon(
    d.kind === 'server' ? 'vm-running' : d.kind === 'kubernetes' ? 'cloud' : 'package',
    new vscode.ThemeColor(pending ? 'problemsWarningIcon.foreground' : 'testing.iconPassed'),
  );
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${d.model}@${d.alias}** serves version ${d.version} (since ${d.since.slice(0, 19).replace('T', ' ')})  \n`);
  if (endpoint) md.appendMarkdown(`Endpoint: \`${endpoint}\` (model \`${(d as { served?: string }).served ?? d.model}\`)  \n`);
  if (d.kind === 'server') md.appendMarkdown(`Local server, process ${d.process.pid}: it follows the alias itself  \n`);
  if (d.kind === 'container')
    md.appendMarkdown(`Container \`${d.container.name}\` (${d.container.image}) behind its front proxy (process ${d.proxy.pid})  \n`);
  if (d.kind === 'kubernetes') {
    md.appendMarkdown(`Deployment \`${d.deployment}\` in context \`${d.context}\`, namespace \`${d.namespace}\`  \n`);
    md.appendMarkdown(`Manifest \`${d.manifest}\`, image \`${d.image}\`${d.applied ? '' : ' (written, not applied)'}  \n`);
    if (d.pending) md.appendMarkdown(`Version ${d.pending.version} was applied but did not roll out: ${d.pending.reason}`);
  } else md.appendMarkdown(capture > 0 ? `Capture: ${captureLabel(capture)} into \`.mlw/captures/\`` : 'Capture: off');
  item.tooltip = md;
  item.contextValue = `registryAlias.${d.kind}`;
  item.accessibilityInformation = { label: `${d.model} at ${d.alias}, version ${d.version}, ${item.description}` };
  return item;
}
