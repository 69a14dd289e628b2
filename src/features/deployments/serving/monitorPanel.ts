import * as vscode from 'vscode';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from '../../../core/logger';
import { MIN_DRIFT_COUNT, modelNamesFromMetrics, sidecarProfilePath } from '../../../core/serve/driftReport';
import { metricsTotals, monitorPoint, parsePrometheusText, type MetricsTotals } from '../../../core/serve/metricsText';
import {
  parseMonitorMessage,
  type DriftState,
  type MonitorFromWebview,
  type MonitorPoint,
  type MonitorStatus,
  type MonitorToWebview,
} from '../../../shared/serveProtocol';
import { openSettings, SECTION } from '../../../vscode/config';
import { createPanel, PanelRegistry, WebviewPanelHost } from '../../../vscode/webviewPanelHost';
import { DRIFT_THRESHOLD_SETTING, driftThreshold, fetchDrift, type DriftWatch } from './driftWatch';

const POLL_MS = 1_000;
/** Drift is read every DRIFT_EVERY polls: /stats costs the server a KS sort per feature. */
const DRIFT_EVERY = 2;
const HISTORY = 300;

/** Any model server the monitor can watch: an in-process LocalServer, a container, a remote URL. */
export interface MonitorEntry {
  /** Identity: one panel per key (e.g. "container:<id>"). */
  key: string;
  label: string;
  /** e.g. http://127.0.0.1:8080 (no trailing slash needed). */
  baseUrl: string;
  /** Models to show drift for; default: the models the server lists on /metrics. */
  modelNames?: string[];
}

/** What the panel's buttons do; each is optional (a button is hidden without its action). */
export interface MonitorActions {
  sendTestRequest?: () => unknown;
  openLog?: () => void;
}

export interface MonitorTarget extends MonitorActions {
  key: string;
  label: string;
  /** The current base URL; undefined while the server is not running (the string says why). */
  url(): string | { stopped: string };
  modelNames(): string[] | undefined;
  /** Model file of a served model, when known: the monitor can then write a reference profile beside it. */
  modelPath?(model: string): string | undefined;
  restart?(): unknown;
}

/** "ML: Open Server Monitor": polls a server's /metrics every second and charts it, plus per-feature drift. One panel per server. */
export class MonitorPanel extends WebviewPanelHost<MonitorToWebview, MonitorFromWebview> {
  private static readonly panels = new PanelRegistry<MonitorPanel>();
  private readonly points: MonitorPoint[] = [];
  private previous: { totals: MetricsTotals; at: number; url: string } | undefined;
  private status: MonitorStatus = 'live';
  private polling = false;
  private polls = 0;
  private discoveredModels: string[] = [];
  private drift: DriftState | undefined;
  private driftJson = '';

  /** The monitor of any server by base URL (a container, a remote server). */
  static showUrl(
    entry: MonitorEntry,
    drift: DriftWatch,
    extensionUri: vscode.Uri,
    logger: Logger,
    actions: MonitorActions = {},
  ): MonitorPanel {
    const base = entry.baseUrl.replace(/\/+$/, '');
    return MonitorPanel.show(
      { key: entry.key, label: entry.label, url: () => base, modelNames: () => entry.modelNames, ...actions },
      drift,
      extensionUri,
      logger,
    );
  }

  /** Reveals the monitor of `target.key`, or opens one. */
  static show(target: MonitorTarget, drift: DriftWatch, extensionUri: vscode.Uri, logger: Logger): MonitorPanel {
    return MonitorPanel.panels.show(
      target.key,
      () =>
        new MonitorPanel(
          createPanel('mlWorkbench.serverMonitor', `Monitor: ${target.label}`, extensionUri),
          target,
          drift,
          extensionUri,
          logger,
        ),
    );
  }

  private constructor(
    panel: vscode.WebviewPanel,
    private readonly target: MonitorTarget,
    private readonly driftWatch: DriftWatch,
    extensionUri: vscode.Uri,
    logger: Logger,
  ) {
    super(panel, extensionUri, { app: 'monitor', title: `Monitor: ${target.label}`, parse: parseMonitorMessage }, logger);
    this.track(driftWatch.claim(target.key));
    this.track(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.${DRIFT_THRESHOLD_SETTING}`) && this.drift)
          this.publishDrift({ ...this.drift, threshold: driftThreshold() });
      }),
    );
    const timer = setInterval(() => void this.poll(), POLL_MS);
    this.track({ dispose: () => clearInterval(timer) });
    void this.poll();
  }

  private currentUrl(): string {
    const u = this.target.url();
    return typeof u === 'string' ? u : '';
  }

  protected async onReady(): Promise<void> {
    await this.post({
      type: 'init',
      title: this.target.label,
      url: this.currentUrl(),
      points: this.points,
      status: this.status,
      canSendTestRequest: this.target.sendTestRequest !== undefined,
      canOpenLog: this.target.openLog !== undefined,
    });
    if (this.drift) await this.post({ type: 'drift', drift: this.drift });
  }

  protected async onMessage(message: Exclude<MonitorFromWebview, { type: 'ready' }>): Promise<void> {
    switch (message.type) {
      case 'sendTestRequest':
        await this.target.sendTestRequest?.();
        break;
      case 'openLog':
        this.target.openLog?.();
        break;
      case 'openSettings':
        await openSettings(`${SECTION}.${DRIFT_THRESHOLD_SETTING}`);
        break;
      case 'buildProfile':
        await this.buildProfile(message.model);
        break;
    }
  }

  /** Builds a reference profile from a data file the user picks and writes it beside the model, then offers a restart. */
  private async buildProfile(model: string): Promise<void> {
    const modelPath = this.target.modelPath?.(model);
    if (!modelPath) return;
    const picked = await vscode.window.showOpenDialog({
      title: `Reference (training) data for ${model}`,
      openLabel: 'Build Reference Profile',
      canSelectMany: false,
      defaultUri: vscode.Uri.file(path.dirname(modelPath)),
      filters: { 'Samples (.npy, .csv, .json)': ['npy', 'csv', 'tsv', 'json'] },
    });
    const data = picked?.[0];
    if (!data) return;
    const out = sidecarProfilePath(modelPath);
    try {
      const { readSamplesFile } = await import('../../../core/serve/sampleReader');
      const { buildProfile, profileToJson } = await import('../../../core/serve/driftProfile');
      const profile = buildProfile(await readSamplesFile(data.fsPath), { source: path.basename(data.fsPath) });
      await writeFile(out, profileToJson(profile) + '\n');
    } catch (e) {
      void vscode.window.showErrorMessage(
        `Could not build a reference profile from ${path.basename(data.fsPath)}: ${(e as Error).message}`,
      );
      return;
    }
    this.logger.info(`Wrote drift reference profile ${out}`);
    const choice = await vscode.window.showInformationMessage(
      `Wrote ${path.basename(out)} beside the model. The server reads it when it starts.`,
      ...(this.target.restart ? ['Restart Server'] : []),
    );
    if (choice === 'Restart Server') await this.target.restart?.();
  }

  private setStatus(status: MonitorStatus, message?: string): void {
    if (status === this.status) return;
    this.status = status;
    void this.post({ type: 'status', status, message, url: this.currentUrl() });
  }

  private publishDrift(drift: DriftState): void {
    this.drift = drift;
    const json = JSON.stringify(drift);
    if (json === this.driftJson) return;
    this.driftJson = json;
    void this.post({ type: 'drift', drift });
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    const u = this.target.url();
    if (typeof u !== 'string') {
      this.setStatus('stopped', u.stopped);
      return;
    }
    const url = u;
    this.polling = true;
    try {
      const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(POLL_MS * 3) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const samples = parsePrometheusText(await res.text());
      const totals = metricsTotals(samples);
      this.discoveredModels = modelNamesFromMetrics(samples);
      const at = Date.now();
      // A restarted server has a new URL and fresh counters: start the differences over.
      const prev = this.previous && this.previous.url === url ? this.previous : undefined;
      const point = monitorPoint(prev?.totals, totals, prev ? (at - prev.at) / 1000 : 0, at);
      point.inflight = Math.max(0, point.inflight - 1); // this scrape is in flight too
      this.previous = { totals, at, url };
      this.setStatus('live');
      if (this.polls++ % DRIFT_EVERY === 0) await this.pollDrift(url);
      if (!prev) return; // the first scrape only sets the baseline
      this.points.push(point);
      if (this.points.length > HISTORY) this.points.shift();
      void this.post({ type: 'point', point });
    } catch (e) {
      this.logger.debug(`monitor ${url}: ${(e as Error).message}`);
      this.setStatus('unreachable', (e as Error).message);
    } finally {
      this.polling = false;
    }
  }

  private async pollDrift(url: string): Promise<void> {
    const models = this.target.modelNames() ?? this.discoveredModels;
    const threshold = driftThreshold();
    const canBuildProfile = models.some((m) => this.target.modelPath?.(m) !== undefined);
    let state: DriftState;
    try {
      const d = await fetchDrift(url, models);
      state = {
        threshold,
        minCount: MIN_DRIFT_COUNT,
        models: d.models,
        canBuildProfile,
        ...(d.unavailable ? { unavailable: d.unavailable } : {}),
      };
      this.driftWatch.warn(this.target, d.models, threshold, () => this.panel.reveal());
    } catch (e) {
      state = {
        threshold,
        minCount: MIN_DRIFT_COUNT,
        models: this.drift?.models ?? [],
        canBuildProfile,
        unavailable: `drift statistics could not be read: ${(e as Error).message}`,
      };
    }
    this.publishDrift(state);
  }
}
