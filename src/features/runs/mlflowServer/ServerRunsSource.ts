import * as vscode from 'vscode';
import type { Logger } from '../../../core/logger';
import { serverRunsPage } from '../../../core/mlflow/client/listServerRuns';
import { Command } from '../../../commandIds';
import type { Run } from '../../../core/runs/runTypes';
import type { MlflowConnection } from './mlflowConnection';

export interface ServerExperiment {
  id: string;
  name: string;
}

/** The Runs view's nodes for a tracking server: one group per server experiment, a "Load more" row, or why it cannot list. */
export type ServerNode =
  | { type: 'serverExperiment'; server: string; experiment: ServerExperiment }
  | { type: 'serverMore'; server: string; experiment: ServerExperiment; shown: number }
  | { type: 'serverError'; server: string; message: string };

interface Pages {
  entries: ServerEntry[];
  next?: string;
  done: boolean;
  filter?: string;
}

/** A server run and the workspace folder it shows in: runsTree's WorkspaceRun, restated so neither file imports the other. */
interface ServerEntry {
  run: Run;
  workspace: string;
}
type ChildNode = ServerNode | { type: 'run'; entry: ServerEntry };

export const SERVER_PAGE_SIZE = 50;

export const isServerNode = (n: { type: string }): n is ServerNode =>
  n.type === 'serverExperiment' || n.type === 'serverMore' || n.type === 'serverError';

const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

/**
 * The connected server's experiments and runs for the Runs view, read lazily: experiments when the
 * view opens, a group's runs (a page of 50, newest first, filtered on the server) when it is
 * expanded, the next page on "Load more".
 */
export class ServerRunsSource {
  private experiments: Promise<ServerNode[]> | undefined;
  private readonly pages = new Map<string, Pages>();

  constructor(
    private readonly connection: MlflowConnection,
    private readonly logger: Logger,
    private readonly changed: () => void,
  ) {}

  /** Forget what was read (Refresh, a new connection). Filters stay. */
  reset(): void {
    this.experiments = undefined;
    for (const [k, p] of this.pages) this.pages.set(k, { entries: [], done: false, filter: p.filter });
  }

  private workspace(): string {
    return vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath ?? '';
  }

  roots(): Promise<ServerNode[]> {
    this.experiments ??= (async (): Promise<ServerNode[]> => {
      const client = await this.connection.client();
      if (!client) return [];
      try {
        const list = await client.allExperiments();
        return list
          .map((e) => ({ id: e.experiment_id, name: e.name }))
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((experiment): ServerNode => ({ type: 'serverExperiment', server: client.url, experiment }));
      } catch (e) {
        this.logger.warn(`Runs view: ${(e as Error).message}`);
        this.experiments = undefined; // read again on the next refresh
        return [{ type: 'serverError', server: client.url, message: (e as Error).message }];
      }
    })();
    return this.experiments;
  }

  private state(id: string): Pages {
    let p = this.pages.get(id);
    if (!p) this.pages.set(id, (p = { entries: [], done: false }));
    return p;
  }

  private async fetchPage(experiment: ServerExperiment): Promise<void> {
    const client = await this.connection.client();
    if (!client) return;
    const p = this.state(experiment.id);
    const page = await serverRunsPage(client, experiment, { pageSize: SERVER_PAGE_SIZE, pageToken: p.next, filter: p.filter });
    const workspace = this.workspace();
    p.entries.push(...page.runs.map((run) => ({ run, workspace })));
    p.next = page.nextPageToken;
    p.done = true;
  }

  async children(node: ServerNode): Promise<ChildNode[]> {
    if (node.type !== 'serverExperiment') return [];
    const p = this.state(node.experiment.id);
    if (!p.done) {
      try {
        await this.fetchPage(node.experiment);
      } catch (e) {
        return [{ type: 'serverError', server: node.server, message: (e as Error).message }];
      }
    }
    const runs: ChildNode[] = p.entries.map((entry) => ({ type: 'run', entry }));
    return p.next ? [...runs, { type: 'serverMore', server: node.server, experiment: node.experiment, shown: p.entries.length }] : runs;
  }

  /** The next page of a group's runs (the "Load more" row). */
  async loadMore(experiment: ServerExperiment): Promise<void> {
    await this.fetchPage(experiment);
    this.changed();
  }

  /** Runs of a group matching an MLflow search filter (`metrics.acc > 0.9 AND params.lr = '0.1'`); empty shows all. */
  setFilter(experiment: ServerExperiment, filter: string): void {
    this.pages.set(experiment.id, { entries: [], done: false, filter: filter.trim() || undefined });
    this.changed();
  }

  filterOf(experimentId: string): string | undefined {
    return this.pages.get(experimentId)?.filter;
  }

  /** A server run read so far, by id. */
  find(id: string): ServerEntry | undefined {
    for (const p of this.pages.values()) {
      const hit = p.entries.find((e) => e.run.id === id);
      if (hit) return hit;
    }
    return undefined;
  }

  treeItem(node: ServerNode): vscode.TreeItem {
    if (node.type === 'serverError') {
      const item = new vscode.TreeItem(`MLflow server ${hostOf(node.server)}: cannot list runs`, vscode.TreeItemCollapsibleState.None);
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
      item.description = 'click to retry';
      item.tooltip = node.message;
      item.contextValue = 'serverError';
      item.command = { command: Command.refreshRuns, title: 'Retry' };
      return item;
    }
    if (node.type === 'serverMore') {
      const item = new vscode.TreeItem('Load more…', vscode.TreeItemCollapsibleState.None);
      item.id = `serverMore:${node.server}:${node.experiment.id}:${node.shown}`;
      item.iconPath = new vscode.ThemeIcon('ellipsis');
      item.description = `${node.shown} shown`;
      item.contextValue = 'serverMore';
      item.command = { command: Command.loadMoreServerRuns, title: 'Load More Runs', arguments: [node] };
      return item;
    }
    const filter = this.filterOf(node.experiment.id);
    const item = new vscode.TreeItem(
      `${node.experiment.name} (MLflow server ${hostOf(node.server)})`,
      vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = `serverExperiment:${node.server}:${node.experiment.id}`;
    item.iconPath = new vscode.ThemeIcon('cloud');
    item.description = filter ? `filter: ${filter}` : undefined;
    item.tooltip = `Experiment ${node.experiment.name} (id ${node.experiment.id}) of the MLflow tracking server ${node.server}`;
    item.contextValue = 'serverExperiment';
    return item;
  }
}
