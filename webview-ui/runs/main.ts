import type uPlot from 'uplot';
import type { RunParamValue, RunSeries, RunView, RunsFromWebview, RunsToWebview } from '../../src/shared/runsProtocol';
import { connectHost } from '../shared/vscodeApi';
import { h } from '../shared/dom';
import { align, color, makeChart, normalize, positiveOnly, smooth, type ChartSeries, type Curve } from './charts';

interface ViewState {
  smoothing: number;
  log: boolean;
}

interface Raw {
  steps: Array<number | null>;
  values: Array<number | null>;
}

const STDOUT_MAX = 64 * 1024;
const root = document.getElementById('app') as HTMLElement;
const host = connectHost<RunsToWebview, RunsFromWebview, ViewState>(onMessage);
const view: ViewState = { smoothing: 0.6, log: false, ...host.getState() };

/** Dashboard of one run, or comparison of several. */
let mode: { kind: 'dashboard'; run: RunView; live: boolean; series: Map<string, Raw>; stdout: string } | { kind: 'compare'; runs: Array<{ run: RunView; series: Map<string, Raw> }> } | undefined;
const charts = new Map<string, { plot: uPlot; box: HTMLElement }>();
let chartsEl: HTMLElement | undefined;
let stdoutEl: HTMLElement | undefined;

const toRaw = (series: RunSeries[]): Map<string, Raw> => new Map(series.map((s) => [s.name, { steps: s.steps, values: s.values }]));

function button(label: string, message: RunsFromWebview, secondary = true): HTMLElement {
  const b = h('button', { class: `runs-button${secondary ? ' secondary' : ''}`, type: 'button' }, label);
  b.addEventListener('click', () => host.post(message));
  return b;
}

function formatValue(v: RunParamValue | number | undefined): string {
  if (v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  return v === null ? 'null' : String(v);
}

function controls(): HTMLElement {
  const slider = h('input', { type: 'range', min: '0', max: '0.99', step: '0.01', value: String(view.smoothing), id: 'runs-smoothing', 'aria-label': 'Smoothing' });
  const value = h('span', { class: 'mono runs-smoothing-value' }, view.smoothing.toFixed(2));
  let frame = 0;
  slider.addEventListener('input', () => {
    view.smoothing = Number(slider.value);
    value.textContent = view.smoothing.toFixed(2);
    host.setState(view);
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => drawCharts());
  });
  const log = h('input', { type: 'checkbox', id: 'runs-log' });
  log.checked = view.log;
  log.addEventListener('change', () => {
    view.log = log.checked;
    host.setState(view);
    drawCharts();
  });
  return h('div', { class: 'toolbar runs-controls' },
    h('label', { for: 'runs-smoothing' }, 'Smoothing'), slider, value,
    log, h('label', { for: 'runs-log' }, 'Log scale'),
  );
}

/** Inner width of a chart card (its padding and border taken off). */
function chartWidth(box: HTMLElement): number {
  return Math.max(200, box.clientWidth - 18);
}

/** Curves of one metric: per run in compare mode; raw + smoothed in dashboard mode. */
function chartFor(metric: string): { series: ChartSeries[]; data: uPlot.AlignedData } | undefined {
  if (!mode) return undefined;
  const prep = (vals: Array<number | null>) => (view.log ? positiveOnly(vals) : vals);
  if (mode.kind === 'dashboard') {
    const raw = mode.series.get(metric);
    if (!raw) return undefined;
    const c = normalize(raw.steps, raw.values);
    if (view.smoothing > 0) {
      const curves: Curve[] = [
        { steps: c.steps, values: prep(c.values) },
        { steps: c.steps, values: prep(smooth(c.values, view.smoothing)) },
      ];
      return { series: [{ label: `${metric} (raw)`, color: color(0), faint: true }, { label: metric, color: color(0) }], data: [c.steps, curves[0].values, curves[1].values] as uPlot.AlignedData };
    }
    return { series: [{ label: metric, color: color(0) }], data: [c.steps, prep(c.values)] as uPlot.AlignedData };
  }
  const series: ChartSeries[] = [];
  const curves: Curve[] = [];
  mode.runs.forEach(({ run, series: s }, i) => {
    const raw = s.get(metric);
    if (!raw) return;
    const c = normalize(raw.steps, raw.values);
    curves.push({ steps: c.steps, values: prep(smooth(c.values, view.smoothing)) });
    series.push({ label: run.name, color: color(i) });
  });
  return curves.length ? { series, data: align(curves) } : undefined;
}

function metricNames(): string[] {
  if (!mode) return [];
  const names = new Set<string>();
  if (mode.kind === 'dashboard') for (const k of mode.series.keys()) names.add(k);
  else for (const r of mode.runs) for (const k of r.series.keys()) names.add(k);
  return [...names].sort();
}

/** (Re)creates every chart: after a state change, smoothing, log toggle or new metric. */
function drawCharts(): void {
  if (!chartsEl) return;
  for (const c of charts.values()) c.plot.destroy();
  charts.clear();
  const names = metricNames();
  chartsEl.replaceChildren(...(names.length ? [] : [h('p', { class: 'muted' }, mode?.kind === 'dashboard' && mode.live ? 'Waiting for the first metric…' : 'No metrics were logged.')]));
  for (const name of names) {
    const spec = chartFor(name);
    if (!spec) continue;
    const target = h('div', { class: 'runs-plot' });
    const box = h('section', { class: 'runs-chart', 'data-metric': name }, h('h3', {}, name), target);
    chartsEl.append(box);
    charts.set(name, { plot: makeChart(target, chartWidth(box), spec.series, spec.data, view.log), box });
  }
}

/** New points of a live run: update existing charts in place, add charts for new metrics. */
function updateCharts(changed: string[]): void {
  let added = false;
  for (const name of changed) {
    const chart = charts.get(name);
    const spec = chartFor(name);
    if (!chart || !spec) added = true;
    else chart.plot.setData(spec.data);
  }
  if (added) drawCharts();
}

function table(label: string, head: string[], rows: Array<{ cells: Array<string | HTMLElement>; cls?: string }>): HTMLElement {
  return h('table', { class: 'grid runs-table', 'aria-label': label },
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', r.cls ? { class: r.cls } : {}, ...r.cells.map((c) => h('td', {}, c))))),
  );
}

function renderDashboard(): void {
  if (mode?.kind !== 'dashboard') return;
  const { run, live } = mode;
  const params = Object.entries(run.params);
  chartsEl = h('div', { class: 'runs-charts' });
  stdoutEl = h('pre', { class: 'runs-stdout mono', tabindex: '0', 'aria-label': 'Output' }, mode.stdout || '(no output)');
  root.replaceChildren(
    h('h1', {}, run.name, ' ', h('span', { class: `runs-status runs-status-${run.status}` }, live ? 'running' : run.status)),
    h('p', { class: 'muted' }, `${run.experiment} · ${run.id}`),
    h('div', { class: 'toolbar' },
      ...(live ? [button('Stop', { type: 'stop' }, false)] : []),
      ...(run.source === 'mlw' ? [button('Rerun', { type: 'rerun' }, live), button('Open Output Log', { type: 'openLog' })] : []),
    ),
    controls(),
    chartsEl,
    h('div', { class: 'runs-columns' },
      h('section', {}, h('h2', {}, 'Params'), params.length ? table('Params', ['Param', 'Value'], params.map(([k, v]) => ({ cells: [k, formatValue(v)] }))) : h('p', { class: 'muted' }, 'No params.')),
      h('section', {}, h('h2', {}, 'Run'), table('Run metadata', ['Field', 'Value'], run.meta.map(([k, v]) => ({ cells: [k, v] })))),
    ),
    ...(Object.keys(run.finalMetrics).length
      ? [h('h2', {}, 'Final metrics'), table('Final metrics', ['Metric', 'Last value'], Object.entries(run.finalMetrics).map(([k, v]) => ({ cells: [k, formatValue(v)] })))]
      : []),
    ...(run.source === 'mlw' ? [h('h2', {}, 'Output'), stdoutEl] : []),
  );
  root.setAttribute('aria-busy', 'false');
  drawCharts();
  stdoutEl.scrollTop = stdoutEl.scrollHeight;
}

function renderCompare(): void {
  if (mode?.kind !== 'compare') return;
  const runs = mode.runs.map((r) => r.run);
  chartsEl = h('div', { class: 'runs-charts' });
  stdoutEl = undefined;
  const header = ['', ...runs.map((r) => r.name)];
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const metricKeys = [...new Set(runs.flatMap((r) => Object.keys(r.finalMetrics)))].sort();
  const differs = (k: string) => new Set(runs.map((r) => JSON.stringify(r.params[k] ?? '\u0000missing'))).size > 1;
  const paramRows = paramKeys.map((k) => ({ cells: [k, ...runs.map((r) => formatValue(r.params[k]))], cls: differs(k) ? 'runs-differs' : undefined }));
  const metricRows = metricKeys.map((k) => ({ cells: [k, ...runs.map((r) => formatValue(r.finalMetrics[k]))] }));
  const links = h('div', { class: 'toolbar' }, ...runs.map((r, i) => {
    const b = h('button', { class: 'runs-link', type: 'button', title: `Open the dashboard of ${r.name}` }, h('span', { class: `runs-swatch runs-swatch-${Math.min(i, 6)}` }), `${r.name} (${r.status})`);
    b.addEventListener('click', () => host.post({ type: 'openDashboard', runId: r.id }));
    return b;
  }));
  root.replaceChildren(
    h('h1', {}, `Compare ${runs.length} runs`),
    links,
    controls(),
    chartsEl,
    h('h2', {}, 'Params'),
    paramRows.length ? table('Params', header, paramRows) : h('p', { class: 'muted' }, 'No params.'),
    h('p', { class: 'muted' }, 'Highlighted rows: params that differ between the runs.'),
    h('h2', {}, 'Final metrics'),
    metricRows.length ? table('Final metrics', header, metricRows) : h('p', { class: 'muted' }, 'No metrics.'),
  );
  root.setAttribute('aria-busy', 'false');
  drawCharts();
}

function appendStdout(text: string): void {
  if (mode?.kind !== 'dashboard') return;
  mode.stdout = (mode.stdout + text).slice(-STDOUT_MAX);
  if (!stdoutEl) return;
  const atBottom = stdoutEl.scrollTop + stdoutEl.clientHeight >= stdoutEl.scrollHeight - 8;
  stdoutEl.textContent = mode.stdout;
  if (atBottom) stdoutEl.scrollTop = stdoutEl.scrollHeight;
}

function onMessage(message: RunsToWebview): void {
  switch (message.type) {
    case 'dashboard':
      mode = { kind: 'dashboard', run: message.run, live: message.live, series: toRaw(message.series), stdout: message.stdout };
      renderDashboard();
      break;
    case 'compare':
      mode = { kind: 'compare', runs: message.runs.map((r) => ({ run: r.run, series: toRaw(r.series) })) };
      renderCompare();
      break;
    case 'append': {
      if (mode?.kind !== 'dashboard' || mode.run.id !== message.runId) return;
      if (message.reset) mode.series.clear();
      const changed: string[] = [];
      for (const [name, p] of Object.entries(message.points)) {
        const s = mode.series.get(name);
        if (s) {
          s.steps.push(...p.steps);
          s.values.push(...p.values);
        } else mode.series.set(name, { steps: p.steps, values: p.values });
        changed.push(name);
      }
      if (message.reset) drawCharts();
      else updateCharts(changed);
      if (message.stdout) appendStdout(message.stdout);
      break;
    }
    case 'status':
      if (mode?.kind !== 'dashboard' || mode.run.id !== message.run.id) return;
      mode.run = message.run;
      mode.live = message.live;
      renderDashboard();
      break;
    case 'error':
      root.replaceChildren(h('h1', {}, 'Run dashboard'), h('p', { class: 'runs-error' }, message.message));
      root.setAttribute('aria-busy', 'false');
      break;
  }
}

let resizeFrame = 0;
new ResizeObserver(() => {
  cancelAnimationFrame(resizeFrame);
  resizeFrame = requestAnimationFrame(() => {
    for (const c of charts.values()) {
      const width = chartWidth(c.box);
      if (Math.abs(c.plot.width - width) > 2) c.plot.setSize({ width, height: c.plot.height });
    }
  });
}).observe(root);

host.post({ type: 'ready' });
