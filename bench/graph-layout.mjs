#!/usr/bin/env node
/**
 * Benchmark: the inspector's graph layout (webview-ui/lib/graphLayout.ts).
 *
 * 1. Layout time on synthetic model-like DAGs. Goal: first paint of a 5,000-node graph <= 1.5 s (the
 *    layout is most of it).
 * 2. UI-thread blocking, before/after moving the layout to a Web Worker, for the largest graph of the ONNX
 *    corpus (libonnx-testdata, boxes as the inspector draws them) and big synthetic graphs:
 *    - "page": the fallback the webview used before, the layout generator in 14 ms slices on this thread;
 *    - "worker": the built worker bundle (dist/webview/inspectorLayout.worker.js) in a worker thread, this
 *      thread only sends the graph and receives the layout.
 *    Reported: wall time to the finished layout, main-thread busy time (event-loop utilisation: what a page
 *    could not spend on input and painting) and the longest single block of the main thread.
 *
 * Run after building: npm run build && npx tsc -p tsconfig.test.json && node bench/graph-layout.mjs
 * Options (env): MLW_BENCH_RUNS (5), MLW_BENCH_SIZES (5000,20000,100000), MLW_BENCH_CORPUS (/usr/share/libonnx-testdata/data).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { layoutGraph, layoutSteps } = require(join(ROOT, 'out/webview-ui/lib/graphLayout.js'));
// The transformer-like chain the layout's unit tests also use.
const { rng, transformerLikeGraph: syntheticGraph } = require(join(ROOT, 'out/test/support/syntheticGraphs.js'));

const RUNS = Number(process.env.MLW_BENCH_RUNS ?? 5);
const SIZES = (process.env.MLW_BENCH_SIZES ?? '5000,20000,100000').split(',').map(Number);
const CORPUS = process.env.MLW_BENCH_CORPUS ?? '/usr/share/libonnx-testdata/data';
const WORKER_BUNDLE = join(ROOT, 'dist/webview/inspectorLayout.worker.js');
const GOAL_MS = 1500;

/**
 * What a reader sees of a layout: how far the last node (the output) lands beside the first (the input),
 * the drawing's width against its widest layer, the share of edges drawn straight down, and how many long
 * edges are routed between the boxes.
 */
function quality(input, l) {
  let widest = 0;
  for (let k = 0; k < l.layerCount; k++) {
    let w = 0;
    for (let i = l.layerStart[k]; i < l.layerStart[k + 1]; i++) w += l.w[l.layerNodes[i]] + 24;
    widest = Math.max(widest, w);
  }
  let straight = 0;
  let routed = 0;
  let long = 0;
  for (let e = 0; e < input.sources.length; e++) {
    const [a, b] = [input.sources[e], input.targets[e]];
    if (Math.abs(l.x[a] - l.x[b]) < 1e-6) straight++;
    if (l.layer[b] - l.layer[a] > 1) {
      long++;
      if (l.routeStart[e + 1] > l.routeStart[e]) routed++;
    }
  }
  const drift = Math.abs(l.x[input.nodeCount - 1] - l.x[0]);
  return `output ${drift.toFixed(0)} px beside the input; width ${l.width.toFixed(0)} px (widest layer ${widest.toFixed(0)} px); ${((100 * straight) / input.sources.length).toFixed(1)} % of edges straight; ${routed} of ${long} long edges routed`;
}

/**
 * A wide DAG (ensembles, multi-branch vision models, unrolled loops): layers of about `width` nodes, each
 * node fed by two or three nodes of the layer above. Barycentre ordering costs the most on such graphs.
 */
function wideGraph(n, width, seed = 2) {
  const random = rng(seed);
  const sources = [];
  const targets = [];
  for (let v = width; v < n; v++) {
    const base = Math.floor(v / width) * width - width;
    const fanIn = 2 + Math.floor(random() * 2);
    for (let k = 0; k < fanIn; k++) {
      sources.push(base + Math.floor(random() * width));
      targets.push(v);
    }
  }
  const widths = Float64Array.from({ length: n }, () => 56 + Math.floor(random() * 12) * 7);
  return { nodeCount: n, sources: Int32Array.from(sources), targets: Int32Array.from(targets), widths };
}

/** The corpus model with the most boxes, as the inspector builds them (webview-ui/lib/graphModel.ts). */
async function largestCorpusGraph() {
  if (!existsSync(CORPUS)) return undefined;
  const { loadInspectorState } = require(join(ROOT, 'out/src/features/models/inspectorState.js'));
  const esbuild = require('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'mlw-bench-'));
  let buildDrawGraph;
  try {
    const outfile = join(dir, 'graphModel.cjs');
    esbuild.buildSync({
      entryPoints: [join(ROOT, 'webview-ui/lib/graphModel.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile,
      logLevel: 'error',
    });
    ({ buildDrawGraph } = require(outfile));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const models = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'model.onnx') models.push(p);
    }
  };
  walk(CORPUS);
  let best;
  for (const path of models) {
    try {
      const { state } = await loadInspectorState(path);
      const nodes = state.graph.nodes.length;
      if (!best || nodes > best.nodes) best = { path, nodes, graph: state.graph };
    } catch {
      // the corpus has a few models the reader rejects on purpose; they have no graph to lay out
    }
  }
  if (!best) return undefined;
  const draw = buildDrawGraph(best.graph, undefined);
  return {
    name: `largest of ${models.length} corpus models`,
    model: best.path.slice(CORPUS.length + 1, -'/model.onnx'.length),
    input: { nodeCount: draw.boxes.length, sources: draw.sources, targets: draw.targets, widths: draw.widths, heights: draw.heights },
  };
}

/**
 * Measures the main thread while `work` runs: event-loop busy time, and its longest block, seen by a
 * heartbeat timer that re-arms itself (a page's input and paint would wait that long).
 */
async function onMainThread(work) {
  let longest = 0;
  let last = performance.now();
  let beating = true;
  const beat = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (beating) setTimeout(beat, 0);
  };
  setTimeout(beat, 0);
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const result = await work();
  const wall = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  beating = false;
  await new Promise((r) => setTimeout(r, 2));
  return { result, wall, busy: elu.active, longest: Math.max(longest, performance.now() - last - 2) };
}

/** The page fallback, as webview-ui/inspector/layoutRunner.ts runs it: 14 ms slices, one per macrotask. */
function layoutOnPage(input) {
  return new Promise((resolveLayout) => {
    const steps = layoutSteps(input);
    const slice = () => {
      const end = performance.now() + 14;
      for (;;) {
        const r = steps.next();
        if (r.done) return resolveLayout(r.value);
        if (performance.now() >= end) break;
      }
      setTimeout(slice, 0);
    };
    slice();
  });
}

/** The built worker bundle in a worker thread, with the two members of `self` it uses. */
function startWorker() {
  const shim = `
    const { parentPort, workerData } = require('node:worker_threads');
    globalThis.self = {
      addEventListener: (type, listener) => parentPort.on(type, (data) => listener({ data })),
      postMessage: (message, transfer) => parentPort.postMessage(message, transfer),
    };
    require(workerData);`;
  const worker = new Worker(shim, { eval: true, workerData: WORKER_BUNDLE });
  let id = 0;
  return {
    layout(input) {
      const job = ++id;
      return new Promise((resolveLayout, reject) => {
        const onMessage = (m) => {
          if (m.id !== job || m.type === 'progress') return;
          worker.off('message', onMessage);
          if (m.type === 'done') resolveLayout(m.layout);
          else reject(new Error(m.message));
        };
        worker.on('message', onMessage);
        worker.postMessage({
          type: 'layout',
          id: job,
          nodeCount: input.nodeCount,
          sources: input.sources,
          targets: input.targets,
          widths: input.widths,
          heights: input.heights ?? new Float64Array(input.nodeCount).fill(28),
        });
      });
    },
    stop: () => worker.terminate(),
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f1 = (ms) => ms.toFixed(1).padStart(7);
console.log(`graph layout bench: node ${process.version}, ${RUNS} runs per graph`);

// ---- 1. layout time
let ok = true;
for (const n of SIZES) {
  const input = syntheticGraph(n);
  const times = [];
  let layout;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    layout = layoutGraph(input);
    times.push(performance.now() - t0);
  }
  const med = median(times);
  const pass = n > 5000 || med <= GOAL_MS;
  ok &&= pass;
  console.log(
    `${String(n).padStart(6)} nodes ${String(input.sources.length).padStart(6)} edges: layout median ${med.toFixed(1)} ms ` +
      `(min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}), ${layout.layerCount} layers, ` +
      `${layout.width.toFixed(0)}x${layout.height.toFixed(0)} px${n === 5000 ? ` — goal <= ${GOAL_MS} ms: ${pass ? 'PASS' : 'FAIL'}` : ''}`,
  );
  console.log(`        ${quality(input, layout)}`);
}

// ---- 2. UI-thread blocking, page slices vs worker
if (!existsSync(WORKER_BUNDLE)) {
  console.log(`\nUI-thread blocking: skipped, ${WORKER_BUNDLE} is missing (run npm run build)`);
} else {
  const graphs = [];
  const tScan = performance.now();
  const corpus = await largestCorpusGraph();
  if (corpus) {
    graphs.push(corpus);
    console.log(`\nlargest corpus graph: ${corpus.model}, ${corpus.input.nodeCount} boxes`);
  } else console.log(`(no corpus at ${CORPUS}: synthetic graphs only)`);
  const scanMs = performance.now() - tScan;
  for (const n of SIZES) graphs.push({ name: `synthetic chain-like ${n}`, input: syntheticGraph(n) });
  for (const n of SIZES) graphs.push({ name: `synthetic wide ${n}`, input: wideGraph(n, Math.round(Math.sqrt(n) * 2)) });
  console.log(
    `\nUI-thread blocking (median of ${RUNS}; busy = main-thread event-loop active time; corpus scan ${(scanMs / 1000).toFixed(1)} s)`,
  );
  console.log('graph                                           boxes  edges | where   wall ms  busy ms  longest block ms');
  const worker = startWorker();
  await worker.layout(syntheticGraph(50)); // started and warm, as after the first graph in a webview
  for (const { name, input } of graphs) {
    for (const [where, run] of [
      ['page', () => layoutOnPage(input)],
      ['worker', () => worker.layout(input)],
    ]) {
      const samples = [];
      for (let i = 0; i < RUNS; i++) samples.push(await onMainThread(run));
      const check = samples[0].result;
      if (check.nodeCount !== input.nodeCount) throw new Error(`${where}: layout of ${check.nodeCount} nodes, expected ${input.nodeCount}`);
      console.log(
        `${name.padEnd(46)} ${String(input.nodeCount).padStart(6)} ${String(input.sources.length).padStart(6)} | ${where.padEnd(6)} ` +
          `${f1(median(samples.map((s) => s.wall)))}  ${f1(median(samples.map((s) => s.busy)))}  ${f1(median(samples.map((s) => s.longest)))}`,
      );
    }
  }
  await worker.stop();
}
process.exitCode = ok ? 0 : 1;
