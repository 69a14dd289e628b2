import type { MetricSeries } from './readMetrics';
import type { MetricSummary } from './runTypes';

/** Last / min / max / count per metric (NaN points count but do not affect min and max). */
export function summarizeMetrics(series: Map<string, MetricSeries>): Record<string, MetricSummary> {
  const out: Record<string, MetricSummary> = {};
  for (const [name, s] of series) {
    const n = s.values.length;
    if (!n) continue;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = s.values[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    out[name] = {
      last: s.values[n - 1],
      step: s.steps[n - 1],
      min: min === Infinity ? NaN : min,
      max: max === -Infinity ? NaN : max,
      count: n,
    };
  }
  return out;
}

const LOWER_IS_BETTER = /(loss|err|error|mse|mae|rmse|mape|perplexity|ppl|wer|cer|latency|time|nll)(\b|_|$)/i;

/** Whether a smaller value of this metric is better, guessed from its name (loss, error, mse, ...). */
export function lowerIsBetter(name: string): boolean {
  return LOWER_IS_BETTER.test(name);
}

/** Best value of a summarized metric: min for loss-like names, else max. */
export function bestValue(name: string, s: MetricSummary): number {
  return lowerIsBetter(name) ? s.min : s.max;
}
