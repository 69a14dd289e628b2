/** Text of the registry page: alias moves, gate summaries, figures (pure, unit-tested). */
import type { GateResult } from '../../src/core/registry/registryTypes';
import type { RegistryMoveView } from '../../src/core/registry/registryPageTypes';

const num = (x: number): string => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4))));

/** `v1 → v2`, `new → v1`. */
export function formatMove(m: Pick<RegistryMoveView, 'from' | 'to'>): string {
  return `${m.from === null ? 'new' : `v${m.from}`} → v${m.to}`;
}

/** `3 of 4 passed`; `none evaluated` when the move recorded no gates. */
export function gateSummary(gates: readonly GateResult[]): string {
  if (!gates.length) return 'none evaluated';
  const passed = gates.filter((g) => g.passed).length;
  return passed === gates.length ? `all ${gates.length} passed` : `${passed} of ${gates.length} passed`;
}

/** `accuracy 0.9312 · loss 0.21` (sorted by name), or an em dash. */
export function formatMetrics(metrics: Record<string, number>, max = 6): string {
  const entries = Object.entries(metrics).sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return '—';
  const shown = entries.slice(0, max).map(([k, v]) => `${k} ${num(v)}`);
  return entries.length > max ? `${shown.join(' · ')} · +${entries.length - max} more` : shown.join(' · ');
}

/** `1.8 / 4.2 ms` (p50 / p99). */
export function formatLatency(b: { p50_ms: number; p99_ms: number } | null): string {
  return b ? `${num(b.p50_ms)} / ${num(b.p99_ms)} ms` : '—';
}

/** `2026-12-04 20:31:05` from an ISO time. */
export const formatWhen = (iso: string): string => iso.slice(0, 19).replace('T', ' ');
