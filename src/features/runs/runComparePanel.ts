import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import { readRunMetrics } from '../../core/runs/listWorkspaceRuns';
import { parseRunsMessage, type RunsFromWebview, type RunsToWebview } from '../../shared/runsProtocol';
import { connectWebview } from '../../vscode/webviewHost';
import type { RunsTree, WorkspaceRun } from './runsTree';
import { toRunSeries, toRunView } from './runView';

/** One "Compare Runs" panel: overlaid curves per metric and a params / final metrics table. */
export class RunComparePanel {
  private static current: RunComparePanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly post: (m: RunsToWebview) => Thenable<boolean>;
  private ready = false;

  static show(entries: WorkspaceRun[], tree: RunsTree, extensionUri: vscode.Uri, logger: Logger): RunComparePanel {
    const cur = RunComparePanel.current;
    if (cur) {
      cur.entries = entries;
      cur.panel.title = RunComparePanel.title(entries);
      cur.panel.reveal();
      if (cur.ready) void cur.load();
      return cur;
    }
    const panel = vscode.window.createWebviewPanel('mlWorkbench.runCompare', RunComparePanel.title(entries), vscode.ViewColumn.Active, { retainContextWhenHidden: true });
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'activitybar.svg');
    RunComparePanel.current = new RunComparePanel(panel, entries, tree, extensionUri, logger);
    return RunComparePanel.current;
  }

  private static title(entries: WorkspaceRun[]): string {
    return `Compare ${entries.length} Runs`;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private entries: WorkspaceRun[],
    private readonly tree: RunsTree,
    extensionUri: vscode.Uri,
    logger: Logger,
  ) {
    const conn = connectWebview<RunsToWebview, RunsFromWebview>(
      panel.webview, extensionUri, { app: 'runs', title: 'Compare Runs', parse: parseRunsMessage },
      (m) => this.onMessage(m), logger, this.disposables,
    );
    this.post = conn.post;
    panel.onDidDispose(() => this.dispose(), undefined, this.disposables);
  }

  private async onMessage(message: RunsFromWebview): Promise<void> {
    if (message.type === 'ready') {
      this.ready = true;
      await this.load();
    } else if (message.type === 'openDashboard') {
      await vscode.commands.executeCommand('mlWorkbench.openRunDashboard', message.runId);
    }
  }

  private async load(): Promise<void> {
    const runs = await Promise.all(
      this.entries.map(async (e) => {
        const fresh = (await this.tree.find(e.run.id)) ?? e;
        const series = await readRunMetrics(fresh.workspace, fresh.run, this.tree.store(fresh.workspace)).catch(() => new Map());
        return { run: toRunView(fresh.run, series), series: toRunSeries(series) };
      }),
    );
    await this.post({ type: 'compare', runs });
  }

  private dispose(): void {
    RunComparePanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
