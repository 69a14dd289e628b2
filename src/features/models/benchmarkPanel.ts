import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Logger } from '../../core/logger';
import type { BenchmarkResult } from '../../core/ort/benchmarkModel';
import { compareBenchmarks, COMPARED_FIGURES } from '../../core/ort/compareBenchmarks';
import { parseBenchmarkMessage, type BenchmarkFromWebview, type BenchmarkRun, type BenchmarkToWebview, type BenchmarkView } from '../../shared/benchmarkProtocol';
import { connectWebview, webviewRoots, type WebviewConnection } from '../../vscode/webviewHost';

function toRun(r: BenchmarkResult): BenchmarkRun {
  return {
    path: r.model.path,
    startedAt: r.startedAt,
    runs: r.config.runs,
    batchSize: r.config.batchSize,
    latenciesMs: r.latenciesMs,
    sessionCreateMs: r.sessionCreateMs,
    firstRunMs: r.firstRunMs,
    p50: r.p50,
    p90: r.p90,
    p99: r.p99,
    mean: r.mean,
    min: r.min,
    max: r.max,
    stddev: r.stddev,
    throughput: r.throughput,
    peakRssBytes: r.peakRssBytes,
  };
}

/** The figures of a benchmark and, when there is an earlier one of the same model, the comparison with it. */
export function benchmarkView(current: BenchmarkResult, previous: BenchmarkResult | undefined): BenchmarkView {
  const view: BenchmarkView = { fileName: path.basename(current.model.path), current: toRun(current) };
  if (previous) {
    const c = compareBenchmarks(previous, current);
    view.previous = toRun(previous);
    view.comparison = {
      figures: COMPARED_FIGURES.map((f) => ({ figure: f, a: c.figures[f].a, b: c.figures[f].b, percent: c.figures[f].percent })),
      speedup: c.speedup,
      faster: c.faster,
      configDifferences: c.configDifferences,
    };
  }
  return view;
}

/** One webview panel per model showing its latest benchmark; reused when the model is benchmarked again. */
export class BenchmarkPanel {
  private static readonly panels = new Map<string, BenchmarkPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly conn: WebviewConnection<BenchmarkToWebview>;
  private ready = false;

  static show(extensionUri: vscode.Uri, log: Logger, uri: vscode.Uri, view: BenchmarkView, rerun: () => unknown): void {
    const key = uri.toString();
    const existing = BenchmarkPanel.panels.get(key);
    if (existing) {
      existing.rerun = rerun;
      existing.update(view);
      existing.panel.reveal(undefined, true);
      return;
    }
    const panel = vscode.window.createWebviewPanel('mlWorkbench.benchmark', `Benchmark: ${view.fileName}`, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: webviewRoots(extensionUri),
      retainContextWhenHidden: true,
    });
    BenchmarkPanel.panels.set(key, new BenchmarkPanel(panel, extensionUri, log, key, view, rerun));
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    log: Logger,
    private readonly key: string,
    private view: BenchmarkView,
    private rerun: () => unknown,
  ) {
    this.conn = connectWebview<BenchmarkToWebview, BenchmarkFromWebview>(
      panel.webview,
      extensionUri,
      { app: 'benchmark', title: 'Benchmark', parse: parseBenchmarkMessage },
      (m) => this.onMessage(m),
      log,
      this.disposables,
    );
    panel.onDidDispose(() => this.dispose(), undefined, this.disposables);
  }

  private async onMessage(message: BenchmarkFromWebview): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        await this.conn.post({ type: 'state', view: this.view });
        break;
      case 'rerun':
        await this.rerun();
        break;
    }
  }

  private update(view: BenchmarkView): void {
    this.view = view;
    if (this.ready) void this.conn.post({ type: 'state', view });
  }

  private dispose(): void {
    BenchmarkPanel.panels.delete(this.key);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
