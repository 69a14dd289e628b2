import * as vscode from 'vscode';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from '../../core/logger';
import { DEFAULT_DRIFT_THRESHOLD, driftedFeatures, driftWarning, MIN_DRIFT_COUNT, modelNamesFromMetrics, parseModelDrift, sidecarProfilePath } from '../../core/serve/driftReport';
import { metricsTotals, monitorPoint, parsePrometheusText, type MetricsTotals } from '../../core/serve/metricsText';
import {
  parseMonitorMessage,
  type DriftState,
  type ModelDrift,
  type MonitorFromWebview,
  type MonitorPoint,
  type MonitorStatus,
  type MonitorToWebview,
} from '../../shared/serveProtocol';
import { openSettings, SECTION } from '../../vscode/config';
import { connectWebview } from '../../vscode/webviewHost';
import type { LocalServer } from './localServers';

const POLL_MS = 1_000;
/** Drift is read every DRIFT_EVERY polls: /stats costs the server a KS sort per feature. */
const DRIFT_EVERY = 2;
const WATCH_MS = 5_000;
const HISTORY = 300;
export const DRIFT_THRESHOLD_SETTING = 'serve.driftThreshold';

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

interface MonitorTarget extends MonitorActions {
  key: string;
  label: string;
  /** The current base URL; undefined while the server is not running (the string says why). */
  url(): string | { stopped: string };
  modelNames(): string[] | undefined;
  /** Model file of a served model, when known: the monitor can then write a reference profile beside it. */
  modelPath?(model: string): string | undefined;
  restart?(): unknown;
}

/** Drift warnings already shown, by target key and model: one notification per model. */
const warned = new Set<string>();

export function driftThreshold(): number {
  const v = vscode.workspace.getConfiguration(SECTION).get<number>(DRIFT_THRESHOLD_SETTING, DEFAULT_DRIFT_THRESHOLD);
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : DEFAULT_DRIFT_THRESHOLD;
}

/** Reads /stats of each model; `unavailable` when the server does not speak our stats extension. */
async function fetchDrift(url: string, models: readonly string[]): Promise<{ models: ModelDrift[]; unavailable?: string }> {
  const out: ModelDrift[] = [];
  for (const model of models) {
    const res = await fetch(`${url}/v2/models/${encodeURIComponent(model)}/stats`, { signal: AbortSignal.timeout(POLL_MS * 3) });
    if (res.status === 404) return { models: out, unavailable: `GET /v2/models/${model}/stats answered 404: this server does not offer the mlw_model_stats extension (ML Workbench's server does)` };
    if (!res.ok) throw new Error(`/stats of ${model}: HTTP ${res.status}`);
    out.push(parseModelDrift(model, await res.json()));
  }
  return { models: out };
}

function warnKey(target: { key: string }, model: string): string {
  return `${target.key}\u0000${model}`;
}

/** Shows the drift warning once per target and model; "Open Monitor" runs `open`. */
function warnOnce(target: { key: string; label: string }, drift: readonly ModelDrift[], threshold: number, open: () => unknown, logger: Pick<Logger, 'warn'>): void {
  for (const m of drift) {
    const id = warnKey(target, m.model);
    if (warned.has(id)) continue;
    const drifted = driftedFeatures(m, threshold);
    if (drifted.length === 0) continue;
    warned.add(id);
    const text = driftWarning(m.model, drifted, threshold);
    logger.warn(`${target.label}: ${text}`);
    void vscode.window.showWarningMessage(text, 'Open Monitor').then((choice) => (choice === 'Open Monitor' ? open() : undefined));
  }
}

function localTarget(server: LocalServer, onTestRequest: () => unknown): MonitorTarget {
  return {
    key: `local:${server.id}`,
    label: server.label,
    url: () => (server.state === 'ready' && server.url ? server.url : { stopped: `server is ${server.state}` }),
    modelNames: () => server.models.map((m) => m.name),
    modelPath: (model) => server.models.find((m) => m.name === model)?.path,
    sendTestRequest: onTestRequest,
    openLog: () => server.log.show(),
    restart: () => vscode.commands.executeCommand('mlWorkbench.restartServer', server.url),
  };
}

/**
 * Hook for a LocalServer that just became ready: polls its models' drift every 5 s and shows the one-time warning
 * even while no monitor is open. Ends by itself once no model is left that could warn (none has a reference
 * profile, or each has warned), or once the server leaves the ready state or changes URL (a restart calls it again).
 */
export function watchDrift(server: LocalServer, logger?: Logger): void {
  const url = server.url;
  if (!url) return;
  const target = { key: `local:${server.id}`, label: server.label };
  const log: Pick<Logger, 'warn'> = logger ?? { warn: (m: string) => server.log.warn(m) };
  // Models that could still warn: those with a reference profile and no warning shown yet.
  let pending = server.models.map((m) => m.name);
  const timer = setInterval(() => {
    if (server.state !== 'ready' || server.url !== url || pending.length === 0) {
      clearInterval(timer);
      return;
    }
    if (MonitorPanel.isOpen(target.key)) return; // the panel watches it
    fetchDrift(url, pending)
      .then((d) => {
        if (d.unavailable) pending = [];
        warnOnce(target, d.models, driftThreshold(), () => vscode.commands.executeCommand('mlWorkbench.openServerMonitor', url), log);
        const left = new Set(d.models.filter((m) => m.reference && !warned.has(warnKey(target, m.model))).map((m) => m.model));
        pending = pending.filter((m) => left.has(m));
      })
      .catch(() => undefined);
  }, WATCH_MS);
  timer.unref?.();
}

/** "ML: Open Server Monitor": polls a server's /metrics every second and charts it, plus per-feature drift. One panel per server. */
export class MonitorPanel {
  private static readonly panels = new Map<string, MonitorPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly post: (m: MonitorToWebview) => Thenable<boolean>;
  private readonly points: MonitorPoint[] = [];
  private previous: { totals: MetricsTotals; at: number; url: string } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private status: MonitorStatus = 'live';
  private polling = false;
  private polls = 0;
  private discoveredModels: string[] = [];
  private drift: DriftState | undefined;
  private driftJson = '';

  /** The monitor of a server the extension started (Deployments view → Local servers). */
  static show(server: LocalServer, extensionUri: vscode.Uri, logger: Logger, onTestRequest: () => unknown): MonitorPanel {
    return MonitorPanel.open(localTarget(server, onTestRequest), extensionUri, logger);
  }

  /** The monitor of any server by base URL (a container, a remote server). */
  static showUrl(entry: MonitorEntry, extensionUri: vscode.Uri, logger: Logger, actions: MonitorActions = {}): MonitorPanel {
    const base = entry.baseUrl.replace(/\/+$/, '');
    return MonitorPanel.open({ key: entry.key, label: entry.label, url: () => base, modelNames: () => entry.modelNames, ...actions }, extensionUri, logger);
  }

  static isOpen(key: string): boolean {
    return MonitorPanel.panels.has(key);
  }

  static disposeAll(): void {
    for (const p of [...MonitorPanel.panels.values()]) p.panel.dispose();
  }

  private static open(target: MonitorTarget, extensionUri: vscode.Uri, logger: Logger): MonitorPanel {
    const existing = MonitorPanel.panels.get(target.key);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel('mlWorkbench.serverMonitor', `Monitor: ${target.label}`, vscode.ViewColumn.Active, { retainContextWhenHidden: false });
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'activitybar.svg');
    const created = new MonitorPanel(panel, target, extensionUri, logger);
    MonitorPanel.panels.set(target.key, created);
    return created;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly target: MonitorTarget,
    extensionUri: vscode.Uri,
    private readonly logger: Logger,
  ) {
    const conn = connectWebview<MonitorToWebview, MonitorFromWebview>(
      panel.webview, extensionUri, { app: 'monitor', title: `Monitor: ${target.label}`, parse: parseMonitorMessage },
      (m) => this.onMessage(m), logger, this.disposables,
    );
    this.post = conn.post;
    panel.onDidDispose(() => this.dispose(), undefined, this.disposables);
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.${DRIFT_THRESHOLD_SETTING}`) && this.drift) this.publishDrift({ ...this.drift, threshold: driftThreshold() });
    }, undefined, this.disposables);
    this.timer = setInterval(() => void this.poll(), POLL_MS);
    void this.poll();
  }

  private currentUrl(): string {
    const u = this.target.url();
    return typeof u === 'string' ? u : '';
  }

  private async onMessage(message: MonitorFromWebview): Promise<void> {
    switch (message.type) {
      case 'ready':
        await this.post({
          type: 'init', title: this.target.label, url: this.currentUrl(), points: this.points, status: this.status,
          canSendTestRequest: this.target.sendTestRequest !== undefined, canOpenLog: this.target.openLog !== undefined,
        });
        if (this.drift) await this.post({ type: 'drift', drift: this.drift });
        break;
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
      const { readSamplesFile } = await import('../../core/serve/sampleReader');
      const { buildProfile, profileToJson } = await import('../../core/serve/driftProfile');
      const profile = buildProfile(await readSamplesFile(data.fsPath), { source: path.basename(data.fsPath) });
      await writeFile(out, profileToJson(profile) + '\n');
    } catch (e) {
      void vscode.window.showErrorMessage(`Could not build a reference profile from ${path.basename(data.fsPath)}: ${(e as Error).message}`);
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
      state = { threshold, minCount: MIN_DRIFT_COUNT, models: d.models, canBuildProfile, ...(d.unavailable ? { unavailable: d.unavailable } : {}) };
      warnOnce(this.target, d.models, threshold, () => this.panel.reveal(), this.logger);
    } catch (e) {
      state = { threshold, minCount: MIN_DRIFT_COUNT, models: this.drift?.models ?? [], canBuildProfile, unavailable: `drift statistics could not be read: ${(e as Error).message}` };
    }
    this.publishDrift(state);
  }

  private dispose(): void {
    clearInterval(this.timer);
    MonitorPanel.panels.delete(this.target.key);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
