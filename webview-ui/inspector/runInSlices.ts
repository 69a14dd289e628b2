/**
 * Drives a generator (a layout, the build of a drawable graph) in time slices, one per macrotask, so whatever
 * thread runs it (the layout worker or the page) still handles messages and input between slices. Stops as
 * soon as `live()` turns false.
 */
import type { GraphLayout, LayoutProgress } from '../lib/graphLayout';

export interface SliceHandlers<P = LayoutProgress, R = GraphLayout> {
  /** The latest progress, after each slice that did not finish. */
  progress(p: P): void;
  done(result: R): void;
  failed(message: string): void;
}

export function runInSlices<P = LayoutProgress, R = GraphLayout>(
  steps: Generator<P, R, void>,
  sliceMs: number,
  live: () => boolean,
  on: SliceHandlers<P, R>,
): void {
  const slice = (): void => {
    if (!live()) return; // cancelled or superseded
    const end = performance.now() + sliceMs;
    let last: P | undefined;
    let finished: { value: R } | undefined;
    try {
      for (;;) {
        const r = steps.next();
        if (r.done) {
          finished = { value: r.value };
          break;
        }
        last = r.value;
        if (performance.now() >= end) break;
      }
    } catch (e) {
      on.failed(e instanceof Error ? e.message : String(e));
      return;
    }
    if (finished) return on.done(finished.value);
    if (last !== undefined) on.progress(last);
    setTimeout(slice, 0);
  };
  slice();
}
