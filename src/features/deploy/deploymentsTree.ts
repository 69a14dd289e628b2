import * as vscode from 'vscode';
import { Disposable } from '../../vscode/disposable';
import type { LocalServer, LocalServers, ServedModelInfo, ServerState } from './localServers';

export type DeploymentNode =
  | { type: 'localGroup' }
  | { type: 'server'; server: LocalServer }
  | { type: 'model'; server: LocalServer; model: ServedModelInfo };

const STATE_ICON: Record<ServerState, vscode.ThemeIcon> = {
  starting: new vscode.ThemeIcon('loading~spin'),
  ready: new vscode.ThemeIcon('vm-running', new vscode.ThemeColor('testing.iconPassed')),
  stopping: new vscode.ThemeIcon('loading~spin'),
  stopped: new vscode.ThemeIcon('debug-stop', new vscode.ThemeColor('disabledForeground')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
};

export function isDeploymentNode(v: unknown): v is DeploymentNode {
  if (typeof v !== 'object' || v === null) return false;
  const t = (v as { type?: unknown }).type;
  return t === 'localGroup' || t === 'server' || t === 'model';
}

/** The Deployments view: a "Local servers" group with one item per model server and its models below. */
export class DeploymentsTree extends Disposable implements vscode.TreeDataProvider<DeploymentNode> {
  private readonly changed = this.track(new vscode.EventEmitter<DeploymentNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private readonly group: DeploymentNode = { type: 'localGroup' };
  private readonly serverNodes = new Map<LocalServer, DeploymentNode>();

  constructor(private readonly servers: LocalServers) {
    super();
    this.track(servers.onDidChange(() => this.refresh()));
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  nodeFor(server: LocalServer): DeploymentNode {
    let node = this.serverNodes.get(server);
    if (!node) {
      node = { type: 'server', server };
      this.serverNodes.set(server, node);
    }
    return node;
  }

  getChildren(node?: DeploymentNode): DeploymentNode[] {
    if (!node) return this.servers.all.length ? [this.group] : [];
    switch (node.type) {
      case 'localGroup':
        for (const s of this.serverNodes.keys()) if (!this.servers.all.includes(s)) this.serverNodes.delete(s);
        return this.servers.all.map((s) => this.nodeFor(s));
      case 'server':
        return node.server.models.map((model) => ({ type: 'model', server: node.server, model }));
      case 'model':
        return [];
    }
  }

  getParent(node: DeploymentNode): DeploymentNode | undefined {
    switch (node.type) {
      case 'localGroup':
        return undefined;
      case 'server':
        return this.group;
      case 'model':
        return this.nodeFor(node.server);
    }
  }

  getTreeItem(node: DeploymentNode): vscode.TreeItem {
    switch (node.type) {
      case 'localGroup': {
        const item = new vscode.TreeItem('Local servers', vscode.TreeItemCollapsibleState.Expanded);
        item.id = 'localServers';
        item.iconPath = new vscode.ThemeIcon('server-environment');
        const running = this.servers.all.filter((s) => s.running).length;
        item.description = `${running} running`;
        item.contextValue = 'localServers';
        return item;
      }
      case 'server': {
        const s = node.server;
        const item = new vscode.TreeItem(s.label, s.models.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
        item.id = `localServer:${s.id}`;
        item.iconPath = STATE_ICON[s.state];
        item.description = s.state === 'ready' ? s.url : s.state === 'failed' ? `failed${s.error ? `: ${s.error}` : ''}` : s.state;
        const md = new vscode.MarkdownString(undefined, true);
        md.appendMarkdown(`**${s.label}** — ${s.state}  \n`);
        if (s.url) md.appendMarkdown(`URL: \`${s.url}\`  \n`);
        md.appendMarkdown(`Model: \`${s.modelPath}\`  \nStarted: ${new Date(s.startedAt).toLocaleTimeString()}`);
        if (s.error) md.appendText(`\nError: ${s.error}`);
        item.tooltip = md;
        item.contextValue = `localServer.${s.state}`;
        item.command = { command: 'mlWorkbench.openServerLog', title: 'Open Server Log', arguments: [node] };
        return item;
      }
      case 'model': {
        const item = new vscode.TreeItem(node.model.name, vscode.TreeItemCollapsibleState.None);
        item.id = `localServer:${node.server.id}:${node.model.name}`;
        item.iconPath = new vscode.ThemeIcon('symbol-structure');
        item.description = node.model.batching ? 'dynamic batching' : undefined;
        item.tooltip = `${node.model.path}\n${node.server.url ?? ''}/v2/models/${node.model.name}`;
        item.contextValue = node.server.state === 'ready' ? 'servedModel.ready' : 'servedModel';
        return item;
      }
    }
  }
}
