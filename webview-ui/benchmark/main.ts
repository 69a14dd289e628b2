import '@vscode-elements/elements/dist/vscode-button/index.js';
import type {
  BenchmarkFigures,
  BenchmarkFromWebview,
  BenchmarkRun,
  BenchmarkToWebview,
  BenchmarkView,
} from '../../src/shared/benchmarkProtocol';
import { connectHost } from '../shared/vscodeApi';
import { el, h } from '../shared/dom';
import { sizeCanvas } from '../shared/sizeCanvas';

const root = document.getElementById('app') as HTMLElement;
const host = connectHost<BenchmarkToWebview, BenchmarkFromWebview>(onMessage);
let current: BenchmarkView | undefined;

const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(3));

function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

const FIGURES: { key: keyof BenchmarkFigures; label: string; format: (v: number) => string; higherIsBetter?: boolean }[] = [
  { key: 'sessionCreateMs', label: 'Session create', format: (v) => `${ms(v)} ms` },
  { key: 'firstRunMs', label: 'First run', format: (v) => `${ms(v)} ms` },
  { key: 'p50', label: 'p50', format: (v) => `${ms(v)} ms` },
  { key: 'p90', label: 'p90', format: (v) => `${ms(v)} ms` },
  { key: 'p99', label: 'p99', format: (v) => `${ms(v)} ms` },
  { key: 'mean', label: 'Mean', format: (v) => `${ms(v)} ms` },
  { key: 'throughput', label: 'Throughput', format: (v) => `${v.toFixed(v >= 100 ? 0 : 2)} /s`, higherIsBetter: true },
  { key: 'peakRssBytes', label: 'Peak RSS', format: bytes },
];

function colors(): { fg: string; muted: string; grid: string; a: string; b: string } {
  const css = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const fg = v('--vscode-foreground', '#cccccc');
  return {
    fg,
    muted: v('--vscode-descriptionForeground', fg),
    grid: v('--vscode-panel-border', 'rgba(128,128,128,0.35)'),
    a: v('--vscode-charts-blue', '#3794ff'),
    b: v('--vscode-charts-orange', '#d18616'),
  };
}

/** A canvas sized for the device pixel ratio; returns the 2D context in CSS pixels. */
function makeCanvas(label: string, width: number, height: number): { canvas: HTMLCanvasElement; ctx: CanvasRenderingContext2D } {
  const canvas = h('canvas', { role: 'img', 'aria-label': label });
  return { canvas, ctx: sizeCanvas(canvas, width, height) };
}

const PAD = { left: 56, right: 12, top: 12, bottom: 28 };

function axes(ctx: CanvasRenderingContext2D, w: number, h2: number, xLabel: string, yLabel: string, xMax: string, yMax: string): void {
  const c = colors();
  ctx.strokeStyle = c.grid;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(PAD.left, PAD.top);
  ctx.lineTo(PAD.left, h2 - PAD.bottom);
  ctx.lineTo(w - PAD.right, h2 - PAD.bottom);
  ctx.stroke();
  ctx.fillStyle = c.muted;
  ctx.font = '11px var(--vscode-font-family, sans-serif)';
  ctx.textAlign = 'right';
  ctx.fillText(yMax, PAD.left - 4, PAD.top + 8);
  ctx.fillText('0', PAD.left - 4, h2 - PAD.bottom);
  ctx.textAlign = 'center';
  ctx.fillText(xLabel, (PAD.left + w - PAD.right) / 2, h2 - 6);
  ctx.textAlign = 'right';
  ctx.fillText(xMax, w - PAD.right, h2 - 6);
  ctx.save();
  ctx.translate(12, (PAD.top + h2 - PAD.bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText(yLabel, 0, 0);
  ctx.restore();
}

function histogram(runs: BenchmarkRun[]): HTMLElement {
  const width = 560;
  const height = 220;
  const { canvas, ctx } = makeCanvas('Latency histogram', width, height);
  const all = runs.flatMap((r) => r.latenciesMs);
  if (all.length === 0) return canvas;
  // Bins stop at p50 + 4 × (p95 − p50) so a few slow outliers do not squash the rest; outliers fall in the last bin.
  const sorted = [...all].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
  const lo = at(0);
  const tail = at(0.5) + 4 * (at(0.95) - at(0.5));
  const hi = tail > lo ? Math.min(at(1), tail) : at(1);
  const clipped = sorted[0] < lo || sorted[sorted.length - 1] > hi;
  const bins = 30;
  const span = hi - lo || 1;
  const counts = runs.map((r) => {
    const c = new Array<number>(bins).fill(0);
    for (const v of r.latenciesMs) c[Math.max(0, Math.min(bins - 1, Math.floor(((v - lo) / span) * bins)))]++;
    return c;
  });
  const maxCount = Math.max(1, ...counts.flat());
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const c = colors();
  const palette = runs.length > 1 ? [c.a, c.b] : [c.a];
  const binW = plotW / bins;
  counts.forEach((cs, series) => {
    ctx.fillStyle = palette[series];
    ctx.globalAlpha = runs.length > 1 ? 0.6 : 0.9;
    const barW = binW / runs.length;
    cs.forEach((n, i) => {
      const bh = (n / maxCount) * plotH;
      ctx.fillRect(PAD.left + i * binW + series * barW, PAD.top + plotH - bh, Math.max(1, barW - 1), bh);
    });
  });
  ctx.globalAlpha = 1;
  axes(
    ctx,
    width,
    height,
    `latency ms (${ms(lo)} – ${ms(hi)}${clipped ? ', slower runs in the last bin' : ''})`,
    'runs',
    '',
    String(maxCount),
  );
  return canvas;
}

function overTime(runs: BenchmarkRun[]): HTMLElement {
  const width = 560;
  const height = 220;
  const { canvas, ctx } = makeCanvas('Latency of each run over time', width, height);
  const all = runs.flatMap((r) => r.latenciesMs);
  if (all.length === 0) return canvas;
  const hi = Math.max(...all) || 1;
  const n = Math.max(...runs.map((r) => r.latenciesMs.length));
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const c = colors();
  const palette = runs.length > 1 ? [c.a, c.b] : [c.a];
  runs.forEach((r, series) => {
    ctx.strokeStyle = palette[series];
    ctx.lineWidth = 1.25;
    ctx.beginPath();
    r.latenciesMs.forEach((v, i) => {
      const x = PAD.left + (n <= 1 ? 0 : (i / (n - 1)) * plotW);
      const y = PAD.top + plotH - (v / hi) * plotH;
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  });
  axes(ctx, width, height, 'run', 'ms', String(n), ms(hi));
  return canvas;
}

/** What the earlier result is called: "previous" for the same model, else the other model's file name. */
function previousLabel(view: BenchmarkView): string {
  const prev = view.previous;
  if (!prev || prev.path === view.current.path) return 'previous';
  return prev.path.split(/[\\/]/).pop() ?? prev.path;
}

function legend(view: BenchmarkView): HTMLElement | null {
  if (!view.previous) return null;
  const c = colors();
  const swatch = (color: string) => {
    const s = h('span', { class: 'bench-swatch' });
    s.style.cssText = `display:inline-block;width:10px;height:10px;margin:0 4px 0 12px;background:${color}`;
    return s;
  };
  return h(
    'p',
    { class: 'muted' },
    swatch(c.a),
    `${previousLabel(view)} (${new Date(view.previous.startedAt).toLocaleString()})`,
    swatch(c.b),
    `this run (${new Date(view.current.startedAt).toLocaleString()})`,
  );
}

function figuresTable(view: BenchmarkView): HTMLElement {
  const prev = view.previous;
  const head = h(
    'tr',
    {},
    h('th', {}, 'Figure'),
    ...(prev ? [h('th', { class: 'num' }, previousLabel(view) === 'previous' ? 'Previous' : previousLabel(view))] : []),
    h('th', { class: 'num' }, prev ? 'This run' : 'Value'),
    ...(prev ? [h('th', { class: 'num' }, 'Change')] : []),
  );
  const rows = FIGURES.map((f) => {
    const cmp = view.comparison?.figures.find((x) => x.figure === f.key);
    let change = '';
    if (cmp && Number.isFinite(cmp.percent)) {
      const better = f.higherIsBetter ? cmp.percent > 0 : cmp.percent < 0;
      change = `${cmp.percent >= 0 ? '+' : ''}${cmp.percent.toFixed(1)} %${Math.abs(cmp.percent) >= 1 ? (better ? ' ▲ better' : ' ▼ worse') : ''}`;
    }
    return h(
      'tr',
      { 'data-figure': f.key },
      h('td', {}, f.label),
      ...(prev ? [h('td', { class: 'num mono' }, f.format(prev[f.key]))] : []),
      h('td', { class: 'num mono' }, f.format(view.current[f.key])),
      ...(prev ? [h('td', { class: 'num' }, change)] : []),
    );
  });
  return h('table', { class: 'grid', 'aria-label': 'Benchmark figures' }, h('thead', {}, head), h('tbody', {}, ...rows));
}

function render(view: BenchmarkView): void {
  current = view;
  const r = view.current;
  const runs = view.previous ? [view.previous, r] : [r];
  const rerun = el('vscode-button', {}, 'Run Again');
  rerun.addEventListener('click', () => host.post({ type: 'rerun' }));
  const cmp = view.comparison;
  const verdict = cmp
    ? cmp.faster === 'same'
      ? `Same p50 latency as ${previousLabel(view) === 'previous' ? 'the previous benchmark' : previousLabel(view)} (within 1 %).`
      : `${cmp.faster === 'b' ? 'Faster' : 'Slower'} than ${previousLabel(view) === 'previous' ? 'the previous benchmark' : previousLabel(view)}: ${cmp.speedup.toFixed(2)}× p50 speed-up.`
    : null;
  root.replaceChildren(
    h('h1', {}, `Benchmark: ${view.fileName}`),
    h(
      'p',
      { class: 'muted' },
      `${r.runs} runs · batch ${r.batchSize}${r.graphOptimizationLevel ? ` · optimisation ${r.graphOptimizationLevel}` : ''} · ${new Date(r.startedAt).toLocaleString()}`,
      h('br'),
      h('span', { class: 'mono' }, r.path),
    ),
    ...(r.inputs?.length
      ? [
          h(
            'p',
            { class: 'muted', 'aria-label': 'Inputs used' },
            ...r.inputs.flatMap((i, k) => [
              ...(k ? [h('br')] : []),
              h('span', { class: 'mono' }, `${i.name}: ${i.type}[${i.shape.join(',')}]`),
            ]),
            ...(r.choices ?? []).flatMap((c) => [h('br'), `${c}`]),
          ),
        ]
      : []),
    ...(verdict ? [h('p', {}, verdict)] : []),
    ...(cmp && cmp.configDifferences.length ? [h('p', { class: 'muted' }, `Not like for like: ${cmp.configDifferences.join('; ')}`)] : []),
    h('div', { class: 'toolbar' }, rerun),
    figuresTable(view),
    ...(view.previous ? [legend(view) as HTMLElement] : []),
    h('h2', {}, 'Latency histogram'),
    histogram(runs),
    h('h2', {}, 'Runs over time'),
    overTime(runs),
  );
  root.setAttribute('aria-busy', 'false');
}

function onMessage(message: BenchmarkToWebview): void {
  switch (message.type) {
    case 'state':
      render(message.view);
      break;
  }
}

// Theme changes update the body's CSS variables: redraw the canvases with the new colours.
new MutationObserver(() => {
  if (current) render(current);
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

host.post({ type: 'ready' });
