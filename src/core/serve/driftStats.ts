/**
 * Statistics behind drift monitoring: quantile bin edges, binning, PSI, the two-sample KS statistic, and a
 * deterministic reservoir sample.
 *
 * Conventions:
 * - Quantiles interpolate linearly between order statistics (numpy's default, "type 7").
 * - Bins: `edges` are the interior edges e_1 < ... < e_{k}; bin i holds values v with e_i <= v < e_{i+1}
 *   (bin 0: v < e_1; last bin: v >= e_k). Equal quantiles (discrete or constant features) are merged, so a feature
 *   may have fewer bins than asked for. An edge can sit at the reference minimum, leaving bin 0 empty in the
 *   reference: live values below the reference range then show up in PSI.
 * - PSI = sum_i (a_i - r_i) * ln(a_i / r_i) over live fractions a and reference fractions r, each floored at
 *   PSI_EPSILON (1e-4) so that empty bins stay finite.
 * - KS = sup_x |F_ref(x) - F_live(x)| over the empirical CDFs of the two samples.
 */

export const PSI_EPSILON = 1e-4;

/** The p-quantile (0 <= p <= 1) of ascending values, linear interpolation. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Interior bin edges at the reference quantiles 1/bins .. (bins-1)/bins, strictly increasing. */
export function binEdges(sorted: ArrayLike<number>, bins: number): number[] {
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const q = quantileSorted(sorted, k / bins);
    if (Number.isFinite(q) && (edges.length === 0 || q > edges[edges.length - 1])) edges.push(q);
  }
  return edges;
}

/** Index of the bin holding v: the number of edges <= v. */
export function binIndex(edges: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Fraction of values per bin. */
export function binFractions(values: ArrayLike<number>, edges: ArrayLike<number>): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) counts[binIndex(edges, values[i])]++;
  return counts.map((c) => (values.length ? c / values.length : 0));
}

/** Population stability index of live bin counts against reference fractions; NaN when nothing was observed. */
export function psi(reference: ArrayLike<number>, liveCounts: ArrayLike<number>, epsilon = PSI_EPSILON): number {
  let total = 0;
  for (let i = 0; i < liveCounts.length; i++) total += liveCounts[i];
  if (total === 0 || reference.length !== liveCounts.length) return NaN;
  let sum = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = Math.max(reference[i], epsilon);
    const a = Math.max(liveCounts[i] / total, epsilon);
    sum += (a - r) * Math.log(a / r);
  }
  return sum;
}

/** Two-sample Kolmogorov-Smirnov statistic of two ascending samples; NaN when either is empty. */
export function ksStatistic(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return NaN;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = a[i] <= b[j] ? a[i] : b[j];
    while (i < n && a[i] === x) i++;
    while (j < m && b[j] === x) j++;
    const diff = Math.abs(i / n - j / m);
    if (diff > d) d = diff;
  }
  return d;
}

/** Welford running mean/variance with min and max. std is the population standard deviation. */
export class RunningMoments {
  count = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;

  add(x: number): void {
    this.count++;
    const delta = x - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
  }

  get std(): number {
    return this.count > 0 ? Math.sqrt(this.m2 / this.count) : NaN;
  }
}

/** xorshift32: a small deterministic PRNG in [0, 1). */
export function xorshift(seed = 0x9e3779b9): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Uniform sample of a stream (Algorithm R). */
export class Reservoir {
  readonly values: Float64Array;
  seen = 0;

  constructor(
    readonly capacity: number,
    private readonly random: () => number = xorshift(),
  ) {
    this.values = new Float64Array(capacity);
  }

  add(x: number): void {
    if (this.seen < this.capacity) this.values[this.seen] = x;
    else {
      const j = Math.floor(this.random() * (this.seen + 1));
      if (j < this.capacity) this.values[j] = x;
    }
    this.seen++;
  }

  /** The kept values, ascending. */
  sorted(): Float64Array {
    return this.values.slice(0, Math.min(this.seen, this.capacity)).sort();
  }
}

/** Evenly spaced quantiles (i + 0.5) / size of ascending values: a compact stand-in for a large sample. */
export function quantileSketch(sorted: ArrayLike<number>, size: number): number[] {
  if (sorted.length <= size) return Array.from(sorted);
  const out = new Array<number>(size);
  for (let i = 0; i < size; i++) out[i] = quantileSorted(sorted, (i + 0.5) / size);
  return out;
}
