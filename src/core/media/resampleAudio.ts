/**
 * Band-limited resampling by windowed sinc: output sample n sits at input position t = n * inRate / outRate and is
 * sum_k x[k] * h(t - k), with h(u) = fc * sinc(fc * u) * hann(u / halfWidth), fc = min(1, outRate / inRate) (the
 * low-pass that keeps a downsampled signal free of aliases), halfWidth = ZEROS / fc input samples, samples outside
 * the signal taken as 0. The output has ceil(N * outRate / inRate) samples.
 */
export const RESAMPLE_ZEROS = 16;

export function resampleAudio(samples: Float32Array, inRate: number, outRate: number): Float32Array {
  if (!(inRate > 0 && outRate > 0)) throw new Error(`resampleAudio: rates ${inRate} -> ${outRate}`);
  if (inRate === outRate) return samples.slice();
  const n = samples.length;
  const outLength = Math.ceil((n * outRate) / inRate);
  const out = new Float32Array(outLength);
  const fc = Math.min(1, outRate / inRate);
  const half = RESAMPLE_ZEROS / fc;
  for (let i = 0; i < outLength; i++) {
    const t = (i * inRate) / outRate;
    const lo = Math.max(0, Math.ceil(t - half));
    const hi = Math.min(n - 1, Math.floor(t + half));
    let acc = 0;
    for (let k = lo; k <= hi; k++) {
      const u = t - k;
      const x = Math.PI * fc * u;
      const sinc = x === 0 ? 1 : Math.sin(x) / x;
      const window = 0.5 + 0.5 * Math.cos((Math.PI * u) / half);
      acc += samples[k] * fc * sinc * window;
    }
    out[i] = acc;
  }
  return out;
}
