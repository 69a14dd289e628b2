/** Round tick values for a chart axis: about `count` steps of 1, 2 or 5 × 10^n covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min > max) [min, max] = [max, min];
  if (min === max) return [min];
  const raw = (max - min) / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const n = Math.max(1, count);
  const step = [0.5, 1, 2, 5, 10]
    .map((m) => m * mag)
    .reduce((best, s) => (Math.abs((max - min) / s - n) < Math.abs((max - min) / best - n) ? s : best));
  const first = Math.ceil(min / step - 1e-9) * step;
  const out: number[] = [];
  for (let v = first; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Short label of an axis value: integers as they are, others with up to 4 significant digits. */
export function formatTick(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

/** Whether values are better shown on a log axis: all positive and spanning at least two decades (lr 0.001 … 0.1). */
export function prefersLog(values: number[]): boolean {
  const v = values.filter(Number.isFinite);
  if (v.length < 2 || v.some((x) => x <= 0)) return false;
  return Math.max(...v) / Math.min(...v) >= 100;
}

/** Powers of ten covering [min, max] (both > 0), for a log axis. */
export function logTicks(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    const v = Number(Math.pow(10, e).toPrecision(12));
    if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) out.push(v);
  }
  return out;
}
