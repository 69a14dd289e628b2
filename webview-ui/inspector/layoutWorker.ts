/**
 * The inspector's layout worker (bundled to dist/webview/inspectorLayout.worker.js): runs the graph layout off
 * the page's thread. It works in slices of ~40 ms and yields between them, so a `cancel` or a newer `layout`
 * message is seen quickly; it posts progress after each slice and the finished layout with its buffers moved.
 */
import { layoutSteps, type GraphLayout, type LayoutProgress } from '../../src/shared/graphLayout';
import { layoutTransfer, parseToLayoutWorker, type FromLayoutWorker } from './layoutWorkerProtocol';

/** The little of the worker global scope used here (the webview tsconfig has the DOM lib, not WebWorker). */
interface WorkerScope {
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: FromLayoutWorker, transfer?: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;
const SLICE_MS = 40;
let current = 0;

function run(id: number, steps: Generator<LayoutProgress, GraphLayout, void>, t0: number): void {
  if (id !== current) return; // cancelled or superseded
  const end = performance.now() + SLICE_MS;
  let last: LayoutProgress | undefined;
  try {
    for (;;) {
      const r = steps.next();
      if (r.done) {
        current = 0;
        scope.postMessage({ type: 'done', id, layout: r.value, ms: performance.now() - t0 }, layoutTransfer(r.value));
        return;
      }
      last = r.value;
      if (performance.now() >= end) break;
    }
  } catch (e) {
    current = 0;
    scope.postMessage({ type: 'failed', id, message: e instanceof Error ? e.message : String(e) });
    return;
  }
  if (last) scope.postMessage({ type: 'progress', id, progress: last });
  setTimeout(() => run(id, steps, t0), 0);
}

scope.addEventListener('message', (event) => {
  const message = parseToLayoutWorker(event.data);
  if (!message) return;
  if (message.type === 'cancel') {
    if (message.id === current) current = 0;
    return;
  }
  current = message.id;
  const { nodeCount, sources, targets, widths } = message;
  run(message.id, layoutSteps({ nodeCount, sources, targets, widths }), performance.now());
});
