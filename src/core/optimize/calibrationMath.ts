/**
 * The arithmetic of static int8 quantisation, free of I/O: activation ranges observed over calibration batches
 * (min-max, or a percentile read from a histogram streamed batch by batch, never holding the values), the uint8
 * asymmetric scale and zero point of an activation range, and symmetric int8 weights per tensor or per channel.
 *
 * The histogram has a fixed number of equal bins over [-R, R), R a power of two: when a value falls outside, R
 * doubles and every pair of neighbouring bins merges into one (the old edges are all new edges, so the merge is
 * exact). Memory is the bin count, whatever the number of samples; a percentile is exact to within one bin width.
 */

/** Bins of a streamed histogram (even). */
export const HISTOGRAM_BINS = 4096;

export class StreamingHistogram {
  readonly counts: Float64Array;
  /** Half-width of the covered range [-range, range). 0 until the first non-zero value. */
  range = 0;
  total = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** Values seen that are NaN or ±Inf (left out of everything else). */
  nonFinite = 0;
  /** Zeros seen before the range was set (a range of 0 cannot hold them in a bin yet). */
  private pendingZeros = 0;

  constructor(readonly bins = HISTOGRAM_BINS) {
    if (!Number.isInteger(bins) || bins < 2 || bins % 2 !== 0) throw new RangeError(`histogram bins must be even, got ${bins}`);
    this.counts = new Float64Array(bins);
  }

  /** Adds every finite value of `values`. */
  add(values: ArrayLike<number>): void {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
      // Some NaN/Inf (or empty): take the slow path that skips them.
      const finite: number[] = [];
      for (let i = 0; i < values.length; i++) {
        if (Number.isFinite(values[i])) finite.push(values[i]);
        else this.nonFinite++;
      }
      if (finite.length > 0) this.add(finite);
      return;
    }
    this.min = Math.min(this.min, lo);
    this.max = Math.max(this.max, hi);
    const extent = Math.max(Math.abs(lo), Math.abs(hi));
    if (extent === 0) {
      if (this.range === 0) this.pendingZeros += values.length;
      else this.counts[this.bins / 2] += values.length;
      this.total += values.length;
      return;
    }
    this.grow(extent);
    const { counts, bins } = this;
    const scale = bins / (2 * this.range);
    const half = bins / 2;
    for (let i = 0; i < values.length; i++) {
      let b = Math.floor(values[i] * scale) + half;
      if (b >= bins) b = bins - 1;
      counts[b]++;
    }
    this.total += values.length;
  }

  /** Doubles the range until it covers ±extent (a value of exactly +range goes in the last bin). */
  private grow(extent: number): void {
    if (this.range === 0) {
      this.range = 2 ** Math.ceil(Math.log2(extent));
      if (this.range < extent) this.range *= 2;
      this.counts[this.bins / 2] += this.pendingZeros;
      this.pendingZeros = 0;
      return;
    }
    const { counts, bins } = this;
    const half = bins / 2;
    while (this.range < extent) {
      // Old bin i covers edges i..i+1 of [-R, R); new bin j covers old edges 2j - half .. 2j - half + 2.
      const merged = new Float64Array(bins);
      for (let i = 0; i < bins; i++) merged[Math.floor((i + half) / 2)] += counts[i];
      counts.set(merged);
      this.range *= 2;
    }
  }

  /** Lower edge of bin i. */
  edge(i: number): number {
    return -this.range + (i * 2 * this.range) / this.bins;
  }
}

/**
 * The value below which a fraction `q` (0..1) of the histogram's values lie, interpolated linearly inside the bin
 * it falls in, and kept within the observed [min, max].
 */
export function histogramQuantile(h: StreamingHistogram, q: number): number {
  if (h.total === 0) return 0;
  if (h.range === 0) return 0; // only zeros
  if (q <= 0) return h.min;
  if (q >= 1) return h.max;
  const target = q * h.total;
  let seen = 0;
  for (let i = 0; i < h.bins; i++) {
    const c = h.counts[i];
    if (c > 0 && seen + c >= target) {
      const within = (target - seen) / c;
      const value = h.edge(i) + within * (h.edge(i + 1) - h.edge(i));
      return Math.min(h.max, Math.max(h.min, value));
    }
    seen += c;
  }
  return h.max;
}

export type CalibrationMethod = 'minmax' | 'percentile';

export interface ActivationRange {
  min: number;
  max: number;
}

/**
 * The range an activation is quantised to: its observed min and max, or its (100 − p)th and pth percentiles
 * (each tail clipped by 100 − p %, so outliers do not stretch the scale of every other value).
 */
export function activationRange(h: StreamingHistogram, method: CalibrationMethod, percentile = 99.99): ActivationRange {
  if (h.total === 0) return { min: 0, max: 0 };
  if (method === 'minmax') return { min: h.min, max: h.max };
  const q = percentile / 100;
  return { min: histogramQuantile(h, 1 - q), max: histogramQuantile(h, q) };
}

export interface QuantParams {
  scale: number;
  zeroPoint: number;
}

/** Float32 rounding of a scale, as it is stored (so derived values, bias scales, use what the file holds). */
const f32 = (v: number): number => Math.fround(v);

/**
 * uint8 asymmetric parameters of a range: the range is widened to hold 0 (so 0 is exact, as padding and ReLU
 * need), scale = (max − min) / 255, zero point = round(−min / scale) in [0, 255]. A range of width 0 gets scale 1.
 */
export function uint8Params(range: ActivationRange): QuantParams {
  const lo = Math.min(range.min, 0);
  const hi = Math.max(range.max, 0);
  if (!(hi > lo)) return { scale: 1, zeroPoint: 0 };
  const scale = f32((hi - lo) / 255);
  const zeroPoint = Math.min(255, Math.max(0, Math.round(-lo / scale)));
  return { scale, zeroPoint };
}

/** QuantizeLinear's uint8 result for one value (round half to even, as ONNX specifies, then saturate). */
export function quantizeUint8(value: number, p: QuantParams): number {
  return Math.min(255, Math.max(0, roundHalfEven(value / p.scale) + p.zeroPoint));
}

export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Symmetric int8 weights use [-127, 127] (the -128 code is left out, so the range is symmetric about 0). */
export const INT8_WEIGHT_MAX = 127;

/** The symmetric int8 scale of a maximum |w|: max / 127, or 1 for an all-zero tensor or channel. */
export function int8WeightScale(maxAbs: number): number {
  return maxAbs > 0 && Number.isFinite(maxAbs) ? f32(maxAbs / INT8_WEIGHT_MAX) : 1;
}

export interface QuantizedWeights {
  values: Int8Array;
  /** One scale per channel along `axis` (one in all when per tensor). */
  scales: Float32Array;
}

/**
 * Quantises float weights of shape `dims` to symmetric int8: one scale for the whole tensor (axis undefined), or
 * one per index of `axis` (per output channel).
 */
export function quantizeWeights(values: ArrayLike<number>, dims: readonly number[], axis?: number): QuantizedWeights {
  const channels = axis === undefined ? 1 : dims[axis];
  const inner = axis === undefined ? values.length : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number): number => (axis === undefined ? 0 : Math.floor(i / inner) % channels);
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    const c = channelOf(i);
    if (a > maxAbs[c]) maxAbs[c] = a;
  }
  const scales = Float32Array.from(maxAbs, int8WeightScale);
  const out = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const q = roundHalfEven(values[i] / scales[channelOf(i)]);
    out[i] = Math.max(-INT8_WEIGHT_MAX, Math.min(INT8_WEIGHT_MAX, q));
  }
  return { values: out, scales };
}

/** int32 bias codes for DequantizeLinear with scale inputScale × weightScale[c] and zero point 0. */
export function quantizeBias(
  bias: ArrayLike<number>,
  inputScale: number,
  weightScales: Float32Array,
): { values: Int32Array; scales: Float32Array } {
  const scales = new Float32Array(weightScales.length);
  for (let c = 0; c < scales.length; c++) scales[c] = f32(inputScale * weightScales[c]);
  const values = new Int32Array(bias.length);
  for (let i = 0; i < bias.length; i++) {
    const s = scales[scales.length === 1 ? 0 : i];
    const q = roundHalfEven(bias[i] / s);
    values[i] = Math.max(-2147483647, Math.min(2147483647, q));
  }
  return { values, scales };
}
