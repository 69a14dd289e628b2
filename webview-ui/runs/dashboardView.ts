import type { RunDeploymentView, RunView, RunsFromWebview } from '../../src/shared/runsProtocol';
import { h } from '../shared/dom';
import { color } from './charts';
import { button, chartControls, formatValue, Raw, table, type ViewState } from './common';
import { MetricCharts, type ChartSpec } from './metricCharts';

const STDOUT_MAX = 64 * 1024;

export interface DashboardData {
  run: RunView;
  live: boolean;
  series: Map<string, Raw>;
  stdout: string;
  deployments: RunDeploymentView[];
}

/** The dashboard of one run: a chart per metric (raw and smoothed), params, metadata, deployments, output tail. */
export class DashboardView {
  private readonly charts: MetricCharts;
  private stdoutEl: HTMLElement | undefined;

  constructor(
    private readonly root: HTMLElement,
    readonly data: DashboardData,
    private readonly view: ViewState,
    private readonly save: () => void,
    private readonly post: (m: RunsFromWebview) => void,
  ) {
    this.charts = new MetricCharts(h('div', { class: 'runs-charts' }), {
      names: () => [...this.data.series.keys()].sort(),
      spec: (m) => this.spec(m),
      log: () => this.view.log,
      empty: () =>
        this.data.live
          ? 'Waiting for the first metric…'
          : 'No metrics were logged. Print name=value or name: value pairs (e.g. print(f"epoch {epoch} loss={loss}")), call mlw_run.log_metric, or set mlWorkbench.runs.scalarPattern for another format.',
    });
  }

  private spec(metric: string): ChartSpec | undefined {
    const raw = this.data.series.get(metric);
    if (!raw) return undefined;
    const c = raw.normalized;
    const positive = this.view.log;
    if (this.view.smoothing > 0) {
      return {
        series: [
          { label: `${metric} (raw)`, color: color(0), faint: true },
          { label: metric, color: color(0) },
        ],
        curves: [c, c],
        styles: [{ positive }, { smoothing: this.view.smoothing, positive }],
      };
    }
    return { series: [{ label: metric, color: color(0) }], curves: [c], styles: [{ positive }] };
  }

  render(): void {
    const { run, live } = this.data;
    const params = Object.entries(run.params);
    this.stdoutEl = h('pre', { class: 'runs-stdout mono', tabindex: '0', 'aria-label': 'Output' }, this.data.stdout || '(no output)');
    this.root.replaceChildren(
      h('h1', {}, run.name, ' ', h('span', { class: `runs-status runs-status-${run.status}` }, live ? 'running' : run.status)),
      h('p', { class: 'muted' }, `${run.experiment} · ${run.id}`),
      h(
        'div',
        { class: 'toolbar' },
        ...(live ? [button('Stop', () => this.post({ type: 'stop' }), false)] : []),
        ...(run.source === 'mlw'
          ? [button('Rerun', () => this.post({ type: 'rerun' }), live), button('Open Output Log', () => this.post({ type: 'openLog' }))]
          : []),
      ),
      chartControls(this.view, () => {
        this.save();
        this.charts.draw();
      }),
      this.charts.el,
      h(
        'div',
        { class: 'runs-columns' },
        h(
          'section',
          {},
          h('h2', {}, 'Params'),
          params.length
            ? table(
                'Params',
                ['Param', 'Value'],
                params.map(([k, v]) => ({ cells: [k, formatValue(v)] })),
              )
            : h('p', { class: 'muted' }, 'No params.'),
        ),
        h(
          'section',
          {},
          h('h2', {}, 'Run'),
          table(
            'Run metadata',
            ['Field', 'Value'],
            run.meta.map(([k, v]) => ({ cells: [k, v] })),
          ),
        ),
      ),
      ...(Object.keys(run.finalMetrics).length
        ? [
            h('h2', {}, 'Final metrics'),
            table(
              'Final metrics',
              ['Metric', 'Last value'],
              Object.entries(run.finalMetrics).map(([k, v]) => ({ cells: [k, formatValue(v)] })),
            ),
          ]
        : []),
      ...(this.data.deployments.length
        ? [
            h('h2', {}, 'Deployments'),
            table(
              'Deployments',
              ['When', 'Kind', 'Target', 'Details'],
              this.data.deployments.map((d) => ({ cells: [d.at, d.kind, d.target, d.detail] })),
              'runs-deployments',
            ),
          ]
        : []),
      ...(run.source === 'mlw' ? [h('h2', {}, 'Output'), this.stdoutEl] : []),
    );
    this.root.setAttribute('aria-busy', 'false');
    this.charts.draw();
    this.stdoutEl.scrollTop = this.stdoutEl.scrollHeight;
  }

  /** Points appended by a live run; `reset` when the metrics log was rewritten. */
  append(points: Record<string, { steps: number[]; values: number[] }>, reset: boolean): void {
    if (reset) this.data.series.clear();
    const changed: string[] = [];
    for (const [name, p] of Object.entries(points)) {
      let s = this.data.series.get(name);
      if (!s) this.data.series.set(name, (s = new Raw(new Float64Array(0), new Float64Array(0))));
      s.push(p.steps, p.values);
      changed.push(name);
    }
    if (reset) this.charts.draw();
    else this.charts.update(changed);
  }

  appendStdout(text: string): void {
    this.data.stdout = (this.data.stdout + text).slice(-STDOUT_MAX);
    const el = this.stdoutEl;
    if (!el) return;
    const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
    el.textContent = this.data.stdout;
    if (atBottom) el.scrollTop = el.scrollHeight;
  }

  resize(): void {
    this.charts.resize();
  }

  destroy(): void {
    this.charts.destroy();
  }
}
