/**
 * Messages between the inspector page and its layout worker (layoutWorker.ts). Both sides are our own code in
 * the same webview, but each side still checks what it receives: a malformed message is dropped, not trusted.
 */
import type { GraphLayout, LayoutProgress } from '../lib/graphLayout';

/** Page -> worker: lay out a graph (a new job cancels the one before), or cancel one. */
export type ToLayoutWorker =
  | { type: 'layout'; id: number; nodeCount: number; sources: Int32Array; targets: Int32Array; widths: Float64Array; heights: Float64Array }
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
  const { nodeCount, sources, targets, widths, heights } = raw;
  if (typeof nodeCount !== 'number' || !Number.isSafeInteger(nodeCount) || nodeCount < 0) return undefined;
  if (!(sources instanceof Int32Array) || !(targets instanceof Int32Array) || sources.length !== targets.length) return undefined;
  if (!(widths instanceof Float64Array) || widths.length !== nodeCount) return undefined;
  if (!(heights instanceof Float64Array) || heights.length !== nodeCount) return undefined;
  return { type: 'layout', id: raw.id, nodeCount, sources, targets, widths, heights };
}

function isLayout(v: unknown): v is GraphLayout {
  if (!isObj(v) || typeof v.nodeCount !== 'number' || typeof v.layerCount !== 'number') return false;
  const n = v.nodeCount;
  const k = v.layerCount;
  const f64 = (a: unknown, length?: number): boolean => a instanceof Float64Array && (length === undefined || a.length === length);
  const i32 = (a: unknown, length: number): boolean => a instanceof Int32Array && a.length === length;
  return (
    f64(v.x, n) &&
    f64(v.y, n) &&
    f64(v.w, n) &&
    f64(v.h, n) &&
    i32(v.layer, n) &&
    f64(v.layerTop, k) &&
    f64(v.layerHeight, k) &&
    i32(v.layerNodes, n) &&
    i32(v.layerStart, k + 1) &&
    v.routeStart instanceof Int32Array &&
    v.routeStart.length >= 1 &&
    f64(v.routeX, v.routeStart[v.routeStart.length - 1]) &&
    f64(v.routeY, v.routeStart[v.routeStart.length - 1]) &&
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
  const arrays = [
    layout.x,
    layout.y,
    layout.w,
    layout.h,
    layout.layer,
    layout.layerTop,
    layout.layerHeight,
    layout.layerNodes,
    layout.layerStart,
  ];
  return [...arrays, layout.routeStart, layout.routeX, layout.routeY].map((a) => a.buffer as ArrayBuffer);
}
