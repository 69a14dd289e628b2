import * as vscode from 'vscode';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import type { Logger } from '../../core/logger';
import { readRunMetrics } from '../../core/runs/listWorkspaceRuns';
import { readLineage } from '../../core/deploy/lineage';
import { readMetrics } from '../../core/runs/readMetrics';
import { runDeployments } from '../../core/runs/runDeployments';
import { METRICS_FILE, OUTPUT_FILE, RUN_FILE, type Run } from '../../core/runs/runTypes';
import { isSystemMetric } from '../../core/runs/systemMetrics/systemMetricNames';
import {
  packSeries,
  parseRunsMessage,
  secondsSince,
  type RunDeploymentView,
  type RunsFromWebview,
  type RunsToWebview,
  type SeriesTimes,
} from '../../shared/runsProtocol';
import { createPanel, PanelRegistry, WebviewPanelHost } from '../../vscode/webviewPanelHost';
import type { RunsTree, WorkspaceRun } from './runsTree';
import { toRunView } from './runView';
import { Command } from '../../commandIds';
import { runCommand } from '../../commands';

const STDOUT_TAIL_BYTES = 64 * 1024;
const TICK_MS = 250;

const finite = (a: ArrayLike<number>): number[] => Array.from(a, (v) => (Number.isFinite(v) ? v : (null as unknown as number)));

/** Last `max` bytes of a file from `from` on, and the size read up to. */
async function readTail(file: string, from: number, max: number): Promise<{ text: string; size: number; reset: boolean }> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch {
    return { text: '', size: from, reset: false };
  }
  try {
    const size = (await handle.stat()).size;
    const reset = size < from;
    const start = Math.max(reset ? 0 : from, size - max);
    const buf = Buffer.alloc(size - start);
    if (buf.length) await handle.read(buf, 0, buf.length, start);
    return { text: buf.toString('utf8'), size, reset };
  } finally {
    await handle.close();
  }
}

/** One dashboard per run: charts of every metric, params and metadata, output tail; live while the run runs. */
export class RunDashboardPanel extends WebviewPanelHost<RunsToWebview, RunsFromWebview> {
  private static readonly panels = new PanelRegistry<RunDashboardPanel>();
  private metricsOffset = 0;
  private stdoutOffset = 0;
  private timer: NodeJS.Timeout | undefined;
  private watcher: vscode.FileSystemWatcher | undefined;
  private busy = false;
  private run: Run;

  static show(entry: WorkspaceRun, tree: RunsTree, extensionUri: vscode.Uri, logger: Logger): RunDashboardPanel {
    return RunDashboardPanel.panels.show(entry.run.id, () => {
      const panel = createPanel('mlWorkbench.runDashboard', `Run: ${entry.run.name}`, extensionUri, { retainContextWhenHidden: true });
      return new RunDashboardPanel(panel, entry, tree, extensionUri, logger);
    });
  }

  /** Sends an open dashboard of the run its state again (after a rename, or new tags or notes). */
  static async reload(runId: string): Promise<void> {
    const open = RunDashboardPanel.panels.get(runId);
    if (open && !open.isDisposed) await open.load();
  }

  /** Closes the dashboard of a run (e.g. when the run is deleted). */
  static close(runId: string): void {
    RunDashboardPanel.panels.close(runId);
  }

  private constructor(
    panel: vscode.WebviewPanel,
    private readonly entry: WorkspaceRun,
    private readonly tree: RunsTree,
    extensionUri: vscode.Uri,
    logger: Logger,
  ) {
    super(panel, extensionUri, { app: 'runs', title: `Run: ${entry.run.name}`, parse: parseRunsMessage }, logger);
    this.run = entry.run;
    this.track({ dispose: () => this.stopTailing() });
  }

  private get runDir(): string {
    return this.tree.store(this.entry.workspace).runDir(this.run.id);
  }

  protected onReady(): Promise<void> {
    return this.load();
  }

  protected async onMessage(message: Exclude<RunsFromWebview, { type: 'ready' }>): Promise<void> {
    switch (message.type) {
      case 'stop':
        await runCommand(Command.stopRun, this.run.id);
        break;
      case 'rerun':
        await runCommand(Command.rerun, this.run.id);
        break;
      case 'openLog':
        if (this.run.source === 'mlw')
          await vscode.window.showTextDocument(vscode.Uri.file(path.join(this.runDir, OUTPUT_FILE)), { preview: true });
        break;
      case 'openDashboard':
        await runCommand(Command.openRunDashboard, message.runId);
        break;
      case 'openRegistry':
        await runCommand(Command.openRegistry, { folder: this.entry.workspace });
        break;
      default:
        break;
    }
  }

  /** Sends the whole state, then tails the run while it is running. */
  private async load(): Promise<void> {
    this.stopTailing();
    const fresh = await this.tree.find(this.run.id);
    if (fresh) this.run = fresh.run;
    this.panel.title = `Run: ${this.run.name}`;
    const deployments = await this.deployments();
    if (this.run.source !== 'mlw') {
      const series = await readRunMetrics(this.entry.workspace, this.run);
      await this.post({
        type: 'dashboard',
        run: toRunView(this.run, series),
        series: packSeries(series.values(), this.seriesTimes(series.values())),
        stdout: '',
        live: false,
        deployments,
      });
      return;
    }
    const metrics = await readMetrics(this.runDir);
    this.metricsOffset = metrics.offset;
    const out = await readTail(path.join(this.runDir, OUTPUT_FILE), 0, STDOUT_TAIL_BYTES);
    this.stdoutOffset = out.size;
    const live = this.run.status === 'running';
    await this.post({
      type: 'dashboard',
      run: toRunView(this.run, metrics.series),
      series: packSeries(metrics.series.values(), this.seriesTimes(metrics.series.values())),
      stdout: out.text,
      live,
      deployments,
    });
    if (live) this.startTailing();
  }

  /** System metrics are charted against time: seconds since the run started (else since their first point). */
  private seriesTimes(series?: Iterable<{ name: string; timestamps?: ArrayLike<number> }>): SeriesTimes {
    let origin = this.run.startTime ?? undefined;
    for (const s of origin === undefined ? (series ?? []) : [])
      if (isSystemMetric(s.name) && s.timestamps?.length) origin = Math.min(origin ?? Infinity, s.timestamps[0]);
    return { wanted: isSystemMetric, origin: origin ?? 0 };
  }

  /** Images, pushes and containers of the model this run produced (the workspace's lineage log). */
  private async deployments(): Promise<RunDeploymentView[]> {
    try {
      return runDeployments(await readLineage(this.entry.workspace), this.run.id);
    } catch (e) {
      this.logger.warn(`Run dashboard ${this.run.id}: cannot read the lineage log: ${(e as Error).message}`);
      return [];
    }
  }

  private startTailing(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(this.runDir), `{${METRICS_FILE},${RUN_FILE}}`),
    );
    const now = () => void this.tick();
    this.watcher.onDidChange(now);
    this.watcher.onDidCreate(now);
  }

  private stopTailing(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.watcher?.dispose();
    this.watcher = undefined;
  }

  /** Posts what was appended to metrics.jsonl and stdout.log since the last tick; stops when the run ends. */
  private async tick(): Promise<void> {
    if (this.busy || !this.timer) return;
    this.busy = true;
    try {
      const store = this.tree.store(this.entry.workspace);
      const run = await store.readRun(this.run.id);
      const metrics = await readMetrics(this.runDir, { sinceByteOffset: this.metricsOffset });
      this.metricsOffset = metrics.offset;
      const out = await readTail(path.join(this.runDir, OUTPUT_FILE), this.stdoutOffset, STDOUT_TAIL_BYTES);
      this.stdoutOffset = out.size;
      if (metrics.points > 0 || metrics.reset || out.text) {
        const points: Record<string, { steps: number[]; values: number[]; times?: number[] }> = {};
        const times = this.seriesTimes();
        for (const s of metrics.series.values())
          points[s.name] = {
            steps: finite(s.steps),
            values: finite(s.values),
            ...(times.wanted(s.name) ? { times: Array.from(secondsSince(s.timestamps, times.origin)) } : {}),
          };
        await this.post({ type: 'append', runId: this.run.id, points, stdout: out.text || undefined, reset: metrics.reset || undefined });
      }
      if (!run) {
        this.stopTailing();
        return;
      }
      if (run.status !== 'running') {
        this.run = run;
        this.stopTailing();
        await this.post({ type: 'status', run: toRunView(run), live: false });
      }
    } catch (e) {
      this.logger.warn(`Run dashboard ${this.run.id}: ${(e as Error).message}`);
    } finally {
      this.busy = false;
    }
  }
}
