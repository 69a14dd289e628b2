/** Summary statistics of a latency sample (milliseconds). */

export interface LatencyStats {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
  /** Population standard deviation. */
  stddev: number;
}

/** Percentile by linear interpolation between closest ranks (NumPy's default); `sorted` ascending. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const rank = (Math.min(Math.max(p, 0), 100) / 100) * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export function latencyStats(samples: ArrayLike<number>): LatencyStats {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  if (n === 0) return { p50: NaN, p90: NaN, p99: NaN, mean: NaN, min: NaN, max: NaN, stddev: NaN };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (sorted[i] - mean) ** 2;
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    mean,
    min: sorted[0],
    max: sorted[n - 1],
    stddev: Math.sqrt(sq / n),
  };
}
