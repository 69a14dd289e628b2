import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import { metricsTotals, monitorPoint, parsePrometheusText, type MetricsTotals } from '../../core/serve/metricsText';
import { parseMonitorMessage, type MonitorFromWebview, type MonitorPoint, type MonitorStatus, type MonitorToWebview } from '../../shared/serveProtocol';
import { connectWebview } from '../../vscode/webviewHost';
import type { LocalServer } from './localServers';

const POLL_MS = 1_000;
const HISTORY = 300;

/** "ML: Open Server Monitor": polls one server's /metrics every second and charts it. One panel per server. */
export class MonitorPanel {
  private static readonly panels = new Map<LocalServer, MonitorPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly post: (m: MonitorToWebview) => Thenable<boolean>;
  private readonly points: MonitorPoint[] = [];
  private previous: { totals: MetricsTotals; at: number; url: string } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private status: MonitorStatus = 'live';
  private polling = false;

  static show(server: LocalServer, extensionUri: vscode.Uri, logger: Logger, onTestRequest: () => unknown): MonitorPanel {
    const existing = MonitorPanel.panels.get(server);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel('mlWorkbench.serverMonitor', `Monitor: ${server.label}`, vscode.ViewColumn.Active, { retainContextWhenHidden: false });
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'activitybar.svg');
    const created = new MonitorPanel(panel, server, extensionUri, logger, onTestRequest);
    MonitorPanel.panels.set(server, created);
    return created;
  }

  static disposeAll(): void {
    for (const p of [...MonitorPanel.panels.values()]) p.panel.dispose();
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly server: LocalServer,
    extensionUri: vscode.Uri,
    private readonly logger: Logger,
    private readonly onTestRequest: () => unknown,
  ) {
    const conn = connectWebview<MonitorToWebview, MonitorFromWebview>(
      panel.webview, extensionUri, { app: 'monitor', title: `Monitor: ${server.label}`, parse: parseMonitorMessage },
      (m) => this.onMessage(m), logger, this.disposables,
    );
    this.post = conn.post;
    panel.onDidDispose(() => this.dispose(), undefined, this.disposables);
    this.timer = setInterval(() => void this.poll(), POLL_MS);
    void this.poll();
  }

  private async onMessage(message: MonitorFromWebview): Promise<void> {
    switch (message.type) {
      case 'ready':
        await this.post({ type: 'init', title: this.server.label, url: this.server.url ?? '', points: this.points, status: this.status });
        break;
      case 'sendTestRequest':
        await this.onTestRequest();
        break;
      case 'openLog':
        this.server.log.show();
        break;
    }
  }

  private setStatus(status: MonitorStatus, message?: string): void {
    if (status === this.status) return;
    this.status = status;
    void this.post({ type: 'status', status, message });
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    const url = this.server.url;
    if (this.server.state !== 'ready' || !url) {
      this.setStatus('stopped', `server is ${this.server.state}`);
      return;
    }
    this.polling = true;
    try {
      const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(POLL_MS * 3) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const totals = metricsTotals(parsePrometheusText(await res.text()));
      const at = Date.now();
      // A restarted server has a new URL and fresh counters: start the differences over.
      const prev = this.previous && this.previous.url === url ? this.previous : undefined;
      const point = monitorPoint(prev?.totals, totals, prev ? (at - prev.at) / 1000 : 0, at);
      point.inflight = Math.max(0, point.inflight - 1); // this scrape is in flight too
      this.previous = { totals, at, url };
      this.setStatus('live');
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

  private dispose(): void {
    clearInterval(this.timer);
    MonitorPanel.panels.delete(this.server);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
