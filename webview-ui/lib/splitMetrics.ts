/**
 * Which metrics of a run the dashboard draws as curves and which it lists as values. A metric
 * logged once (a test accuracy, a final F1) has nothing to draw: as a chart it is a lone dot at
 * step 0 on an axis to 100. Curves are only for metrics with at least two points; every metric's
 * last value goes in the value table, those logged once first.
 */

/** One metric series as the dashboard holds it (NaN = no value). */
export interface MetricPoints {
  steps: ArrayLike<number>;
  values: ArrayLike<number>;
}

export interface MetricValue {
  name: string;
  /** Last finite value. */
  value: number;
  /** Step of that value, when known. */
  step?: number;
  /** Finite points logged (0 when only the run's summary knows the metric). */
  points: number;
}

export interface SplitMetrics {
  /** Metrics with two or more finite points, by name. */
  curves: string[];
  /** Every metric with a value: those logged once (or known only from the summary), then the curves' last values; by name in each. */
  values: MetricValue[];
}

/** Count and last finite point of a series. */
function lastPoint(s: MetricPoints): { points: number; value?: number; step?: number } {
  const n = Math.min(s.steps.length, s.values.length);
  let points = 0;
  let last = -1;
  for (let i = 0; i < n; i++) {
    if (Number.isFinite(s.values[i])) {
      points++;
      last = i;
    }
  }
  if (last < 0) return { points };
  const step = s.steps[last];
  return { points, value: s.values[last], step: Number.isFinite(step) ? step : undefined };
}

/**
 * Splits a run's metrics into curves and values. `series` are the logged points; `finals` the
 * last values the run's summary holds (a metric may be known only there, e.g. an MLflow listing).
 */
export function splitMetrics(series: Iterable<[string, MetricPoints]>, finals: Record<string, number> = {}): SplitMetrics {
  const curves: string[] = [];
  const once: MetricValue[] = [];
  const lasts: MetricValue[] = [];
  const seen = new Set<string>();
  for (const [name, s] of series) {
    seen.add(name);
    const p = lastPoint(s);
    if (p.points >= 2) curves.push(name);
    const value = p.value ?? finals[name];
    if (value === undefined || !Number.isFinite(value)) continue;
    (p.points >= 2 ? lasts : once).push({ name, value, step: p.step, points: p.points });
  }
  for (const [name, value] of Object.entries(finals)) if (!seen.has(name) && Number.isFinite(value)) once.push({ name, value, points: 0 });
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  return { curves: curves.sort((a, b) => a.localeCompare(b)), values: [...once.sort(byName), ...lasts.sort(byName)] };
}
