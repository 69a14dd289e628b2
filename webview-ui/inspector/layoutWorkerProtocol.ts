/**
 * Messages between the inspector page and its layout worker (layoutWorker.ts). Both sides are our own code in
 * the same webview, but each side still checks what it receives: a malformed message is dropped, not trusted.
 */
import type { GraphLayout, LayoutProgress } from '../lib/graphLayout';

/** Page -> worker: lay out a graph (a new job cancels the one before), or cancel one. */
export type ToLayoutWorker =
  | { type: 'layout'; id: number; nodeCount: number; sources: Int32Array; targets: Int32Array; widths: Float64Array }
  | { type: 'cancel'; id: number };

/** Worker -> page. `ms` is the worker's own time for the layout. */
export type FromLayoutWorker =
  | { type: 'progress'; id: number; progress: LayoutProgress }
  | { type: 'done'; id: number; layout: GraphLayout; ms: number }
  | { type: 'failed'; id: number; message: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const PHASES: readonly string[] = ['edges', 'layers', 'order', 'place'];

export function parseToLayoutWorker(raw: unknown): ToLayoutWorker | undefined {
  if (!isObj(raw) || !isId(raw.id)) return undefined;
  if (raw.type === 'cancel') return { type: 'cancel', id: raw.id };
  if (raw.type !== 'layout') return undefined;
  const { nodeCount, sources, targets, widths } = raw;
  if (typeof nodeCount !== 'number' || !Number.isSafeInteger(nodeCount) || nodeCount < 0) return undefined;
  if (!(sources instanceof Int32Array) || !(targets instanceof Int32Array) || sources.length !== targets.length) return undefined;
  if (!(widths instanceof Float64Array) || widths.length !== nodeCount) return undefined;
  return { type: 'layout', id: raw.id, nodeCount, sources, targets, widths };
}

function isLayout(v: unknown): v is GraphLayout {
  if (!isObj(v) || typeof v.nodeCount !== 'number' || typeof v.layerCount !== 'number') return false;
  const n = v.nodeCount;
  return (
    v.x instanceof Float64Array &&
    v.x.length === n &&
    v.y instanceof Float64Array &&
    v.y.length === n &&
    v.w instanceof Float64Array &&
    v.w.length === n &&
    v.layer instanceof Int32Array &&
    v.layer.length === n &&
    v.layerNodes instanceof Int32Array &&
    v.layerNodes.length === n &&
    v.layerStart instanceof Int32Array &&
    v.layerStart.length === v.layerCount + 1 &&
    typeof v.nodeHeight === 'number' &&
    typeof v.layerPitch === 'number' &&
    typeof v.width === 'number' &&
    typeof v.height === 'number'
  );
}

export function parseFromLayoutWorker(raw: unknown): FromLayoutWorker | undefined {
  if (!isObj(raw) || !isId(raw.id)) return undefined;
  switch (raw.type) {
    case 'progress': {
      const p = raw.progress;
      if (!isObj(p) || typeof p.phase !== 'string' || !PHASES.includes(p.phase) || typeof p.fraction !== 'number') return undefined;
      return { type: 'progress', id: raw.id, progress: { phase: p.phase as LayoutProgress['phase'], fraction: p.fraction } };
    }
    case 'done':
      return isLayout(raw.layout) && typeof raw.ms === 'number' ? { type: 'done', id: raw.id, layout: raw.layout, ms: raw.ms } : undefined;
    case 'failed':
      return typeof raw.message === 'string' ? { type: 'failed', id: raw.id, message: raw.message } : undefined;
    default:
      return undefined;
  }
}

/** The buffers of a layout, moved (not copied) to the page. */
export function layoutTransfer(layout: GraphLayout): ArrayBuffer[] {
  return [layout.x, layout.y, layout.w, layout.layer, layout.layerNodes, layout.layerStart].map((a) => a.buffer as ArrayBuffer);
}
