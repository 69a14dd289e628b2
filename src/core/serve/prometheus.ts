/**
 * A minimal Prometheus registry rendering the text exposition format 0.0.4:
 *   # HELP name help text        (help escapes \ and newline)
 *   # TYPE name counter|gauge|histogram
 *   name{label="value",...} 1.5  (label values escape \, " and newline)
 * Histograms render cumulative name_bucket{le="..."} lines ending with le="+Inf", then name_sum and name_count.
 */

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

abstract class Metric<S> {
  protected readonly series = new Map<string, { labels: string; value: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!NAME.test(name)) throw new Error(`bad metric name ${name}`);
    for (const l of labelNames) if (!LABEL.test(l) || l === 'le') throw new Error(`bad label name ${l}`);
  }

  abstract readonly type: string;
  protected abstract initial(): S;
  protected abstract renderSeries(labels: string, value: S, out: string[]): void;

  protected get(values: readonly string[]): { labels: string; value: S } {
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      if (values.length !== this.labelNames.length) throw new Error(`${this.name} takes labels ${this.labelNames.join(',')}`);
      const labels = this.labelNames.map((l, i) => `${l}="${escapeLabelValue(values[i])}"`).join(',');
      s = { labels, value: this.initial() };
      this.series.set(key, s);
    }
    return s;
  }

  /** Forgets every series (e.g. before a collector refills gauges). */
  clear(): void {
    this.series.clear();
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`);
    for (const s of this.series.values()) this.renderSeries(s.labels, s.value, out);
  }
}

export class Counter extends Metric<{ v: number }> {
  readonly type = 'counter';
  protected initial() {
    return { v: 0 };
  }
  inc(labels: readonly string[] = [], by = 1): void {
    if (by < 0) throw new Error('counters only go up');
    this.get(labels).value.v += by;
  }
  value(labels: readonly string[] = []): number {
    return this.series.get(labels.join('\u0000'))?.value.v ?? 0;
  }
  protected renderSeries(labels: string, value: { v: number }, out: string[]): void {
    out.push(`${this.name}${labels ? `{${labels}}` : ''} ${formatValue(value.v)}`);
  }
}

export class Gauge extends Metric<{ v: number }> {
  readonly type = 'gauge';
  protected initial() {
    return { v: 0 };
  }
  set(labels: readonly string[], v: number): void {
    this.get(labels).value.v = v;
  }
  inc(labels: readonly string[] = [], by = 1): void {
    this.get(labels).value.v += by;
  }
  dec(labels: readonly string[] = [], by = 1): void {
    this.get(labels).value.v -= by;
  }
  value(labels: readonly string[] = []): number {
    return this.series.get(labels.join('\u0000'))?.value.v ?? 0;
  }
  protected renderSeries(labels: string, value: { v: number }, out: string[]): void {
    out.push(`${this.name}${labels ? `{${labels}}` : ''} ${formatValue(value.v)}`);
  }
}

interface HistogramState {
  counts: Float64Array;
  sum: number;
  count: number;
}

export class Histogram extends Metric<HistogramState> {
  readonly type = 'histogram';
  readonly buckets: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    super(name, help, labelNames);
    const sorted = [...buckets].sort((a, b) => a - b);
    if (sorted.length === 0 || sorted.some((b, i) => i > 0 && b === sorted[i - 1])) throw new Error(`${name}: buckets must be distinct`);
    this.buckets = sorted.filter((b) => b !== Infinity);
  }

  protected initial(): HistogramState {
    return { counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
  }

  observe(labels: readonly string[], v: number): void {
    const s = this.get(labels).value;
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]) {
        s.counts[i]++;
        break;
      }
    }
    s.sum += v;
    s.count++;
  }

  /** Count and sum of a series (for tests and the stats endpoint). */
  snapshot(labels: readonly string[] = []): { count: number; sum: number; buckets: number[] } | undefined {
    const s = this.series.get(labels.join('\u0000'))?.value;
    return s && { count: s.count, sum: s.sum, buckets: Array.from(s.counts) };
  }

  protected renderSeries(labels: string, s: HistogramState, out: string[]): void {
    const sep = labels ? ',' : '';
    let cumulative = 0;
    this.buckets.forEach((b, i) => {
      cumulative += s.counts[i];
      out.push(`${this.name}_bucket{${labels}${sep}le="${formatValue(b)}"} ${cumulative}`);
    });
    out.push(`${this.name}_bucket{${labels}${sep}le="+Inf"} ${s.count}`);
    const l = labels ? `{${labels}}` : '';
    out.push(`${this.name}_sum${l} ${formatValue(s.sum)}`, `${this.name}_count${l} ${s.count}`);
  }
}

export class MetricsRegistry {
  private readonly metrics: { name: string; render(out: string[]): void }[] = [];
  private readonly collectors: (() => void)[] = [];

  private add<M extends { name: string; render(out: string[]): void }>(m: M): M {
    if (this.metrics.some((x) => x.name === m.name)) throw new Error(`metric ${m.name} is registered twice`);
    this.metrics.push(m);
    return m;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }

  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }

  /** Runs before each render: for gauges computed on demand. */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }

  render(): string {
    for (const c of this.collectors) c();
    const out: string[] = [];
    for (const m of this.metrics) m.render(out);
    return out.join('\n') + '\n';
  }
}
