/**
 * Curves for the run charts: normalized onto ascending x, then put on one shared x axis (the
 * "aligned data" uPlot draws), downsampled when they hold more points than the chart has pixels.
 * Curves are Float64Arrays with NaN for "no value": a million boxed numbers in plain arrays cost
 * more in garbage collection than everything else a compare view does. Only the aligned output,
 * a few thousand points per curve, is a plain array with null gaps (what uPlot wants).
 */

/** x ascending and unique; y NaN where there is no finite value. */
export interface Curve {
  xs: Float64Array;
  ys: Float64Array;
}

/** How a curve is drawn: smoothed (EMA weight in [0, 1)), and/or only its positive values (log scale). */
export interface CurveStyle {
  smoothing?: number;
  positive?: boolean;
}

/**
 * y after smoothing and the log-scale filter, computed as points are read, so that a chart of
 * 2,000,000 points allocates no second copy of them. The exponential moving average is debiased
 * like TensorBoard's; NaN (no value) passes through and does not move the average.
 */
function styled(ys: Float64Array, style: CurveStyle | undefined): Float64Array {
  const w = style?.smoothing ?? 0;
  const positive = !!style?.positive;
  if (w <= 0 && !positive) return ys;
  return smoothValues(ys, w, positive);
}

/** The smoothed (and, with `positive`, positive-only) values of `ys`; weight 0 copies them. */
export function smoothValues(ys: ArrayLike<number>, weight: number, positive = false): Float64Array {
  const out = new Float64Array(ys.length);
  let acc = 0;
  let debias = 1;
  for (let i = 0; i < ys.length; i++) {
    const v = ys[i];
    if (v !== v) {
      out[i] = NaN;
      continue;
    }
    let y = v;
    if (weight > 0) {
      acc = acc * weight + (1 - weight) * v;
      // weight^n: once below 1e-17 the correction is exactly 1; multiplying on into subnormal numbers is 5× slower.
      if (debias > 1e-17) {
        debias *= weight;
        y = acc / (1 - debias);
      } else y = acc;
    }
    out[i] = positive && !(y > 0) ? NaN : y;
  }
  return out;
}

/** Columns of one chart: the shared x, then one y column per curve (null = no point there). */
export interface AlignedCurves {
  xs: number[];
  ys: Array<Array<number | null>>;
  /** True when the curves were reduced to min/max per bucket. */
  downsampled: boolean;
}

const finiteOrNaN = (v: number | null | undefined): number => (typeof v === 'number' && Number.isFinite(v) ? v : NaN);

/**
 * Sorts points by x and keeps the last value logged at each x (uPlot needs ascending x). Series
 * that are already strictly ascending with finite x (the usual case) are copied without a map.
 */
export function normalizeCurve(steps: ArrayLike<number | null>, values: ArrayLike<number | null>): Curve {
  const n = Math.min(steps.length, values.length);
  let ascending = true;
  let prev = -Infinity;
  for (let i = 0; i < n; i++) {
    const s = steps[i];
    if (typeof s !== 'number' || !(s > prev) || s === Infinity) {
      ascending = false;
      break;
    }
    prev = s;
  }
  if (ascending && steps instanceof Float64Array && values instanceof Float64Array) {
    // Typed input with only finite values or NaN needs no copy: views on it are the curve.
    let clean = true;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === Infinity || v === -Infinity) {
        clean = false;
        break;
      }
    }
    if (clean) return { xs: steps.subarray(0, n), ys: values.subarray(0, n) };
  }
  if (ascending) {
    const xs = new Float64Array(n);
    const ys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      xs[i] = steps[i] as number;
      ys[i] = finiteOrNaN(values[i]);
    }
    return { xs, ys };
  }
  const byStep = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const s = steps[i];
    if (typeof s !== 'number' || !Number.isFinite(s)) continue;
    byStep.set(s, finiteOrNaN(values[i]));
  }
  const xs = Float64Array.from(byStep.keys()).sort();
  return { xs, ys: xs.map((s) => byStep.get(s) as number) };
}

const orNull = (v: number): number | null => (Number.isNaN(v) ? null : v);

/** Exact union of the curves' x values; each curve's y where it has a point, else null. */
function joinExact(curves: Curve[], styles: Array<CurveStyle | undefined>): AlignedCurves {
  const first = curves[0]?.xs ?? new Float64Array(0);
  const same = curves.every((c) => c.xs.length === first.length && c.xs.every((x, i) => x === first[i]));
  if (same) return { xs: Array.from(first), ys: curves.map((c, k) => Array.from(styled(c.ys, styles[k]), orNull)), downsampled: false };
  const set = new Set<number>();
  for (const c of curves) for (const x of c.xs) set.add(x);
  const xs = [...set].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = curves.map((c, k) => {
    const col = new Array<number | null>(xs.length).fill(null);
    const y = styled(c.ys, styles[k]);
    for (let i = 0; i < c.xs.length; i++) col[index.get(c.xs[i]) as number] = orNull(y[i]);
    return col;
  });
  return { xs, ys, downsampled: false };
}

/**
 * Puts the curves on one x axis. When a curve has more than `2 * buckets` points, all curves are
 * reduced to min/max per bucket: the x range is cut into `buckets` equal buckets (one per pixel
 * column), each with two x slots (at a third and two thirds of the bucket); per curve, the bucket's lowest
 * and highest points go into the two slots in the order they were logged, so spikes and the envelope
 * survive while a chart of 100 runs × 10,000 steps draws 2 × buckets + 2 points per run. Two more slots sit
 * exactly at the first and the last step of all curves: a curve starting (ending) there keeps its first
 * (last) value, so the chart spans the whole run and ends on the value the run ended with.
 * `styles[i]` smooths curve i and/or keeps its positive values only, before the reduction.
 */
export function alignCurves(curves: Curve[], buckets: number, styles: Array<CurveStyle | undefined> = []): AlignedCurves {
  const b = Math.max(1, Math.floor(buckets));
  if (curves.length === 0) return { xs: [], ys: [], downsampled: false };
  const longest = curves.reduce((m, c) => Math.max(m, c.xs.length), 0);
  if (longest <= 2 * b) return joinExact(curves, styles);

  let lo = Infinity;
  let hi = -Infinity;
  for (const c of curves) {
    if (!c.xs.length) continue;
    lo = Math.min(lo, c.xs[0]);
    hi = Math.max(hi, c.xs[c.xs.length - 1]);
  }
  const width = hi > lo ? (hi - lo) / b : 1;
  // Slot 0 at the first step, slots 1 + 2k and 2 + 2k inside bucket k, slot 2b + 1 at the last step.
  const xs = new Array<number>(2 * b + 2);
  xs[0] = lo;
  for (let k = 0; k < b; k++) {
    xs[1 + 2 * k] = lo + (k + 1 / 3) * width;
    xs[2 + 2 * k] = lo + (k + 2 / 3) * width;
  }
  xs[2 * b + 1] = hi;
  const slots = new Float64Array(2 * b + 2);
  const ys = curves.map((c, ci) => {
    slots.fill(NaN);
    const n = c.xs.length;
    const w = styles[ci]?.smoothing ?? 0;
    const positive = !!styles[ci]?.positive;
    let acc = 0;
    let debias = 1;
    let i = 0;
    // Buckets in order; xs ascend, so each bucket is the run of points below its right edge.
    for (let k = 0; k < b && i < n; k++) {
      const edge = k === b - 1 ? Infinity : lo + (k + 1) * width;
      let minV = Infinity;
      let maxV = -Infinity;
      let minAt = -1;
      let maxAt = -1;
      for (; i < n && c.xs[i] < edge; i++) {
        let v = c.ys[i];
        if (v !== v) continue; // NaN: no value
        if (w > 0) {
          acc = acc * w + (1 - w) * v;
          if (debias > 1e-17) {
            debias *= w;
            v = acc / (1 - debias);
          } else v = acc;
        }
        if (positive && !(v > 0)) continue;
        if (i === 0 && c.xs[0] === lo) slots[0] = v;
        if (i === n - 1 && c.xs[i] === hi) slots[2 * b + 1] = v;
        if (v < minV) {
          minV = v;
          minAt = i;
        }
        if (v > maxV) {
          maxV = v;
          maxAt = i;
        }
      }
      if (minAt < 0) continue;
      const at = 1 + 2 * k;
      if (minAt === maxAt) slots[at] = minV;
      else if (minAt < maxAt) {
        slots[at] = minV;
        slots[at + 1] = maxV;
      } else {
        slots[at] = maxV;
        slots[at + 1] = minV;
      }
    }
    const col = new Array<number | null>(2 * b + 2);
    for (let j = 0; j < 2 * b + 2; j++) col[j] = orNull(slots[j]);
    return col;
  });
  return { xs, ys, downsampled: true };
}
