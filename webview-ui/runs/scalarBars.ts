/**
 * A metric logged once per run (a test score, a final accuracy) has no curve to draw: on a line chart it is a
 * lone dot at step 0. Such a metric is drawn as horizontal bars instead, one per run, on one scale that
 * includes zero, each with its value written out.
 */
import type { Curve } from '../lib/downsampleCurves';
import { h } from '../shared/dom';
import type { ChartSeries } from './charts';
import { formatValue } from './common';

/** True when some curve has a point and none has more than one. */
export function isScalarMetric(curves: readonly Curve[]): boolean {
  return curves.some((c) => c.ys.length === 1) && curves.every((c) => c.ys.length <= 1);
}

/** The bars; curves without a point (runs that did not log the metric) get no row. `hidden` holds filtered-out curve indexes. */
export function scalarBars(series: readonly ChartSeries[], curves: readonly Curve[], hidden: ReadonlySet<number>): HTMLElement {
  const values = curves.map((c) => (c.ys.length ? c.ys[0] : undefined));
  const finite = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  const lo = Math.min(0, ...finite);
  const span = Math.max(0, ...finite) - lo || 1;
  const rows: HTMLElement[] = [];
  values.forEach((v, i) => {
    if (v === undefined) return;
    const bar = h('span', { class: 'runs-bar' });
    if (Number.isFinite(v)) {
      bar.style.left = `${((Math.min(v, 0) - lo) / span) * 100}%`;
      bar.style.width = `${(Math.abs(v) / span) * 100}%`;
      bar.style.background = series[i].color;
    }
    const text = formatValue(v);
    const row = h(
      'div',
      { class: 'runs-bar-row', role: 'listitem', 'data-index': String(i), 'aria-label': `${series[i].label}: ${text}` },
      h('span', { class: 'runs-bar-label', title: series[i].label }, series[i].label),
      h('span', { class: 'runs-bar-track', 'aria-hidden': 'true' }, bar),
      h('span', { class: 'runs-bar-value mono' }, text),
    );
    row.hidden = hidden.has(i);
    rows.push(row);
  });
  return h('div', { class: 'runs-bars', role: 'list' }, ...rows);
}
