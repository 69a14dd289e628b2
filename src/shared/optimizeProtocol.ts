/**
 * Messages between the extension and the optimisation report webview. Both bundles compile it, so it imports types
 * only (the report is core's, JSON as `mlw optimize --json` prints it). Handshake: the webview posts `ready`, the
 * extension answers with `report`.
 */
import type { OptimizationReport } from '../core/optimize/optimizationReport';

export type OptimizeToWebview = { type: 'report'; report: OptimizationReport; fileName: string };

/** `variant` indexes report.variants. */
export type OptimizeFromWebview = { type: 'ready' } | { type: 'openVariant'; variant: number } | { type: 'revealVariant'; variant: number };

export function parseOptimizeMessage(raw: unknown): OptimizeFromWebview | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const m = raw as Record<string, unknown>;
  if (m.type === 'ready') return { type: 'ready' };
  if (
    (m.type === 'openVariant' || m.type === 'revealVariant') &&
    Number.isSafeInteger(m.variant) &&
    (m.variant as number) >= 0 &&
    (m.variant as number) < 64
  )
    return { type: m.type, variant: m.variant as number };
  return undefined;
}
