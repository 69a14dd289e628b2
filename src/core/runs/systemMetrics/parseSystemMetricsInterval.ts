/** Seconds between system-metric samples from a flag or setting: a number >= 0 (0 = off); undefined when it is not one. */
export function parseSystemMetricsInterval(value: string | number): number | undefined {
  const n = typeof value === 'number' ? value : value.trim() === '' ? NaN : Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}
