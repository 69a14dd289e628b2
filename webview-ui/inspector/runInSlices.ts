/**
 * Drives a layout generator in time slices, one per macrotask, so whatever thread runs it (the layout worker
 * or the page) still handles messages and input between slices. Stops as soon as `live()` turns false.
 */
import type { GraphLayout, LayoutProgress } from '../lib/graphLayout';

export interface SliceHandlers {
  /** The latest progress, after each slice that did not finish. */
  progress(p: LayoutProgress): void;
  done(layout: GraphLayout): void;
  failed(message: string): void;
}

export function runInSlices(
  steps: Generator<LayoutProgress, GraphLayout, void>,
  sliceMs: number,
  live: () => boolean,
  on: SliceHandlers,
): void {
  const slice = (): void => {
    if (!live()) return; // cancelled or superseded
    const end = performance.now() + sliceMs;
    let last: LayoutProgress | undefined;
    let layout: GraphLayout | undefined;
    try {
      for (;;) {
        const r = steps.next();
        if (r.done) {
          layout = r.value;
          break;
        }
        last = r.value;
        if (performance.now() >= end) break;
      }
    } catch (e) {
      on.failed(e instanceof Error ? e.message : String(e));
      return;
    }
    if (layout) return on.done(layout);
    if (last) on.progress(last);
    setTimeout(slice, 0);
  };
  slice();
}
