import type { MetricAgg, SortDir, SortKey } from '../lib/compareRuns';
import { normalizeCurve, type Curve } from '../lib/downsampleCurves';
import type { PackedSeries, RunParamValue } from '../../src/shared/runsProtocol';
import { h } from '../shared/dom';

/** What the webview remembers across reloads (vscode.setState). */
export interface ViewState {
  smoothing: number;
  log: boolean;
  compare: {
    sort?: { key: SortKey; dir: SortDir };
    filter: string;
    onlyDiff: boolean;
    agg: MetricAgg;
    x?: string;
    y?: string;
  };
}

export const defaultViewState = (): ViewState => ({ smoothing: 0.6, log: false, compare: { filter: '', onlyDiff: false, agg: 'best' } });

/**
 * A metric series in the webview: typed arrays that grow as live points arrive (NaN = no value),
 * plus its normalized curve, computed once and dropped when points are appended.
 */
export class Raw {
  private steps: Float64Array;
  private values: Float64Array;
  /** Seconds since the run started, per point (system metrics only; see PackedSeries). */
  private times: Float64Array | undefined;
  length: number;
  private curve: Curve | undefined;
  private timeCurve: Curve | undefined;

  constructor(steps: Float64Array, values: Float64Array, times?: Float64Array) {
    this.length = Math.min(steps.length, values.length);
    this.steps = steps;
    this.values = values;
    this.times = times && times.length >= this.length ? times : undefined;
  }

  get hasTimes(): boolean {
    return this.times !== undefined;
  }

  get stepsView(): Float64Array {
    return this.steps.subarray(0, this.length);
  }

  get valuesView(): Float64Array {
    return this.values.subarray(0, this.length);
  }

  push(steps: ArrayLike<number | null>, values: ArrayLike<number | null>, times?: ArrayLike<number | null>): void {
    const n = Math.min(steps.length, values.length);
    if (times && !this.times && this.length === 0) this.times = new Float64Array(this.steps.length);
    if (this.length + n > this.steps.length) {
      const cap = Math.max(256, 2 * (this.length + n));
      const s = new Float64Array(cap);
      const v = new Float64Array(cap);
      s.set(this.stepsView);
      v.set(this.valuesView);
      this.steps = s;
      this.values = v;
      if (this.times) {
        const t = new Float64Array(cap);
        t.set(this.times.subarray(0, this.length));
        this.times = t;
      }
    }
    for (let i = 0; i < n; i++) {
      this.steps[this.length + i] = steps[i] ?? NaN;
      this.values[this.length + i] = values[i] ?? NaN;
      if (this.times) this.times[this.length + i] = times?.[i] ?? NaN;
    }
    this.length += n;
    this.curve = undefined;
    this.timeCurve = undefined;
  }

  /** The curve against time (seconds since the run started), when the series has times. */
  get normalizedByTime(): Curve | undefined {
    if (!this.times) return undefined;
    this.timeCurve ??= normalizeCurve(this.times.subarray(0, this.length), this.valuesView);
    return this.timeCurve;
  }

  get normalized(): Curve {
    this.curve ??= normalizeCurve(this.stepsView, this.valuesView);
    return this.curve;
  }
}

export const toRaw = (series: PackedSeries[]): Map<string, Raw> =>
  new Map(series.map((s) => [s.name, new Raw(s.steps, s.values, s.times)]));

export function formatValue(v: RunParamValue | number | undefined): string {
  if (v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  return v === null ? 'null' : String(v);
}

export function button(label: string, onClick: () => void, secondary = true): HTMLButtonElement {
  const b = h('button', { class: `runs-button${secondary ? ' secondary' : ''}`, type: 'button' }, label);
  b.addEventListener('click', onClick);
  return b;
}

export function table(
  label: string,
  head: string[],
  rows: Array<{ cells: Array<string | HTMLElement>; cls?: string }>,
  cls = '',
): HTMLElement {
  return h(
    'table',
    { class: `grid runs-table ${cls}`.trim(), 'aria-label': label },
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', r.cls ? { class: r.cls } : {}, ...r.cells.map((c) => h('td', {}, c))))),
  );
}

/** A labelled native select. */
export function select(
  id: string,
  label: string,
  options: Array<[string, string]>,
  value: string | undefined,
  onChange: (v: string) => void,
): HTMLElement[] {
  const s = h('select', { id, class: 'runs-select' }, ...options.map(([v, text]) => h('option', { value: v }, text)));
  if (value !== undefined && options.some(([v]) => v === value)) s.value = value;
  s.addEventListener('change', () => onChange(s.value));
  return [h('label', { for: id }, label), s];
}

/** Smoothing slider and log-scale toggle above the charts. */
export function chartControls(view: ViewState, changed: () => void): HTMLElement {
  const slider = h('input', {
    type: 'range',
    min: '0',
    max: '0.99',
    step: '0.01',
    value: String(view.smoothing),
    id: 'runs-smoothing',
    'aria-label': 'Smoothing',
  });
  const value = h('span', { class: 'mono runs-smoothing-value' }, view.smoothing.toFixed(2));
  let frame = 0;
  slider.addEventListener('input', () => {
    view.smoothing = Number(slider.value);
    value.textContent = view.smoothing.toFixed(2);
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(changed);
  });
  const log = h('input', { type: 'checkbox', id: 'runs-log' });
  log.checked = view.log;
  log.addEventListener('change', () => {
    view.log = log.checked;
    changed();
  });
  return h(
    'div',
    { class: 'toolbar runs-controls' },
    h('label', { for: 'runs-smoothing' }, 'Smoothing'),
    slider,
    value,
    log,
    h('label', { for: 'runs-log' }, 'Log scale'),
  );
}
