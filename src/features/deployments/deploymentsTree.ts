import * as vscode from 'vscode';
import type { ContainerInfo } from '../../core/docker/dockerEngine';
import type { LineageRecord } from '../../core/deploy/lineage';
import { Disposable } from '../../vscode/disposable';
import type { LocalServer, LocalServers, ServedModelInfo, ServerState } from './serving/localServers';
import { captureLabel } from './serving/captureSetting';
import type { ContainerWatcher } from './containers/containerWatcher';
import type { DockerService } from './containers/dockerService';
import { containerDescription, containerEndpoint, containerIcon, containerTooltip, lineageSteps } from './containers/containerNodes';
import { Command } from '../../commandIds';
import { cloudEndpointItem, cloudEndpoints, cloudGroupItem, type CloudEndpointInfo } from './targets/cloudEndpointNodes';
import { aliasGroupItem, aliasServingItem, aliasServingKey, type AliasDeploymentsWatch, type AliasServing } from './aliasNodes';

export type DeploymentNode =
  | { type: 'localGroup' }
  | { type: 'server'; server: LocalServer }
  | { type: 'model'; server: LocalServer; model: ServedModelInfo }
  | { type: 'containersGroup' }
  | { type: 'container'; container: ContainerInfo }
  | { type: 'lineageStep'; container: ContainerInfo; index: number; label: string; description: string; tooltip: string; icon: string }
  | { type: 'dockerUnavailable'; message: string }
  | { type: 'cloudGroup' }
  | { type: 'cloudEndpoint'; endpoint: CloudEndpointInfo }
  | { type: 'aliasGroup' }
  | { type: 'aliasServing'; serving: AliasServing };

const STATE_ICON: Record<ServerState, vscode.ThemeIcon> = {
  starting: new vscode.ThemeIcon('loading~spin'),
  ready: new vscode.ThemeIcon('vm-running', new vscode.ThemeColor('testing.iconPassed')),
  stopping: new vscode.ThemeIcon('loading~spin'),
  stopped: new vscode.ThemeIcon('debug-stop', new vscode.ThemeColor('disabledForeground')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
};

const NODE_TYPES = new Set([
  'localGroup',
  'server',
  'model',
  'containersGroup',
  'container',
  'lineageStep',
  'dockerUnavailable',
  'cloudGroup',
  'cloudEndpoint',
  'aliasGroup',
  'aliasServing',
]);

export function isDeploymentNode(v: unknown): v is DeploymentNode {
  if (typeof v !== 'object' || v === null) return false;
  return NODE_TYPES.has((v as { type?: unknown }).type as string);
}

/**
 * The Deployments view: "Local servers" (model server processes, their models below) and
 * "Containers" (managed containers on the Docker engine, their lineage below).
 */
export class DeploymentsTree extends Disposable implements vscode.TreeDataProvider<DeploymentNode> {
  private readonly changed = this.track(new vscode.EventEmitter<DeploymentNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private readonly group: DeploymentNode = { type: 'localGroup' };
  private readonly containersGroup: DeploymentNode = { type: 'containersGroup' };
  private readonly cloudGroup: DeploymentNode = { type: 'cloudGroup' };
  private readonly aliasGroup: DeploymentNode = { type: 'aliasGroup' };
  /** One node per alias deployment record, kept across redraws: a command from a row gets the node it was drawn from. */
  private readonly aliasNodes = new Map<string, DeploymentNode & { type: 'aliasServing' }>();
  private readonly serverNodes = new Map<LocalServer, DeploymentNode>();
  private readonly containerNodes = new Map<string, DeploymentNode & { type: 'container' }>();
  private lineage: LineageRecord[] = [];
  private lineageRead = false;

  constructor(
    private readonly servers: LocalServers,
    private readonly containers: ContainerWatcher,
    private readonly docker: DockerService,
    private readonly readLineage: () => Promise<LineageRecord[]>,
    /** What serves each registry alias (.mlw/deployments/): the "Registry aliases" group. */
    private readonly aliases?: AliasDeploymentsWatch,
  ) {
    super();
    this.track(servers.onDidChange(() => this.refresh()));
    if (aliases) this.track(aliases.onDidChange(() => this.refresh()));
    this.track(containers.onDidChange(() => void this.reloadLineage()));
    // A deployment recorded from a terminal (mlw deploy sagemaker|vertex|azureml, mlw deploy k8s) joins the view too.
    const lineage = this.track(vscode.workspace.createFileSystemWatcher('**/.mlw/lineage.jsonl'));
    for (const on of [lineage.onDidCreate, lineage.onDidChange, lineage.onDidDelete]) this.track(on(() => void this.reloadLineage()));
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  /** Reads the lineage again (after a deployment recorded one) and redraws the view. */
  async reloadLineage(): Promise<void> {
    this.lineageRead = true;
    this.lineage = await this.readLineage().catch(() => this.lineage);
    this.refresh();
  }

  nodeFor(server: LocalServer): DeploymentNode {
    let node = this.serverNodes.get(server);
    if (!node) {
      node = { type: 'server', server };
      this.serverNodes.set(server, node);
    }
    return node;
  }

  /** The node of a container by id (full or prefix), as last listed. */
  containerNode(id: string): (DeploymentNode & { type: 'container' }) | undefined {
    const c = this.containers.byId(id);
    return c ? this.containerNodeFor(c) : undefined;
  }

  private containerNodeFor(c: ContainerInfo): DeploymentNode & { type: 'container' } {
    const node = this.containerNodes.get(c.id);
    if (node) {
      node.container = c;
      return node;
    }
    const created = { type: 'container' as const, container: c };
    this.containerNodes.set(c.id, created);
    return created;
  }

  getChildren(node?: DeploymentNode): DeploymentNode[] {
    if (!node) {
      const roots: DeploymentNode[] = [];
      if (this.aliases?.all.length) roots.push(this.aliasGroup);
      if (this.servers.all.length) roots.push(this.group);
      if (!this.lineageRead) void this.reloadLineage();
      const cloud = cloudEndpoints(this.lineage).length > 0;
      if (this.containers.containers.length) roots.push(this.containersGroup);
      // With nothing else to show, the view's welcome content says it (context key mlWorkbench.dockerUnavailable).
      else if (this.docker.unavailable && (roots.length || cloud))
        roots.push({ type: 'dockerUnavailable', message: this.docker.unavailable });
      if (cloud) roots.push(this.cloudGroup);
      return roots;
    }
    switch (node.type) {
      case 'localGroup':
        for (const s of this.serverNodes.keys()) if (!this.servers.all.includes(s)) this.serverNodes.delete(s);
        return this.servers.all.map((s) => this.nodeFor(s));
      case 'server':
        return node.server.models.map((model) => ({ type: 'model', server: node.server, model }));
      case 'containersGroup': {
        const ids = new Set(this.containers.containers.map((c) => c.id));
        for (const id of this.containerNodes.keys()) if (!ids.has(id)) this.containerNodes.delete(id);
        return this.containers.containers.map((c) => this.containerNodeFor(c));
      }
      case 'container':
        return lineageSteps(node.container, this.lineage).map((s, index) => ({
          type: 'lineageStep',
          container: node.container,
          index,
          ...s,
        }));
      case 'cloudGroup':
        return cloudEndpoints(this.lineage).map((endpoint) => ({ type: 'cloudEndpoint', endpoint }));
      case 'aliasGroup': {
        const all = this.aliases?.all ?? [];
        const keys = new Set(all.map(aliasServingKey));
        for (const k of this.aliasNodes.keys()) if (!keys.has(k)) this.aliasNodes.delete(k);
        return all.map((serving) => {
          const key = aliasServingKey(serving);
          const node = this.aliasNodes.get(key);
          if (node) {
            node.serving = serving;
            return node;
          }
          const created = { type: 'aliasServing' as const, serving };
          this.aliasNodes.set(key, created);
          return created;
        });
      }
      case 'aliasServing':
      case 'model':
      case 'lineageStep':
      case 'dockerUnavailable':
      case 'cloudEndpoint':
        return [];
    }
  }

  getParent(node: DeploymentNode): DeploymentNode | undefined {
    switch (node.type) {
      case 'localGroup':
      case 'containersGroup':
      case 'dockerUnavailable':
      case 'cloudGroup':
      case 'aliasGroup':
        return undefined;
      case 'aliasServing':
        return this.aliasGroup;
      case 'cloudEndpoint':
        return this.cloudGroup;
      case 'server':
        return this.group;
      case 'model':
        return this.nodeFor(node.server);
      case 'container':
        return this.containersGroup;
      case 'lineageStep':
        return this.containerNodeFor(node.container);
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
        const item = new vscode.TreeItem(
          s.label,
          s.models.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
        );
        item.id = `localServer:${s.id}`;
        item.iconPath = STATE_ICON[s.state];
        item.description = s.state === 'ready' ? s.url : s.state === 'failed' ? `failed${s.error ? `: ${s.error}` : ''}` : s.state;
        if (s.running && s.captureRate > 0) item.description += ` · ${captureLabel(s.captureRate)}`;
        if (s.ref?.version !== undefined) item.description = `v${s.ref.version} · ${item.description}`;
        const md = new vscode.MarkdownString(undefined, true);
        md.appendMarkdown(`**${s.label}** — ${s.state}  \n`);
        if (s.url) md.appendMarkdown(`URL: \`${s.url}\`  \n`);
        if (s.captureRate > 0) md.appendMarkdown(`Capture: ${captureLabel(s.captureRate)} of requests into \`.mlw/captures/\`  \n`);
        if (s.ref)
          md.appendMarkdown(
            `Follows \`${s.ref.text}\`${s.ref.version !== undefined ? ` (serves version ${s.ref.version})` : ''}: promote or rollback rolls it  \n`,
          );
        md.appendMarkdown(`Model: \`${s.modelPath}\`  \nStarted: ${new Date(s.startedAt).toLocaleTimeString()}`);
        if (s.error) md.appendText(`\nError: ${s.error}`);
        item.tooltip = md;
        item.contextValue = `localServer.${s.state}`;
        item.command = { command: Command.openServerLog, title: 'Open Server Log', arguments: [node] };
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
      case 'containersGroup': {
        const item = new vscode.TreeItem('Containers', vscode.TreeItemCollapsibleState.Expanded);
        item.id = 'containers';
        item.iconPath = new vscode.ThemeIcon('package');
        const running = this.containers.containers.filter((c) => c.state === 'running').length;
        item.description = `${running} running`;
        item.tooltip = this.docker.unavailable
          ? `Docker engine: ${this.docker.unavailable}`
          : 'Containers built and started by ML Workbench';
        item.contextValue = 'containers';
        return item;
      }
      case 'container': {
        const c = node.container;
        const item = new vscode.TreeItem(c.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `container:${c.id}`;
        item.iconPath = containerIcon(c);
        item.description = containerDescription(c);
        item.tooltip = containerTooltip(c, this.lineage);
        const endpoint = containerEndpoint(c);
        item.contextValue = `container.${c.state}${endpoint && c.state === 'running' ? '.endpoint' : ''}`;
        item.accessibilityInformation = { label: `${c.name}, ${item.description}` };
        return item;
      }
      case 'lineageStep': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.id = `container:${node.container.id}:lineage:${node.index}`;
        item.description = node.description;
        item.tooltip = node.tooltip;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        item.contextValue = 'lineageStep';
        item.command = { command: Command.showLineage, title: 'Show Lineage', arguments: [this.containerNodeFor(node.container)] };
        return item;
      }
      case 'dockerUnavailable': {
        const item = new vscode.TreeItem('Docker engine not found', vscode.TreeItemCollapsibleState.None);
        item.id = 'dockerUnavailable';
        item.description = 'Retry';
        item.tooltip = `${node.message}\nClick to look for the engine again; set mlWorkbench.docker.host to point at it.`;
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
        item.contextValue = 'dockerUnavailable';
        item.command = { command: Command.retryDocker, title: 'Retry' };
        return item;
      }
      case 'cloudGroup':
        return cloudGroupItem(cloudEndpoints(this.lineage).length);
      case 'cloudEndpoint':
        return cloudEndpointItem(node.endpoint);
      case 'aliasGroup':
        return aliasGroupItem(this.aliases?.all.length ?? 0);
      case 'aliasServing':
        return aliasServingItem(node.serving, this.servers);
    }
  }
}
