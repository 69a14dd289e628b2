/**
 * Runs the layout generator in time slices so the page stays responsive on large graphs.
 * Starting a new run cancels the one before; `cancel()` stops it.
 */
import { layoutSteps, type GraphLayout, type LayoutInput, type LayoutProgress } from '../../src/shared/graphLayout';

const SLICE_MS = 14;

export class LayoutRunner {
  private run = 0;

  start(input: LayoutInput, onProgress: (p: LayoutProgress) => void, onDone: (layout: GraphLayout, ms: number) => void): void {
    const id = ++this.run;
    const steps = layoutSteps(input);
    const t0 = performance.now();
    const slice = (): void => {
      if (id !== this.run) return; // cancelled
      const end = performance.now() + SLICE_MS;
      let last: LayoutProgress | undefined;
      for (;;) {
        const r = steps.next();
        if (r.done) {
          this.run++;
          onDone(r.value, performance.now() - t0);
          return;
        }
        last = r.value;
        if (performance.now() >= end) break;
      }
      onProgress(last);
      setTimeout(slice, 0);
    };
    slice();
  }

  cancel(): void {
    this.run++;
  }
}
