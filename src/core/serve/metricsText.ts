/**
 * Reading the server's own /metrics (Prometheus text format 0.0.4) back: a small parser and the
 * per-interval figures the monitor shows (requests/s, latency quantiles, error rate, batch size),
 * computed from the difference between two scrapes. Pure functions, no I/O.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  return Number(s);
}

function unescapeLabel(s: string): string {
  return s.replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

/** Parses the sample lines of a Prometheus text exposition; comments, blank and malformed lines are skipped. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/g;
      let lm: RegExpExecArray | null;
      while ((lm = re.exec(m[3])) !== null) labels[lm[1]] = unescapeLabel(lm[2]);
    }
    const value = parseValue(m[4]);
    if (Number.isNaN(value) && m[4] !== 'NaN') continue;
    samples.push({ name: m[1], labels, value });
  }
  return samples;
}

/** Cumulative counters of one scrape, summed over every model (non-model routes excluded). */
export interface MetricsTotals {
  requests: number;
  errors: number;
  /** mlw_request_duration_seconds cumulative buckets: upper bound (s) -> count. */
  durationBuckets: Map<number, number>;
  batchSum: number;
  batchCount: number;
  inflight: number;
}

export function metricsTotals(samples: readonly Sample[]): MetricsTotals {
  const t: MetricsTotals = { requests: 0, errors: 0, durationBuckets: new Map(), batchSum: 0, batchCount: 0, inflight: 0 };
  for (const s of samples) {
    const modelRoute = (s.labels.model ?? '') !== '';
    switch (s.name) {
      case 'mlw_requests_total':
        if (!modelRoute) break;
        t.requests += s.value;
        if (Number(s.labels.code) >= 400) t.errors += s.value;
        break;
      case 'mlw_request_duration_seconds_bucket': {
        if (!modelRoute) break;
        const le = parseValue(s.labels.le ?? '+Inf');
        t.durationBuckets.set(le, (t.durationBuckets.get(le) ?? 0) + s.value);
        break;
      }
      case 'mlw_batch_size_sum':
        t.batchSum += s.value;
        break;
      case 'mlw_batch_size_count':
        t.batchCount += s.value;
        break;
      case 'mlw_inflight_requests':
        t.inflight += s.value;
        break;
    }
  }
  return t;
}

/**
 * The q-quantile of a cumulative histogram, interpolated linearly inside the bucket like PromQL's
 * histogram_quantile. Undefined when the histogram is empty.
 */
export function histogramQuantile(q: number, buckets: ReadonlyMap<number, number>): number | undefined {
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  if (sorted.length === 0) return undefined;
  const total = sorted[sorted.length - 1][1];
  if (!(total > 0)) return undefined;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, count] of sorted) {
    if (count >= rank) {
      if (bound === Infinity) return prevBound; // beyond the last finite bucket: its upper bound is the best guess
      const inBucket = count - prevCount;
      return inBucket > 0 ? prevBound + ((bound - prevBound) * (rank - prevCount)) / inBucket : bound;
    }
    prevBound = bound;
    prevCount = count;
  }
  return prevBound;
}

export interface MonitorPoint {
  /** Epoch milliseconds of the scrape. */
  t: number;
  requestsPerSecond: number;
  /** Latency of the requests finished in the interval, milliseconds; null when there were none. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Fraction (0..1) of the interval's requests answered with status >= 400; null when there were none. */
  errorRate: number | null;
  /** Mean requests per session.run in the interval; null when nothing ran. */
  batchSize: number | null;
  inflight: number;
}

/** The figures of the interval between two scrapes. A counter that went down (server restarted) counts from zero. */
export function monitorPoint(prev: MetricsTotals | undefined, curr: MetricsTotals, seconds: number, t: number): MonitorPoint {
  const reset = !prev || curr.requests < prev.requests;
  const base = reset ? undefined : prev;
  const requests = curr.requests - (base?.requests ?? 0);
  const errors = curr.errors - (base?.errors ?? 0);
  const buckets = new Map<number, number>();
  for (const [le, c] of curr.durationBuckets) buckets.set(le, Math.max(0, c - (base?.durationBuckets.get(le) ?? 0)));
  const batches = curr.batchCount - (base?.batchCount ?? 0);
  const q = (x: number) => {
    const v = histogramQuantile(x, buckets);
    return v === undefined ? null : v * 1000;
  };
  return {
    t,
    requestsPerSecond: base && seconds > 0 ? requests / seconds : 0,
    p50: requests > 0 ? q(0.5) : null,
    p95: requests > 0 ? q(0.95) : null,
    p99: requests > 0 ? q(0.99) : null,
    errorRate: requests > 0 ? errors / requests : null,
    batchSize: batches > 0 ? (curr.batchSum - (base?.batchSum ?? 0)) / batches : null,
    inflight: curr.inflight,
  };
}
