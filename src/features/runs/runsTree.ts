import * as vscode from 'vscode';
import { describeTargetState } from '../../core/targets/describeTargetState';
import type { Logger } from '../../core/logger';
import { formatDuration, formatMetric, formatTime } from '../../core/runs/formatRun';
import { listWorkspaceRuns } from '../../core/runs/listWorkspaceRuns';
import { RunStore } from '../../core/runs/RunStore';
import { runSourceLabel } from '../../core/runs/runSourceLabel';
import type { Run, RunStatus } from '../../core/runs/runTypes';
import { Disposable } from '../../vscode/disposable';
import { Command } from '../../commandIds';
import { readExperiments } from '../../core/runs/experiments';
import { isSystemTag } from '../../core/runs/runMeta';
import { isSystemMetric } from '../../core/runs/systemMetrics/systemMetricNames';
import { isServerNode, type ServerNode, type ServerRunsSource } from './mlflowServer/ServerRunsSource';
import { runContextValue } from './runContextValue';

/** A run together with the workspace folder it belongs to. */
export interface WorkspaceRun {
  run: Run;
  /** File-system path of the workspace folder. */
  workspace: string;
}

/**
 * A tree node. An experiment of ML Workbench's own store carries `own`: its name as its runs hold it and
 * the workspace folders it is in (an experiment made with New Experiment may have no runs yet).
 */
export type RunsNode =
  | { type: 'experiment'; name: string; runs: WorkspaceRun[]; own?: { name: string; workspaces: string[] } }
  | { type: 'run'; entry: WorkspaceRun };

/** What the Runs view shows: the workspace's experiments and runs, and a connected tracking server's groups. */
export type RunsTreeNode = RunsNode | ServerNode;

const ICONS: Record<RunStatus, [string, string | undefined]> = {
  queued: ['clock', undefined],
  running: ['loading~spin', undefined],
  finished: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  stopped: ['debug-stop', undefined],
  interrupted: ['warning', 'list.warningForeground'],
  pruned: ['debug-step-out', undefined],
};

/** Up to two metrics shown in a run's description: the last value of each. */
export function keyMetrics(run: Run): string {
  const metrics = Object.entries(run.metrics ?? {}).filter(([k]) => !isSystemMetric(k)); // the script's, not CPU and memory
  const preferred = ['loss', 'val_loss', 'accuracy', 'acc', 'val_accuracy'];
  metrics.sort(([a], [b]) => {
    const ia = preferred.indexOf(a);
    const ib = preferred.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
  });
  return metrics
    .slice(0, 2)
    .map(([k, m]) => `${k} ${formatMetric(m.last)}`)
    .join(' · ');
}

/** A summary value, blank when not known. */
const shown = (v: number): string => (Number.isNaN(v) ? '' : formatMetric(v));

function escapeMd(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

/**
 * The Runs view: experiments, then their runs (ML Workbench and MLflow), kept current by
 * file-system watchers on run.json files and the MLflow store.
 */
export class RunsTree extends Disposable implements vscode.TreeDataProvider<RunsTreeNode> {
  private readonly changed = this.track(new vscode.EventEmitter<RunsTreeNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private readonly stores = new Map<string, RunStore>();
  private cached: WorkspaceRun[] | undefined;
  private loading: Promise<WorkspaceRun[]> | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private server: ServerRunsSource | undefined;

  constructor(private readonly logger: Logger) {
    super();
    const soon = () => this.scheduleRefresh();
    for (const glob of [
      '**/.mlw/runs/**/run.json',
      '**/.mlw/runs/**/meta.json',
      '**/.mlw/runs/experiments.json',
      '**/mlruns/**',
      '**/mlflow.db',
      '**/mlflow.db-wal',
    ]) {
      const watcher = this.track(vscode.workspace.createFileSystemWatcher(glob));
      this.track(watcher.onDidCreate(soon));
      this.track(watcher.onDidChange(soon));
      this.track(watcher.onDidDelete(soon));
    }
    this.track(vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()));
    this.track({ dispose: () => clearTimeout(this.refreshTimer) });
  }

  /**
   * Coalesces bursts of file events (run.json rewrites, an MLflow run appending metrics) into one
   * reload at most every 300 ms; the timer is not pushed back, so a steady stream still refreshes.
   */
  scheduleRefresh(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.refresh();
    }, 300);
  }

  refresh(): void {
    this.cached = undefined;
    this.server?.reset();
    this.changed.fire(undefined);
  }

  /** Shows a tracking server's experiments and runs after the workspace's (see ServerRunsSource). */
  attachServer(source: ServerRunsSource): void {
    this.server = source;
  }

  /** Redraws without reading anything again (a server group's next page came in). */
  redraw(): void {
    this.changed.fire(undefined);
  }

  /** The store of a workspace folder (one per folder, so its read cache is reused). */
  store(workspace: string): RunStore {
    let s = this.stores.get(workspace);
    if (!s) {
      s = new RunStore(workspace, this.logger);
      this.stores.set(workspace, s);
    }
    return s;
  }

  /** Every run of every workspace folder. */
  async runs(): Promise<WorkspaceRun[]> {
    if (this.cached) return this.cached;
    if (!this.loading) {
      this.loading = (async () => {
        const out: WorkspaceRun[] = [];
        for (const folder of vscode.workspace.workspaceFolders ?? []) {
          if (folder.uri.scheme !== 'file') continue;
          const workspace = folder.uri.fsPath;
          try {
            const runs = await listWorkspaceRuns(workspace, { store: this.store(workspace), logger: this.logger });
            for (const run of runs) out.push({ run, workspace });
          } catch (e) {
            this.logger.warn(`Runs view: cannot list runs of ${workspace}: ${(e as Error).message}`);
          }
        }
        return out;
      })().finally(() => (this.loading = undefined));
    }
    const runs = await this.loading;
    this.cached = runs;
    return runs;
  }

  /** A run by id, read fresh from disk when it is one of ours. */
  async find(id: string): Promise<WorkspaceRun | undefined> {
    const all = await this.runs();
    const hit = all.find((e) => e.run.id === id);
    if (hit?.run.source === 'mlw') {
      const fresh = await this.store(hit.workspace)
        .readRun(id)
        .catch(() => undefined);
      if (fresh) return { run: fresh, workspace: hit.workspace };
    }
    if (hit) return hit;
    const remote = this.server?.find(id);
    if (remote) return remote;
    this.cached = undefined; // maybe created since the last listing
    return (await this.runs()).find((e) => e.run.id === id);
  }

  async getChildren(node?: RunsTreeNode): Promise<RunsTreeNode[]> {
    if (node?.type === 'experiment') return node.runs.map((entry) => ({ type: 'run', entry }));
    if (node && isServerNode(node)) return this.server?.children(node) ?? [];
    if (node) return [];
    const groups = new Map<string, WorkspaceRun[]>();
    const own = new Map<string, Set<string>>(); // our experiments: name -> workspace folders
    const ours = (name: string, workspace: string) => {
      let set = own.get(name);
      if (!set) own.set(name, (set = new Set()));
      set.add(workspace);
      if (!groups.has(name)) groups.set(name, []);
    };
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue;
      for (const x of await readExperiments(this.store(folder.uri.fsPath))) ours(x.name, folder.uri.fsPath);
    }
    for (const e of await this.runs()) {
      if (e.run.source === 'mlw') ours(e.run.experiment, e.workspace);
      // Another store's experiments stay apart from ours: "iris (MLflow SQLite)", "logs (TensorBoard)".
      const key =
        e.run.source === 'mlw' ? e.run.experiment : `${e.run.experiment} (${runSourceLabel(e.run.source).replace(/ \((.*)\)$/, ' $1')})`;
      let list = groups.get(key);
      if (!list) groups.set(key, (list = []));
      list.push(e);
    }
    const local = [...groups.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, runs]): RunsTreeNode => {
        const folders = own.get(name);
        return folders ? { type: 'experiment', name, runs, own: { name, workspaces: [...folders] } } : { type: 'experiment', name, runs };
      });
    return [...local, ...((await this.server?.roots()) ?? [])];
  }

  getTreeItem(node: RunsTreeNode): vscode.TreeItem {
    if (isServerNode(node)) return this.server ? this.server.treeItem(node) : new vscode.TreeItem('');
    if (node.type === 'experiment') {
      const empty = node.runs.length === 0;
      const item = new vscode.TreeItem(node.name, empty ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Expanded);
      item.id = `experiment:${node.name}`;
      item.iconPath = new vscode.ThemeIcon('beaker');
      item.description = empty ? 'no runs yet' : `${node.runs.length} run${node.runs.length === 1 ? '' : 's'}`;
      // `experiment`: ours (rename, run into it); `experiment.readonly`: another store's.
      item.contextValue = node.own ? 'experiment' : 'experiment.readonly';
      return item;
    }
    const { run } = node.entry;
    const item = new vscode.TreeItem(run.name || run.id, vscode.TreeItemCollapsibleState.None);
    item.id = `run:${run.source}:${run.id}`;
    const [icon, color] = ICONS[run.status] ?? ['circle-outline', undefined];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    const metrics = keyMetrics(run);
    const source = run.source === 'mlw' ? '' : runSourceLabel(run.source);
    const state = run.status === 'running' ? (run.target ? describeTargetState(run.target) : 'running') : metrics || run.status;
    item.description = [state, source].filter(Boolean).join(' · ');
    // `run.*`: ours (edit, rerun, delete); `readonlyRun.*`: another tool's in the workspace; `serverRun.*`: a server's.
    item.contextValue = runContextValue(run);
    item.tooltip = this.tooltip(run);
    item.command = { command: Command.openRunDashboard, title: 'Open Run Dashboard', arguments: [node] };
    return item;
  }

  private tooltip(run: Run): vscode.MarkdownString {
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(
      `**${escapeMd(run.name)}** — ${run.status}${run.source === 'mlw' ? '' : ` · ${escapeMd(runSourceLabel(run.source))}`}\n\n`,
    );
    md.appendMarkdown(`Started ${escapeMd(formatTime(run.startTime))} · ${escapeMd(formatDuration(run.durationMs))}\n\n`);
    if (run.target) md.appendMarkdown(`Target ${escapeMd(describeTargetState(run.target))}\n\n`);
    const params = Object.entries(run.params);
    if (params.length) {
      md.appendMarkdown('| Param | Value |\n|---|---|\n');
      for (const [k, v] of params.slice(0, 30)) md.appendMarkdown(`| ${escapeMd(k)} | ${escapeMd(String(v))} |\n`);
      if (params.length > 30) md.appendMarkdown(`\n…and ${params.length - 30} more\n`);
    }
    const metrics = Object.entries(run.metrics ?? {});
    if (metrics.length) {
      md.appendMarkdown('\n| Metric | Last | Min | Max |\n|---|---|---|---|\n');
      for (const [k, m] of metrics.slice(0, 20))
        // An MLflow SQLite listing knows only the last value: its min and max are NaN until the series is read.
        md.appendMarkdown(`| ${escapeMd(k)} | ${formatMetric(m.last)} | ${shown(m.min)} | ${shown(m.max)} |\n`);
    }
    const tags = Object.entries(run.tags).filter(([k]) => !isSystemTag(k));
    if (tags.length) md.appendMarkdown(`\n**Tags:** ${tags.map(([k, v]) => escapeMd(v ? `${k}=${v}` : k)).join(' · ')}\n`);
    if (run.notes) md.appendMarkdown(`\n${escapeMd(run.notes.length > 500 ? `${run.notes.slice(0, 500)}…` : run.notes)}\n`);
    if (run.error) md.appendMarkdown(`\n${escapeMd(run.error)}\n`);
    md.appendMarkdown(`\n\`${run.id}\``);
    return md;
  }
}
