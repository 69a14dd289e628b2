/**
 * Messages between the weights inspector custom editor (`.safetensors`, `.pt`, `.pth`) and its webview (app
 * `weights`). Types only from core (weightsSummary.ts holds no Node code). The webview posts `ready`, the
 * extension answers with the whole `summary` or a `loadError`; a change on disk sends a new `summary`.
 */
import type { WeightsFileSummary } from '../core/weights/weightsSummary';

export type WeightsToWebview =
  | { type: 'loading'; fileName: string }
  | { type: 'summary'; fileName: string; summary: WeightsFileSummary; loadMs: number; reload: boolean }
  | { type: 'loadError'; fileName: string; message: string };

export type WeightsFromWebview = { type: 'ready' } | { type: 'reload' } | { type: 'reopenWith' };

/** The message when it is a well-formed WeightsFromWebview, else undefined. */
export function parseWeightsMessage(raw: unknown): WeightsFromWebview | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const type = (raw as { type?: unknown }).type;
  return type === 'ready' || type === 'reload' || type === 'reopenWith' ? { type } : undefined;
}
