/**
 * The inspector's layout worker (bundled to dist/webview/inspectorLayout.worker.js): runs the graph layout off
 * the page's thread. It works in slices of ~40 ms and yields between them, so a `cancel` or a newer `layout`
 * message is seen quickly; it posts progress after each slice and the finished layout with its buffers moved.
 */
import { layoutSteps } from '../lib/graphLayout';
import { layoutTransfer, parseToLayoutWorker, type FromLayoutWorker } from './layoutWorkerProtocol';
import { runInSlices } from './runInSlices';

/** The little of the worker global scope used here (the webview tsconfig has the DOM lib, not WebWorker). */
interface WorkerScope {
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: FromLayoutWorker, transfer?: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;
const SLICE_MS = 40;
let current = 0;

scope.addEventListener('message', (event) => {
  const message = parseToLayoutWorker(event.data);
  if (!message) return;
  if (message.type === 'cancel') {
    if (message.id === current) current = 0;
    return;
  }
  const id = message.id;
  const t0 = performance.now();
  current = id;
  const { nodeCount, sources, targets, widths, heights } = message;
  runInSlices(layoutSteps({ nodeCount, sources, targets, widths, heights }), SLICE_MS, () => id === current, {
    progress: (progress) => scope.postMessage({ type: 'progress', id, progress }),
    done: (layout) => {
      current = 0;
      scope.postMessage({ type: 'done', id, layout, ms: performance.now() - t0 }, layoutTransfer(layout));
    },
    failed: (text) => {
      current = 0;
      scope.postMessage({ type: 'failed', id, message: text });
    },
  });
});
