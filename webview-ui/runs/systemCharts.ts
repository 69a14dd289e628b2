import { h } from '../shared/dom';
import { groupSystemMetrics, type SystemGroup } from '../lib/groupSystemMetrics';
import { color } from './charts';
import type { Raw } from './common';
import { MetricCharts, type ChartSpec } from './metricCharts';

/** Charts need two points; a series without times (an old run) has nothing to draw against time. */
const drawable = (raw: Raw): boolean => raw.hasTimes && (raw.normalizedByTime?.xs.length ?? 0) >= 2;

/**
 * The dashboard's System section: the run's `system/*` metrics (its processes, the machine, each GPU), a grid of
 * charts per group, x = seconds since the run started. Empty (no heading) when the run has none to draw.
 */
export class SystemCharts {
  readonly el = h('section', { class: 'runs-system', 'aria-label': 'System metrics' });
  private groups: SystemGroup[] = [];
  private readonly charts = new Map<string, MetricCharts>();

  constructor(private readonly series: () => Map<string, Raw>) {}

  private current(): SystemGroup[] {
    const series = this.series();
    return groupSystemMetrics([...series.keys()].filter((n) => drawable(series.get(n) as Raw)))
      .system.map((g) => ({ title: g.title, metrics: g.metrics }))
      .filter((g) => g.metrics.length);
  }

  private spec(metric: string): ChartSpec | undefined {
    const curve = this.series().get(metric)?.normalizedByTime;
    if (!curve) return undefined;
    return { series: [{ label: metric, color: color(0) }], curves: [curve], styles: [{}] };
  }

  draw(): void {
    this.destroy();
    this.groups = this.current();
    if (!this.groups.length) {
      this.el.replaceChildren();
      return;
    }
    const boxes: HTMLElement[] = [];
    for (const g of this.groups) {
      const charts = new MetricCharts(h('div', { class: 'runs-charts' }), {
        names: () => g.metrics,
        spec: (m) => this.spec(m),
        log: () => false,
        empty: () => '',
        xLabel: 's',
      });
      this.charts.set(g.title, charts);
      boxes.push(h('h3', { class: 'runs-system-group' }, g.title), charts.el);
    }
    this.el.replaceChildren(
      h('h2', {}, 'System'),
      h('p', { class: 'muted' }, 'Sampled while the run ran (mlWorkbench.runs.systemMetricsInterval); x: seconds since the start.'),
      ...boxes,
    );
    for (const charts of this.charts.values()) charts.draw();
  }

  /** New points of `changed` metrics: charts updated in place, or the section redrawn when a chart or group appears. */
  update(changed: string[]): void {
    const now = this.current();
    if (JSON.stringify(now) !== JSON.stringify(this.groups)) return this.draw();
    for (const g of now) {
      const mine = changed.filter((m) => g.metrics.includes(m));
      if (mine.length) this.charts.get(g.title)?.update(mine);
    }
  }

  resize(): void {
    for (const c of this.charts.values()) c.resize();
  }

  destroy(): void {
    for (const c of this.charts.values()) c.destroy();
    this.charts.clear();
  }
}
