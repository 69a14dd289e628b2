import type { DriftState, MonitorFromWebview, MonitorPoint, MonitorStatus, MonitorToWebview } from '../../src/shared/serveProtocol';
import { connectHost } from '../shared/vscodeApi';
import { cssVar, h } from '../shared/dom';
import { fitCanvas } from '../shared/sizeCanvas';
import { renderDrift } from './drift';

/** Server monitor: four small line charts fed one point per second by the extension, and the drift section. */
const root = document.getElementById('app') as HTMLElement;
const host = connectHost<MonitorToWebview, MonitorFromWebview>(onMessage);
const WINDOW_MS = 120_000;

interface Series {
  label: string;
  color: string;
  value: (p: MonitorPoint) => number | null;
}

interface Chart {
  title: string;
  unit: (v: number) => string;
  series: Series[];
  canvas: HTMLCanvasElement;
  latest: HTMLElement;
  minMax?: number;
}

let points: MonitorPoint[] = [];
let charts: Chart[] = [];
let statusEl: HTMLElement | undefined;
let urlEl: HTMLElement | undefined;
let driftEl: HTMLElement | undefined;
let drift: DriftState | undefined;

const fmt = (digits: number, suffix: string) => (v: number) => `${v.toFixed(digits)}${suffix}`;

function makeChart(title: string, unit: (v: number) => string, series: Series[], minMax?: number): Chart {
  const canvas = h('canvas', { role: 'img', 'aria-label': title });
  canvas.style.width = '100%';
  canvas.style.height = '160px';
  canvas.style.display = 'block';
  return { title, unit, series, canvas, latest: h('span', { class: 'mono muted' }), minMax };
}

function showDrift(): void {
  if (!driftEl || !drift) return;
  renderDrift(driftEl, drift, {
    buildProfile: (model) => host.post({ type: 'buildProfile', model }),
    openSettings: () => host.post({ type: 'openSettings' }),
  });
}

function build(title: string, url: string, canSendTestRequest: boolean, canOpenLog: boolean): void {
  const blue = cssVar('--vscode-charts-blue', '#3794ff');
  const green = cssVar('--vscode-charts-green', '#89d185');
  const orange = cssVar('--vscode-charts-orange', '#d18616');
  const red = cssVar('--vscode-charts-red', '#f14c4c');
  charts = [
    makeChart('Requests / s', fmt(1, ''), [{ label: 'req/s', color: blue, value: (p) => p.requestsPerSecond }], 1),
    makeChart(
      'Latency (ms)',
      fmt(2, ' ms'),
      [
        { label: 'p50', color: green, value: (p) => p.p50 },
        { label: 'p95', color: orange, value: (p) => p.p95 },
        { label: 'p99', color: red, value: (p) => p.p99 },
      ],
      1,
    ),
    makeChart('Error rate', (v) => `${(v * 100).toFixed(1)} %`, [{ label: 'errors', color: red, value: (p) => p.errorRate }], 0.05),
    makeChart('Batch size (requests per run)', fmt(2, ''), [{ label: 'batch', color: blue, value: (p) => p.batchSize }], 2),
  ];
  statusEl = h('span', { class: 'status status-ok', role: 'status' }, 'live');
  const test = h('button', { class: 'insp-button' }, 'Send Test Request');
  test.addEventListener('click', () => host.post({ type: 'sendTestRequest' }));
  const log = h('button', { class: 'insp-button secondary' }, 'Open Server Log');
  log.addEventListener('click', () => host.post({ type: 'openLog' }));
  const grid = h('div', {});
  grid.style.display = 'grid';
  grid.style.gridTemplateColumns = 'repeat(auto-fit, minmax(360px, 1fr))';
  grid.style.gap = '16px';
  urlEl = h('span', { class: 'mono' }, url);
  driftEl = h('div', { 'aria-live': 'polite' }, h('h2', {}, 'Input drift'), h('p', { class: 'muted' }, 'Reading drift statistics…'));
  for (const c of charts) {
    const legend = h(
      'div',
      { class: 'muted' },
      ...c.series.flatMap((s) => {
        const swatch = h('span', {}, '■ ');
        swatch.style.color = s.color;
        return [swatch, `${s.label}  `];
      }),
    );
    grid.append(h('section', {}, h('h2', {}, c.title, ' ', c.latest), c.canvas, legend));
  }
  root.replaceChildren(
    h('h1', {}, `Monitor: ${title}`),
    h('p', { class: 'muted' }, urlEl, ' · /metrics polled every second · ', statusEl),
    h('div', { class: 'toolbar' }, ...(canSendTestRequest ? [test] : []), ...(canOpenLog ? [log] : [])),
    grid,
    driftEl,
  );
  showDrift();
  root.setAttribute('aria-busy', 'false');
  draw();
}

function setStatus(status: MonitorStatus, message?: string, url?: string): void {
  if (url && urlEl) urlEl.textContent = url;
  if (!statusEl) return;
  statusEl.textContent = message ? `${status} (${message})` : status;
  statusEl.className = `status ${status === 'live' ? 'status-ok' : status === 'stopped' ? 'status-missing' : 'status-warning'}`;
}

function drawChart(c: Chart, now: number): void {
  const fitted = fitCanvas(c.canvas);
  if (!fitted) return;
  const { ctx, width: w, height: hgt } = fitted;
  ctx.clearRect(0, 0, w, hgt);
  const fg = cssVar('--vscode-descriptionForeground', '#888');
  const grid = cssVar('--vscode-panel-border', 'rgba(128,128,128,.35)');
  const font = cssVar('--vscode-font-family', 'sans-serif');
  const left = 56;
  const bottom = 18;
  const top = 6;
  const plotW = w - left - 8;
  const plotH = hgt - top - bottom;
  const visible = points.filter((p) => p.t >= now - WINDOW_MS);
  let max = c.minMax ?? 1;
  for (const p of visible) for (const s of c.series) max = Math.max(max, s.value(p) ?? 0);
  max *= 1.1;
  const x = (t: number) => left + ((t - (now - WINDOW_MS)) / WINDOW_MS) * plotW;
  const y = (v: number) => top + plotH - (v / max) * plotH;
  ctx.font = `11px ${font}`;
  ctx.fillStyle = fg;
  ctx.strokeStyle = grid;
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const yy = Math.round(y(v)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(left, yy);
    ctx.lineTo(left + plotW, yy);
    ctx.stroke();
    ctx.fillText(c.unit(v), left - 4, yy);
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (let s = 0; s <= WINDOW_MS / 1000; s += 30) ctx.fillText(s === 0 ? 'now' : `-${s}s`, x(now - s * 1000), top + plotH + 4);
  for (const s of c.series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    let pen = false;
    for (const p of visible) {
      const v = s.value(p);
      if (v === null || !Number.isFinite(v)) {
        pen = false;
        continue;
      }
      if (pen) ctx.lineTo(x(p.t), y(v));
      else ctx.moveTo(x(p.t), y(v));
      pen = true;
    }
    ctx.stroke();
    // A value with no neighbour draws no line: mark it with a dot so that a lone second of traffic shows.
    ctx.fillStyle = s.color;
    visible.forEach((p, i) => {
      const v = s.value(p);
      if (v === null || !Number.isFinite(v)) return;
      const prev = i > 0 ? s.value(visible[i - 1]) : null;
      const next = i + 1 < visible.length ? s.value(visible[i + 1]) : null;
      if (prev !== null || next !== null) return;
      ctx.beginPath();
      ctx.arc(x(p.t), y(v), 2, 0, 2 * Math.PI);
      ctx.fill();
    });
  }
  const last = points[points.length - 1];
  c.latest.textContent = last
    ? c.series
        .map((s) => {
          const v = s.value(last);
          return `${s.label} ${v === null ? '–' : c.unit(v)}`;
        })
        .join(' · ')
    : '';
}

function draw(): void {
  const now = points.length ? points[points.length - 1].t : Date.now();
  for (const c of charts) drawChart(c, now);
}

function onMessage(message: MonitorToWebview): void {
  switch (message.type) {
    case 'init':
      points = message.points.slice();
      build(message.title, message.url, message.canSendTestRequest, message.canOpenLog);
      setStatus(message.status);
      break;
    case 'point':
      points.push(message.point);
      if (points.length > 600) points.splice(0, points.length - 600);
      draw();
      break;
    case 'status':
      setStatus(message.status, message.message, message.url);
      break;
    case 'drift':
      drift = message.drift;
      showDrift();
      break;
  }
}

window.addEventListener('resize', () => draw());
host.post({ type: 'ready' });
