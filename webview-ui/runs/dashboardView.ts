import type { RunDeploymentView, RunView, RunsFromWebview } from '../../src/shared/runsProtocol';
import { h } from '../shared/dom';
import { color } from './charts';
import { button, chartControls, formatValue, Raw, table, type ViewState } from './common';
import { MetricCharts, type ChartSpec } from './metricCharts';
import { splitMetrics, type MetricValue } from '../lib/splitMetrics';
import { isSystemMetric } from '../lib/groupSystemMetrics';
import { SystemCharts } from './systemCharts';

const STDOUT_MAX = 64 * 1024;

export interface DashboardData {
  run: RunView;
  live: boolean;
  series: Map<string, Raw>;
  stdout: string;
  deployments: RunDeploymentView[];
}

/** How a value of the final-metrics table was logged. */
function logged(v: MetricValue): string {
  if (v.points === 0) return 'run summary';
  const step = v.step === undefined ? '' : `step ${formatValue(v.step)}`;
  return v.points === 1 ? `once${step ? `, at ${step}` : ''}` : `last of ${v.points} points${step ? ` (${step})` : ''}`;
}

/**
 * The dashboard of one run: tags and notes, the final value of every metric (a metric logged once is
 * only there), a chart per metric with two or more points (raw and smoothed), the System section (CPU,
 * memory and GPUs against time, apart from the script's metrics), params, metadata, deployments, output tail.
 */
export class DashboardView {
  private readonly charts: MetricCharts;
  private readonly system: SystemCharts;
  private stdoutEl: HTMLElement | undefined;
  private readonly valuesEl = h('div', { class: 'runs-values' });
  /** splitMetrics of the current series; dropped when points arrive or the run changes. */
  private splitCache: ReturnType<typeof splitMetrics> | undefined;

  constructor(
    private readonly root: HTMLElement,
    readonly data: DashboardData,
    private readonly view: ViewState,
    private readonly save: () => void,
    private readonly post: (m: RunsFromWebview) => void,
  ) {
    this.charts = new MetricCharts(h('div', { class: 'runs-charts' }), {
      names: () => this.split().curves,
      spec: (m) => this.spec(m),
      log: () => this.view.log,
      empty: () =>
        this.split().values.length
          ? this.data.live
            ? 'A chart appears when a metric has a second point.'
            : 'No metric was logged more than once: nothing to chart.'
          : this.data.live
            ? 'Waiting for the first metric…'
            : 'No metrics were logged. Print name=value or name: value pairs (e.g. print(f"epoch {epoch} loss={loss}")), call mlw_run.log_metric, or set mlWorkbench.runs.scalarPattern for another format.',
    });
    this.system = new SystemCharts(() => this.data.series);
  }

  /** The script's metrics only: system metrics have their own section. */
  private split(): ReturnType<typeof splitMetrics> {
    return (this.splitCache ??= splitMetrics(
      [...this.data.series]
        .filter(([name]) => !isSystemMetric(name))
        .map(([name, raw]) => [name, { steps: raw.stepsView, values: raw.valuesView }]),
      Object.fromEntries(Object.entries(this.data.run.finalMetrics).filter(([name]) => !isSystemMetric(name))),
    ));
  }

  /** The final-metrics table (every metric's last value; those logged once first). */
  private renderValues(): void {
    const values = this.split().values;
    this.valuesEl.replaceChildren(
      ...(values.length
        ? [
            h('h2', {}, 'Final metrics'),
            table(
              'Final metrics',
              ['Metric', 'Value', 'Logged'],
              values.map((v) => ({ cells: [v.name, formatValue(v.value), logged(v)] })),
            ),
          ]
        : []),
    );
  }

  /** The user's tags (not the tools' mlw./mlflow. ones) and notes, under the title. */
  private header(): HTMLElement[] {
    const { run } = this.data;
    const tags = Object.entries(run.tags ?? {}).filter(([k]) => !/^(mlw|mlflow)\./.test(k));
    return [
      ...(tags.length
        ? [
            h(
              'p',
              { class: 'runs-tags', 'aria-label': 'Tags' },
              ...tags.map(([k, v]) => h('span', { class: 'runs-tag' }, v ? `${k}: ${v}` : k)),
            ),
          ]
        : []),
      ...(run.notes ? [h('p', { class: 'runs-notes', 'aria-label': 'Notes' }, run.notes)] : []),
    ];
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
    this.splitCache = undefined;
    const { run, live } = this.data;
    const params = Object.entries(run.params);
    this.stdoutEl = h('pre', { class: 'runs-stdout mono', tabindex: '0', 'aria-label': 'Output' }, this.data.stdout || '(no output)');
    this.root.replaceChildren(
      h('h1', {}, run.name, ' ', h('span', { class: `runs-status runs-status-${run.status}` }, live ? 'running' : run.status)),
      h('p', { class: 'muted' }, `${run.experiment} · ${run.id}`),
      ...this.header(),
      h(
        'div',
        { class: 'toolbar' },
        ...(live ? [button('Stop', () => this.post({ type: 'stop' }), false)] : []),
        ...(run.source === 'mlw'
          ? [button('Rerun', () => this.post({ type: 'rerun' }), live), button('Open Output Log', () => this.post({ type: 'openLog' }))]
          : []),
        button('Registry', () => this.post({ type: 'openRegistry' })),
      ),
      this.valuesEl,
      chartControls(this.view, () => {
        this.save();
        this.charts.draw();
      }),
      this.charts.el,
      this.system.el,
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
    this.renderValues();
    this.charts.draw();
    this.system.draw();
    this.stdoutEl.scrollTop = this.stdoutEl.scrollHeight;
  }

  /** Points appended by a live run; `reset` when the metrics log was rewritten. */
  append(points: Record<string, { steps: number[]; values: number[]; times?: number[] }>, reset: boolean): void {
    if (reset) this.data.series.clear();
    const changed: string[] = [];
    for (const [name, p] of Object.entries(points)) {
      let s = this.data.series.get(name);
      if (!s) this.data.series.set(name, (s = new Raw(new Float64Array(0), new Float64Array(0))));
      s.push(p.steps, p.values, p.times);
      changed.push(name);
    }
    this.splitCache = undefined;
    this.renderValues();
    const training = changed.filter((n) => !isSystemMetric(n));
    if (reset) {
      this.charts.draw();
      this.system.draw();
      return;
    }
    if (training.length) this.charts.update(training);
    if (training.length < changed.length) this.system.update(changed.filter(isSystemMetric));
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
    this.system.resize();
  }

  destroy(): void {
    this.charts.destroy();
    this.system.destroy();
  }
}
