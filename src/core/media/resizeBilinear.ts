/**
 * Bilinear resizing of interleaved float pixels (height x width x channels), separable, with half-pixel centres
 * (source = (dst + 0.5) * in / out - 0.5, PyTorch's align_corners=False). Upscaling is exactly classic bilinear
 * interpolation with edge clamping. Downscaling widens the triangle filter by the scale factor (antialias, as PIL's
 * BILINEAR and torch's interpolate(antialias=True) do) so a large photo is averaged, not sampled; pass
 * `antialias: false` for the narrow filter at every scale.
 */
export interface ResizeOptions {
  /** Widen the filter when downscaling. Default true. */
  antialias?: boolean;
}

interface AxisWeights {
  /** First source index per output index. */
  start: Int32Array;
  /** Taps per output index. */
  count: Int32Array;
  /** `taps` weights per output index (normalised to sum 1). */
  weights: Float64Array;
  taps: number;
}

function axisWeights(inSize: number, outSize: number, antialias: boolean): AxisWeights {
  const scale = inSize / outSize;
  const support = antialias && scale > 1 ? scale : 1;
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * taps);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(Math.floor(center - support + 0.5), 0);
    const hi = Math.min(Math.floor(center + support + 0.5), inSize);
    let sum = 0;
    let n = 0;
    for (let j = lo; j < hi && n < taps; j++, n++) {
      const x = Math.abs((j + 0.5 - center) / support);
      const w = x < 1 ? 1 - x : 0;
      weights[i * taps + n] = w;
      sum += w;
    }
    if (sum > 0) for (let k = 0; k < n; k++) weights[i * taps + k] /= sum;
    start[i] = lo;
    count[i] = n;
  }
  return { start, count, weights, taps };
}

/** Resizes `src` (height x width x channels, row-major) to outHeight x outWidth; returns a new Float32Array. */
export function resizeBilinear(
  src: ArrayLike<number>,
  height: number,
  width: number,
  channels: number,
  outHeight: number,
  outWidth: number,
  options: ResizeOptions = {},
): Float32Array {
  if (src.length !== height * width * channels) throw new Error(`resizeBilinear: ${src.length} values for ${height}x${width}x${channels}`);
  if (!(outHeight >= 1 && outWidth >= 1)) throw new Error(`resizeBilinear: target size ${outHeight}x${outWidth}`);
  const antialias = options.antialias ?? true;
  const wx = axisWeights(width, outWidth, antialias);
  const wy = axisWeights(height, outHeight, antialias);
  // Horizontal pass: height x outWidth x channels, in float64 so the two passes round once.
  const mid = new Float64Array(height * outWidth * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outWidth; x++) {
      const o = (y * outWidth + x) * channels;
      for (let k = 0; k < wx.count[x]; k++) {
        const w = wx.weights[x * wx.taps + k];
        const s = (y * width + wx.start[x] + k) * channels;
        for (let c = 0; c < channels; c++) mid[o + c] += w * src[s + c];
      }
    }
  }
  const out = new Float32Array(outHeight * outWidth * channels);
  const acc = new Float64Array(channels);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      acc.fill(0);
      for (let k = 0; k < wy.count[y]; k++) {
        const w = wy.weights[y * wy.taps + k];
        const s = ((wy.start[y] + k) * outWidth + x) * channels;
        for (let c = 0; c < channels; c++) acc[c] += w * mid[s + c];
      }
      const o = (y * outWidth + x) * channels;
      for (let c = 0; c < channels; c++) out[o + c] = acc[c];
    }
  }
  return out;
}
