import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Logger } from '../../core/logger';
import type { BenchmarkResult } from '../../core/ort/benchmarkModel';
import { compareBenchmarks, COMPARED_FIGURES } from '../../core/ort/compareBenchmarks';
import { describeChoices } from '../../core/ort/inputDims';
import {
  parseBenchmarkMessage,
  type BenchmarkFromWebview,
  type BenchmarkRun,
  type BenchmarkToWebview,
  type BenchmarkView,
} from '../../shared/benchmarkProtocol';
import { createPanel, PanelRegistry, WebviewPanelHost } from '../../vscode/webviewPanelHost';

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
    inputs: r.config.inputs,
    choices: describeChoices(r.config.dimensions ?? [], r.config.scalars ?? []),
    graphOptimizationLevel: r.config.graphOptimizationLevel,
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
export class BenchmarkPanel extends WebviewPanelHost<BenchmarkToWebview, BenchmarkFromWebview> {
  private static readonly panels = new PanelRegistry<BenchmarkPanel>();

  static show(extensionUri: vscode.Uri, log: Logger, uri: vscode.Uri, view: BenchmarkView, rerun: () => unknown): void {
    BenchmarkPanel.panels.show(
      uri.toString(),
      () => {
        const panel = createPanel('mlWorkbench.benchmark', `Benchmark: ${view.fileName}`, extensionUri, {
          column: vscode.ViewColumn.Beside,
          preserveFocus: true,
          retainContextWhenHidden: true,
        });
        return new BenchmarkPanel(panel, extensionUri, log, view, rerun);
      },
      (existing) => {
        existing.rerun = rerun;
        existing.view = view;
        void existing.post({ type: 'state', view });
      },
      true,
    );
  }

  private constructor(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    log: Logger,
    private view: BenchmarkView,
    private rerun: () => unknown,
  ) {
    super(panel, extensionUri, { app: 'benchmark', title: 'Benchmark', parse: parseBenchmarkMessage }, log);
  }

  protected async onReady(): Promise<void> {
    await this.post({ type: 'state', view: this.view });
  }

  protected async onMessage(message: Exclude<BenchmarkFromWebview, { type: 'ready' }>): Promise<void> {
    if (message.type === 'rerun') await this.rerun();
  }
}
