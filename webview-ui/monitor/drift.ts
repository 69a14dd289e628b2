import { featureLabel as label, isDriftedFeature, type DriftFeatureRow, type ModelDrift } from '../../src/core/serve/modelDrift';
import type { DriftState } from '../../src/shared/serveProtocol';
import { cssVar, h } from '../shared/dom';
import { fitCanvas } from '../shared/sizeCanvas';

/**
 * The monitor's drift section: per model, a PSI bar chart with the threshold line and a table of every input feature
 * (PSI, KS, observed and reference counts, live and reference means). Rows over the threshold are highlighted with
 * the theme's warning colours. Without a reference profile, the section says how to make one.
 */

export interface DriftActions {
  buildProfile(model: string): void;
  openSettings(): void;
}

const num = (v: number | null, digits: number) => (v === null ? '–' : v.toFixed(digits));
const int = (v: number | null) => (v === null ? '–' : Math.round(v).toLocaleString('en-US'));

function isDrifted(f: DriftFeatureRow, state: DriftState): boolean {
  return isDriftedFeature(f, state.threshold, state.minCount);
}

function psiChart(m: ModelDrift, state: DriftState): HTMLCanvasElement {
  const canvas = h('canvas', { role: 'img', 'aria-label': `PSI per feature of ${m.model}` });
  canvas.style.width = '100%';
  canvas.style.height = '120px';
  canvas.style.display = 'block';
  requestAnimationFrame(() => drawPsi(canvas, m, state));
  return canvas;
}

function drawPsi(canvas: HTMLCanvasElement, m: ModelDrift, state: DriftState): void {
  const fitted = fitCanvas(canvas);
  if (!fitted) return;
  const { ctx, width: w, height: hgt } = fitted;
  ctx.clearRect(0, 0, w, hgt);
  const fg = cssVar('--vscode-descriptionForeground', '#888');
  const ok = cssVar('--vscode-charts-blue', '#3794ff');
  const warn = cssVar('--vscode-editorWarning-foreground', '#d29922');
  const muted = cssVar('--vscode-disabledForeground', 'rgba(128,128,128,.6)');
  const left = 44;
  const top = 6;
  const bottom = 16;
  const plotW = w - left - 8;
  const plotH = hgt - top - bottom;
  const max = Math.max(state.threshold * 2, ...m.features.map((f) => f.psi ?? 0)) * 1.05;
  const y = (v: number) => top + plotH - (v / max) * plotH;
  ctx.font = `11px ${cssVar('--vscode-font-family', 'sans-serif')}`;
  ctx.fillStyle = fg;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const v of [0, max / 2, max]) ctx.fillText(v.toFixed(2), left - 4, y(v));
  const n = m.features.length;
  const slot = plotW / Math.max(1, n);
  m.features.forEach((f, i) => {
    if (f.psi === null) return;
    ctx.fillStyle = f.count < state.minCount ? muted : isDrifted(f, state) ? warn : ok;
    const x = left + i * slot + slot * 0.15;
    ctx.fillRect(x, y(f.psi), Math.max(1, slot * 0.7), top + plotH - y(f.psi));
  });
  ctx.strokeStyle = warn;
  ctx.setLineDash([4, 3]);
  ctx.beginPath();
  ctx.moveTo(left, Math.round(y(state.threshold)) + 0.5);
  ctx.lineTo(left + plotW, Math.round(y(state.threshold)) + 0.5);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.fillStyle = warn;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'bottom';
  ctx.fillText(`threshold ${state.threshold}`, left + 4, y(state.threshold) - 2);
  ctx.fillStyle = fg;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  // Feature labels when they fit under their bars, else indices (every k-th when even those do not fit).
  const widest = Math.max(...m.features.map((f) => ctx.measureText(label(f)).width));
  const named = widest + 6 <= slot;
  const every = named ? 1 : Math.max(1, Math.ceil((ctx.measureText(String(n)).width + 8) / slot));
  m.features.forEach((f, i) => {
    if (i % every === 0) ctx.fillText(named ? label(f) : String(i), left + (i + 0.5) * slot, top + plotH + 3);
  });
}

function noReference(m: ModelDrift, state: DriftState, actions: DriftActions): HTMLElement {
  const file = `${m.model}.profile.json`;
  const box = h(
    'div',
    { class: 'banner', role: 'note', 'aria-label': `No reference profile for ${m.model}` },
    h(
      'p',
      {},
      h('strong', {}, 'No reference profile'),
      ': drift compares live inputs with the training data, and this server has no profile of it for ',
      h('span', { class: 'mono' }, m.model),
      '.',
    ),
    h(
      'p',
      {},
      'Build one from a sample of the training inputs (.npy, .csv or .json; rows are samples) and save it beside the model file as ',
      h('code', {}, file),
      ': the server reads it when it starts.',
    ),
    h(
      'p',
      {},
      h('code', {}, `mlw profile train.npy -o ${file}`),
      h('span', { class: 'muted' }, '   or serve with '),
      h('code', {}, `mlw serve ${m.model}.onnx --reference profile.json`),
    ),
  );
  if (state.canBuildProfile) {
    const build = h('button', { class: 'insp-button' }, 'Build Reference Profile…');
    build.addEventListener('click', () => actions.buildProfile(m.model));
    box.append(
      h(
        'div',
        { class: 'toolbar' },
        build,
        h('span', { class: 'muted' }, 'pick the data file; the profile is written beside the model, then restart the server'),
      ),
    );
  }
  return box;
}

function table(m: ModelDrift, state: DriftState): HTMLTableElement {
  const titles: [string, string][] = [
    ['Feature', 'Input feature: column name from the reference data, else input[index]'],
    ['PSI', 'Population stability index against the reference bins'],
    ['KS', 'Two-sample Kolmogorov-Smirnov statistic against the reference sample'],
    ['Observed', 'Values of this feature the server has seen since it started'],
    ['Mean', 'Mean of the observed values'],
    ['Ref. mean', 'Mean in the reference data'],
    ['Ref. values', 'Values of this feature in the reference data'],
    ['', ''],
  ];
  const head = h('tr', {}, ...titles.map(([t, tip], i) => h('th', { class: i >= 1 && i <= 6 ? 'num' : '', title: tip || undefined }, t)));
  const warnBg = cssVar('--vscode-inputValidation-warningBackground', 'rgba(210,153,34,.15)');
  const warnFg = cssVar('--vscode-editorWarning-foreground', '#d29922');
  const body = m.features.map((f) => {
    const drifted = isDrifted(f, state);
    const few = f.psi !== null && f.count < state.minCount;
    const flag = drifted ? `⚠ drift (PSI > ${state.threshold})` : few ? `< ${state.minCount} values` : '';
    const row = h(
      'tr',
      { 'data-drifted': drifted ? 'true' : 'false' },
      h('td', { class: 'mono' }, label(f)),
      h('td', { class: 'num' }, num(f.psi, 3)),
      h('td', { class: 'num' }, num(f.ks, 3)),
      h('td', { class: 'num' }, int(f.count)),
      h('td', { class: 'num' }, num(f.mean, 3)),
      h('td', { class: 'num' }, num(f.referenceMean, 3)),
      h('td', { class: 'num' }, int(f.referenceCount)),
      h('td', { class: drifted ? '' : 'muted' }, flag),
    );
    for (const cell of Array.from(row.children) as HTMLElement[]) cell.style.whiteSpace = 'nowrap';
    if (drifted) {
      row.style.background = warnBg;
      row.style.boxShadow = `inset 3px 0 0 ${warnFg}`;
      (row.lastElementChild as HTMLElement).style.color = warnFg;
    }
    return row;
  });
  return h('table', { class: 'grid', 'aria-label': `Drift of ${m.model}` }, h('thead', {}, head), h('tbody', {}, ...body));
}

/** The table scrolls sideways on its own in a narrow panel instead of widening the page. */
function scroller(child: HTMLElement): HTMLElement {
  const box = h('div', {}, child);
  box.style.overflowX = 'auto';
  return box;
}

/** Renders the drift section into `container`, replacing what was there. */
export function renderDrift(container: HTMLElement, state: DriftState, actions: DriftActions): void {
  const change = h('button', { class: 'insp-link' }, 'change');
  change.addEventListener('click', () => actions.openSettings());
  const parts: HTMLElement[] = [
    h('h2', {}, 'Input drift'),
    h(
      'p',
      { class: 'muted' },
      `PSI (population stability index) and KS against the reference profile, per input feature, over all requests since the server started. Threshold: PSI > ${state.threshold} (`,
      change,
      `); judged once a feature has ${state.minCount} values.`,
    ),
  ];
  if (state.unavailable) parts.push(h('p', { class: 'muted', role: 'status' }, state.unavailable));
  else if (state.models.length === 0) parts.push(h('p', { class: 'muted' }, 'No models reported yet.'));
  for (const m of state.models) {
    const drifted = m.features.filter((f) => isDrifted(f, state)).length;
    const summary = m.reference
      ? `${m.observed.toLocaleString('en-US')} rows observed · reference ${int(m.referenceRows)} rows · ${drifted} of ${m.features.length} features over the threshold`
      : `${m.observed.toLocaleString('en-US')} rows observed`;
    const section = h('section', { 'aria-label': `Drift: ${m.model}` }, h('h3', {}, m.model, ' ', h('span', { class: 'muted' }, summary)));
    if (!m.reference) section.append(noReference(m, state, actions));
    else if (m.features.length === 0)
      section.append(h('p', { class: 'muted' }, 'The reference profile matches no numeric input of this model (see the server log).'));
    else section.append(psiChart(m, state), scroller(table(m, state)));
    for (const note of m.notes) section.append(h('p', { class: 'muted' }, note));
    parts.push(section);
  }
  container.replaceChildren(...parts);
}
