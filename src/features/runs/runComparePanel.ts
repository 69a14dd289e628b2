import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import { readRunMetrics } from '../../core/runs/listWorkspaceRuns';
import { mergeMetrics, readMetrics, type MetricSeries } from '../../core/runs/readMetrics';
import { lowerIsBetter, summarizeMetrics } from '../../core/runs/summarizeMetrics';
import type { MetricSummary } from '../../core/runs/runTypes';
import {
  packSeries,
  parseRunsMessage,
  type RunMetricGoal,
  type RunMetricStats,
  type RunStudyView,
  type RunsFromWebview,
  type RunsToWebview,
} from '../../shared/runsProtocol';
import { createPanel, PanelRegistry, WebviewPanelHost } from '../../vscode/webviewPanelHost';
import type { RunsTree, WorkspaceRun } from './runsTree';
import { toRunView } from './runView';
import { Command } from '../../commandIds';
import { runCommand } from '../../commands';
import { bestSoFar, readStudySummary } from '../../core/sweeps/readStudySummary';
import { missingOptunaMessage, StudyError } from '../../core/sweeps/StudyDriver';
import { resolveRunInterpreter } from '../../vscode/resolveRunInterpreter';

/** The study every compared run is a trial of (tag `mlw.study`, one workspace), if there is one. */
function commonStudy(entries: WorkspaceRun[]): { name: string; workspace: string } | undefined {
  const first = entries[0];
  const name = first?.run.tags?.['mlw.study'];
  if (!name || first.run.source !== 'mlw') return undefined;
  const same = entries.every((e) => e.run.source === 'mlw' && e.workspace === first.workspace && e.run.tags?.['mlw.study'] === name);
  return same ? { name, workspace: first.workspace } : undefined;
}

/** While a compared run is still running, the panel reloads this often. */
const LIVE_MS = 2_000;

type ComparedRun = Extract<RunsToWebview, { type: 'compare' }>['runs'][number];

const finite = (v: number): number | undefined => (Number.isFinite(v) ? v : undefined);

function toStats(summaries: Record<string, MetricSummary>): Record<string, RunMetricStats> {
  const out: Record<string, RunMetricStats> = {};
  for (const [k, m] of Object.entries(summaries)) out[k] = { final: finite(m.last), min: finite(m.min), max: finite(m.max) };
  return out;
}

/**
 * One "Compare Runs" panel for any number of runs: overlaid (downsampled) curves per metric, a
 * sortable and filterable table of params and final/best metrics, a scatter of a param against a
 * metric and parallel coordinates over the sweep's numeric params.
 */
export class RunComparePanel extends WebviewPanelHost<RunsToWebview, RunsFromWebview> {
  private static readonly panels = new PanelRegistry<RunComparePanel>();
  private liveTimer: NodeJS.Timeout | undefined;
  /** Payloads of compared runs that have ended: their files no longer change, so they are read once. */
  private readonly ended = new Map<string, ComparedRun>();
  /** Metrics of compared runs still going, and how far their metrics.jsonl was read: each reload reads only what was appended. */
  private readonly liveMetrics = new Map<string, { offset: number; series: Map<string, MetricSeries> }>();
  /** The study of the compared trials, read again only when another of them has ended. */
  private study: RunStudyView | undefined;
  private studyKey = '';

  static show(entries: WorkspaceRun[], tree: RunsTree, extensionUri: vscode.Uri, logger: Logger): RunComparePanel {
    return RunComparePanel.panels.show(
      'compare',
      () =>
        new RunComparePanel(
          createPanel('mlWorkbench.runCompare', RunComparePanel.title(entries), extensionUri, { retainContextWhenHidden: true }),
          entries,
          tree,
          extensionUri,
          logger,
        ),
      (existing) => {
        existing.entries = entries;
        existing.ended.clear();
        existing.liveMetrics.clear();
        existing.study = undefined;
        existing.studyKey = '';
        existing.panel.title = RunComparePanel.title(entries);
        if (existing.ready) void existing.load();
      },
    );
  }

  private static title(entries: WorkspaceRun[]): string {
    return `Compare ${entries.length} Runs`;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    private entries: WorkspaceRun[],
    private readonly tree: RunsTree,
    extensionUri: vscode.Uri,
    logger: Logger,
  ) {
    super(panel, extensionUri, { app: 'runs', title: 'Compare Runs', parse: parseRunsMessage }, logger);
    this.track({ dispose: () => clearTimeout(this.liveTimer) });
  }

  protected onReady(): Promise<void> {
    return this.load();
  }

  protected async onMessage(message: Exclude<RunsFromWebview, { type: 'ready' }>): Promise<void> {
    if (message.type === 'openDashboard') await runCommand(Command.openRunDashboard, message.runId);
  }

  private async load(): Promise<void> {
    clearTimeout(this.liveTimer);
    let running = false;
    const runs = await Promise.all(
      this.entries.map(async (e): Promise<ComparedRun> => {
        const known = this.ended.get(e.run.id);
        if (known) return known;
        const fresh = (await this.tree.find(e.run.id)) ?? e;
        const series = await this.readSeries(fresh).catch(() => new Map<string, MetricSeries>());
        // Finished runs carry their summaries in run.json; others are summarized here, not in the webview.
        const live = fresh.run.status === 'running' || fresh.run.status === 'queued';
        if (!live) this.liveMetrics.delete(e.run.id);
        // (An MLflow SQLite or tracking-server listing has only last values: its min and max come from the series read here.)
        const lastOnly = fresh.run.source === 'mlflow-sqlite' || fresh.run.source === 'mlflow-server';
        const summaries = !live && fresh.run.metrics && !lastOnly ? fresh.run.metrics : summarizeMetrics(series);
        const payload = { run: toRunView(fresh.run, series), series: packSeries(series.values()), stats: toStats(summaries) };
        if (live) running = true;
        else this.ended.set(e.run.id, payload);
        return payload;
      }),
    );
    if (this.isDisposed) return;
    // Live: reload while any compared run is still going (the webview keeps sort, filter, focus and scroll).
    if (running) this.liveTimer = setTimeout(() => void this.load().catch(() => undefined), LIVE_MS);
    const goals: Record<string, RunMetricGoal> = {};
    for (const r of runs) {
      for (const s of r.series) goals[s.name] ??= lowerIsBetter(s.name) ? 'min' : 'max';
      for (const k of Object.keys(r.run.finalMetrics)) goals[k] ??= lowerIsBetter(k) ? 'min' : 'max';
    }
    const study = commonStudy(this.entries);
    if (!study) this.study = undefined;
    await this.post({ type: 'compare', runs, goals, study: this.study });
    if (study) await this.loadStudy(study, runs.filter((r) => r.run.status !== 'running' && r.run.status !== 'queued').length);
  }

  /** Asks the study's driver for its trials and importances (a second or so), then sends them. */
  private async loadStudy(study: { name: string; workspace: string }, ended: number): Promise<void> {
    const key = `${study.workspace}\0${study.name}\0${ended}`;
    if (key === this.studyKey) return;
    this.studyKey = key;
    let interpreter = 'python3';
    try {
      interpreter = await resolveRunInterpreter(study.workspace, this.logger);
      const summary = await readStudySummary(interpreter, study.workspace, study.name);
      this.study = { name: study.name, summary, progress: bestSoFar(summary) };
    } catch (e) {
      const message =
        e instanceof StudyError && e.code === 'missing-optuna'
          ? missingOptunaMessage(interpreter, 'mlWorkbench.pythonPath')
          : (e as Error).message;
      this.logger.warn(`Compare: study ${study.name}: ${message}`);
      this.study = { name: study.name, progress: [], error: message };
    }
    if (!this.isDisposed && this.studyKey === key) await this.post({ type: 'study', study: this.study });
  }

  /** A run's metrics: MLflow runs read whole, ours from where the last reload stopped (again from the start if the file was replaced). */
  private async readSeries(entry: WorkspaceRun): Promise<Map<string, MetricSeries>> {
    if (entry.run.source !== 'mlw') return readRunMetrics(entry.workspace, entry.run); // MLflow whole; TensorBoard incrementally in core
    const prev = this.liveMetrics.get(entry.run.id);
    const read = await readMetrics(this.tree.store(entry.workspace).runDir(entry.run.id), { sinceByteOffset: prev?.offset });
    const series = prev && !read.reset ? mergeMetrics(prev.series, read.series) : read.series;
    this.liveMetrics.set(entry.run.id, { offset: read.offset, series });
    return series;
  }
}
