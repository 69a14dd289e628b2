/**
 * Keyboard moves over a laid-out graph: up to a producer, down to a consumer (the one nearest in x, so a
 * straight chain is followed), left and right to the neighbours in the same layer. Pure: no DOM.
 */
import type { GraphLayout } from './graphLayout';

export type GraphMove = 'up' | 'down' | 'left' | 'right';

export interface GraphEdges {
  /** Edge i goes from box sources[i] to box targets[i]. */
  sources: ArrayLike<number>;
  targets: ArrayLike<number>;
}

/** The box a move from `from` lands on; `from` itself when there is none that way. */
export function moveInGraph(layout: GraphLayout, edges: GraphEdges, from: number, move: GraphMove): number {
  if (from < 0 || from >= layout.nodeCount) return from;
  if (move === 'left' || move === 'right') {
    const k = layout.layer[from];
    const start = layout.layerStart[k];
    const end = layout.layerStart[k + 1];
    for (let i = start; i < end; i++) {
      if (layout.layerNodes[i] !== from) continue;
      const j = move === 'left' ? i - 1 : i + 1;
      return j >= start && j < end ? layout.layerNodes[j] : from;
    }
    return from;
  }
  const [near, far] = move === 'up' ? [edges.targets, edges.sources] : [edges.sources, edges.targets];
  let best = from;
  let bestDx = Infinity;
  for (let e = 0; e < near.length; e++) {
    const v = far[e];
    if (near[e] !== from || v === from || v < 0 || v >= layout.nodeCount) continue;
    const dx = Math.abs(layout.x[v] - layout.x[from]);
    if (dx < bestDx || (dx === bestDx && v < best)) {
      best = v;
      bestDx = dx;
    }
  }
  return best;
}

/** The box nearest world point (x, y): where the keyboard starts when nothing is selected; -1 for an empty graph. */
export function nearestBox(layout: GraphLayout, x: number, y: number): number {
  let best = -1;
  let bestD = Infinity;
  for (let v = 0; v < layout.nodeCount; v++) {
    const d = Math.hypot(layout.x[v] - x, layout.y[v] + layout.h[v] / 2 - y);
    if (d < bestD) {
      best = v;
      bestD = d;
    }
  }
  return best;
}
