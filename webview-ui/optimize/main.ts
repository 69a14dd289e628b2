import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { ModelFigures, OptimizationReport, VariantFigures } from '../../src/core/optimize/optimizationReport';
import type { OptimizeFromWebview, OptimizeToWebview } from '../../src/shared/optimizeProtocol';
import { connectHost } from '../shared/vscodeApi';
import { el, h } from '../shared/dom';

const root = document.getElementById('app') as HTMLElement;
const host = connectHost<OptimizeToWebview, OptimizeFromWebview>(onMessage);

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

const base = (p: string): string => p.split(/[\\/]/).pop() ?? p;
const exp = (v: number | null): string => (v === null || !Number.isFinite(v) ? '—' : v === 0 ? '0' : v.toExponential(2));

const COLUMNS: { label: string; value: (m: ModelFigures) => string }[] = [
  { label: 'File', value: (m) => bytes(m.fileSize) },
  { label: 'Weights', value: (m) => bytes(m.weightBytes) },
  {
    label: 'By dtype',
    value: (m) =>
      Object.entries(m.weightBytesByDtype)
        .map(([d, b]) => `${d} ${bytes(b)}`)
        .join(', '),
  },
  { label: 'Nodes', value: (m) => String(m.nodes) },
  { label: 'Session create', value: (m) => `${ms(m.sessionCreateMs)} ms` },
  { label: 'p50', value: (m) => `${ms(m.p50Ms)} ms` },
  { label: 'p99', value: (m) => `${ms(m.p99Ms)} ms` },
  { label: 'Throughput', value: (m) => `${m.throughput.toFixed(m.throughput >= 100 ? 0 : 1)} /s` },
  { label: 'Peak RSS', value: (m) => bytes(m.peakRssBytes) },
  { label: 'Accuracy', value: (m) => (m.classification ? m.classification.accuracy.toFixed(4) : '—') },
  { label: 'Macro F1', value: (m) => (m.classification ? m.classification.macroF1.toFixed(4) : '—') },
];

function figuresTable(r: OptimizationReport): HTMLElement {
  const models: { label: string; m: ModelFigures }[] = [
    { label: 'original', m: r.original },
    ...r.variants.map((v) => ({ label: v.recipe, m: v })),
  ];
  const head = h('tr', {}, h('th', {}, 'Figure'), ...models.map((x) => h('th', { class: 'num' }, x.label)));
  const rows = COLUMNS.map((c) => h('tr', {}, h('td', {}, c.label), ...models.map((x) => h('td', { class: 'num mono' }, c.value(x.m)))));
  return h('table', { class: 'grid', 'aria-label': 'Optimization figures' }, h('thead', {}, head), h('tbody', {}, ...rows));
}

function variantSection(v: VariantFigures, index: number): HTMLElement {
  const open = el('vscode-button', {}, 'Open Variant');
  open.addEventListener('click', () => host.post({ type: 'openVariant', variant: index }));
  const reveal = el('vscode-button', { secondary: '' }, 'Reveal in Explorer');
  reveal.addEventListener('click', () => host.post({ type: 'revealVariant', variant: index }));
  const a = v.agreement;
  const agreementRows = a.outputs.map((o) =>
    h(
      'tr',
      {},
      h('td', { class: 'mono' }, o.name),
      h('td', { class: 'num mono' }, exp(o.maxAbsDiff)),
      h('td', { class: 'num mono' }, exp(o.maxRelDiff)),
      h('td', { class: 'num mono' }, o.cosine.toFixed(6)),
      h('td', { class: 'num mono' }, o.top1 === null ? '—' : `${(o.top1 * 100).toFixed(1)} %`),
    ),
  );
  const ops = [
    ...v.operatorsAdded.map((o) => `+ ${o.op} ${o.before}→${o.after}`),
    ...v.operatorsRemoved.map((o) => `− ${o.op} ${o.before}→${o.after}`),
  ];
  return h(
    'section',
    { 'data-variant': v.recipe },
    h('h2', {}, v.recipe),
    h('p', { class: 'verdict' }, v.verdict),
    h(
      'p',
      { class: 'muted' },
      h('span', { class: 'mono' }, v.path),
      h('br'),
      `parent ${base(v.parentPath)} (sha256 ${v.parentSha256.slice(0, 12)}…)`,
    ),
    h('div', { class: 'toolbar' }, open, reveal),
    h(
      'table',
      { class: 'grid', 'aria-label': `Output agreement of ${v.recipe}` },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'Output'),
          h('th', { class: 'num' }, 'Max abs'),
          h('th', { class: 'num' }, 'Max rel'),
          h('th', { class: 'num' }, 'Cosine'),
          h('th', { class: 'num' }, 'Top-1'),
        ),
      ),
      h('tbody', {}, ...agreementRows),
    ),
    h('p', { class: 'muted' }, ops.length ? `Operators: ${ops.join(', ')}` : 'Operators: unchanged'),
  );
}

function render(report: OptimizationReport, fileName: string): void {
  const b = report.measurement.benchmark;
  root.replaceChildren(
    h('h1', {}, `Optimize: ${fileName}`),
    ...report.variants.map((v) => h('p', { class: 'verdict' }, v.verdict)),
    h(
      'p',
      { class: 'muted' },
      `onnxruntime ${report.measurement.onnxruntime} · ${report.measurement.cores} cores · ${report.measurement.cpu}`,
      h('br'),
      `Latency: ${b.runs} runs per model, interleaved in ${b.rounds} rounds of ${b.burst} after ${b.warmup} warm-up runs, sessions at level ${b.graphOptimizationLevel}, inputs ${b.inputs.map((i) => `${i.name} ${i.type}[${i.shape.join(',')}]`).join(', ')}`,
      h('br'),
      `Agreement: ${report.evaluation.description} (${report.evaluation.samples} samples, graphs run as written)`,
      h('br'),
      `Peak RSS: ${report.measurement.rss}`,
    ),
    figuresTable(report),
    ...report.variants.map((v, i) => variantSection(v, i)),
  );
  root.setAttribute('aria-busy', 'false');
}

function onMessage(message: OptimizeToWebview): void {
  switch (message.type) {
    case 'report':
      render(message.report, message.fileName);
      break;
  }
}

host.post({ type: 'ready' });
