/**
 * The ONNX inspector's layout worker (webview-ui/inspector/layoutWorker.ts), bundled with esbuild as the
 * extension build does and run in a worker thread with the two members of the worker scope it uses: it answers
 * with the same layout as the page would compute, a newer job or a cancel stops an older one, and malformed
 * messages are dropped.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import { layoutGraph, type LayoutInput } from '../../../webview-ui/lib/graphLayout';
import { parseFromLayoutWorker, parseToLayoutWorker, type FromLayoutWorker } from '../../../webview-ui/inspector/layoutWorkerProtocol';

const ROOT = resolve(__dirname, '..', '..', '..', '..');
let dir: string;
let bundle: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-layout-worker-'));
  bundle = join(dir, 'inspectorLayout.worker.js');
  buildSync({
    entryPoints: [join(ROOT, 'webview-ui/inspector/layoutWorker.ts')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    outfile: bundle,
    logLevel: 'error',
  });
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** The bundle in a worker thread; every message it posts is collected. */
function startWorker(): {
  worker: Worker;
  received: FromLayoutWorker[];
  next: (id: number, type: FromLayoutWorker['type']) => Promise<FromLayoutWorker>;
} {
  const shim = `
    const { parentPort, workerData } = require('node:worker_threads');
    globalThis.self = {
      addEventListener: (type, listener) => parentPort.on(type, (data) => listener({ data })),
      postMessage: (message, transfer) => parentPort.postMessage(message, transfer),
    };
    require(workerData);`;
  const worker = new Worker(shim, { eval: true, workerData: bundle });
  const received: FromLayoutWorker[] = [];
  const waiters: { id: number; type: string; resolve: (m: FromLayoutWorker) => void }[] = [];
  worker.on('message', (raw: unknown) => {
    const m = parseFromLayoutWorker(raw);
    assert.ok(m, `the worker posted a malformed message: ${JSON.stringify(raw)?.slice(0, 200)}`);
    received.push(m);
    for (const w of waiters.filter((x) => x.id === m.id && x.type === m.type)) w.resolve(m);
  });
  const next = (id: number, type: FromLayoutWorker['type']) =>
    new Promise<FromLayoutWorker>((resolveMessage, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} for job ${id} within 20 s`)), 20_000);
      waiters.push({ id, type, resolve: (m) => (clearTimeout(timer), resolveMessage(m)) });
    });
  return { worker, received, next };
}

/** Layers of `width` nodes, each fed by two nodes of the layer above: slow enough to be cancelled mid-way. */
function wide(
  n: number,
  width: number,
): LayoutInput & { sources: Int32Array; targets: Int32Array; widths: Float64Array; heights: Float64Array } {
  const sources: number[] = [];
  const targets: number[] = [];
  for (let v = width; v < n; v++) {
    const base = Math.floor(v / width) * width - width;
    sources.push(base + ((v * 7) % width), base + ((v * 13 + 5) % width));
    targets.push(v, v);
  }
  return {
    nodeCount: n,
    sources: Int32Array.from(sources),
    targets: Int32Array.from(targets),
    widths: Float64Array.from({ length: n }, (_, i) => 56 + (i % 9) * 7),
    heights: Float64Array.from({ length: n }, (_, i) => 24 + (i % 3) * 14),
  };
}

test('the worker lays a graph out exactly as the page would', async () => {
  const { worker, next } = startWorker();
  try {
    const input = wide(3000, 60);
    worker.postMessage({ type: 'layout', id: 1, ...input });
    const done = await next(1, 'done');
    assert.equal(done.type, 'done');
    if (done.type !== 'done') return;
    const expected = layoutGraph(input);
    assert.equal(done.layout.nodeCount, 3000);
    assert.equal(done.layout.layerCount, expected.layerCount);
    assert.deepEqual(Array.from(done.layout.x), Array.from(expected.x));
    assert.deepEqual(Array.from(done.layout.y), Array.from(expected.y));
    assert.deepEqual(Array.from(done.layout.layerNodes), Array.from(expected.layerNodes));
    assert.deepEqual(Array.from(done.layout.h), Array.from(expected.h));
    assert.deepEqual(Array.from(done.layout.routeX), Array.from(expected.routeX));
    assert.ok(done.ms >= 0);
  } finally {
    await worker.terminate();
  }
});

test('a cancel or a newer job stops an older job; malformed messages are dropped', async () => {
  const { worker, received, next } = startWorker();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    const big = wide(60_000, 250); // ~100 ms of layout or more: many 40 ms slices
    const t0 = performance.now();
    worker.postMessage({ type: 'layout', id: 1, ...big });
    await next(1, 'done');
    const full = performance.now() - t0;

    worker.postMessage({ type: 'layout', id: 2, ...big });
    worker.postMessage({ type: 'cancel', id: 2 });
    await sleep(2 * full + 200);
    worker.postMessage({ type: 'layout', id: 3, ...big });
    worker.postMessage({ type: 'layout', id: 4, nodeCount: 2, sources: [0], targets: [1], widths: new Float64Array(2) }); // plain arrays
    worker.postMessage({
      type: 'layout',
      id: 5,
      nodeCount: 3,
      sources: new Int32Array([0]),
      targets: new Int32Array([1]),
      widths: new Float64Array(2),
    }); // widths too short
    worker.postMessage({
      type: 'layout',
      id: 6,
      nodeCount: 3,
      sources: new Int32Array([0, 1]),
      targets: new Int32Array([1, 2]),
      widths: new Float64Array(3),
      heights: new Float64Array(3),
    });
    const done = await next(6, 'done');
    assert.equal(done.type === 'done' && done.layout.layerCount, 3);
    await sleep(2 * full + 200);
    const finished = received.filter((m) => m.type !== 'progress').map((m) => `${m.type} ${m.id}`);
    assert.deepEqual(finished, ['done 1', 'done 6'], `full layout took ${full.toFixed(0)} ms`);
    const progress = received
      .filter((m) => m.type === 'progress' && m.id === 1)
      .map((m) => (m.type === 'progress' ? m.progress.fraction : NaN));
    assert.ok(
      progress.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= progress[i - 1])),
      `progress of job 1: ${progress.join(', ')}`,
    );
  } finally {
    await worker.terminate();
  }
});

test('message parsers accept what the two sides send and nothing else', () => {
  const input = {
    type: 'layout',
    id: 1,
    nodeCount: 2,
    sources: new Int32Array([0]),
    targets: new Int32Array([1]),
    widths: new Float64Array(2),
    heights: new Float64Array(2),
  };
  assert.deepEqual(parseToLayoutWorker(input), input);
  assert.equal(parseToLayoutWorker({ ...input, heights: undefined }), undefined);
  assert.equal(parseToLayoutWorker({ ...input, heights: new Float64Array(1) }), undefined);
  assert.deepEqual(parseToLayoutWorker({ type: 'cancel', id: 4 }), { type: 'cancel', id: 4 });
  assert.equal(parseToLayoutWorker({ type: 'cancel', id: 0 }), undefined);
  assert.equal(parseToLayoutWorker({ ...input, targets: new Int32Array(2) }), undefined);
  assert.equal(parseToLayoutWorker({ ...input, nodeCount: -1 }), undefined);
  assert.equal(parseToLayoutWorker({ ...input, type: 'eval' }), undefined);
  assert.equal(parseToLayoutWorker('layout'), undefined);

  const layout = layoutGraph({ nodeCount: 2, sources: [0], targets: [1] });
  assert.ok(parseFromLayoutWorker({ type: 'done', id: 1, layout, ms: 3 }));
  assert.equal(parseFromLayoutWorker({ type: 'done', id: 1, layout: { ...layout, x: [0, 0] }, ms: 3 }), undefined);
  assert.equal(parseFromLayoutWorker({ type: 'done', id: 1, layout: { ...layout, layerStart: new Int32Array(1) }, ms: 3 }), undefined);
  assert.equal(parseFromLayoutWorker({ type: 'done', id: 1, layout: { ...layout, h: undefined }, ms: 3 }), undefined);
  assert.equal(parseFromLayoutWorker({ type: 'done', id: 1, layout: { ...layout, routeX: new Float64Array(5) }, ms: 3 }), undefined);
  assert.deepEqual(parseFromLayoutWorker({ type: 'progress', id: 2, progress: { phase: 'order', fraction: 0.5, extra: 1 } }), {
    type: 'progress',
    id: 2,
    progress: { phase: 'order', fraction: 0.5 },
  });
  assert.equal(parseFromLayoutWorker({ type: 'progress', id: 2, progress: { phase: 'paint', fraction: 0.5 } }), undefined);
  assert.deepEqual(parseFromLayoutWorker({ type: 'failed', id: 3, message: 'boom' }), { type: 'failed', id: 3, message: 'boom' });
});
