#!/usr/bin/env node
/**
 * Benchmark: the inspector's graph layout (src/shared/graphLayout.ts) on synthetic model-like DAGs.
 * Goal: first paint of a 5,000-node graph <= 1.5 s (the layout is most of it; the webview runs the same
 * code in time slices). Also reports 20,000 nodes.
 *
 * Run after compiling: npx tsc -p tsconfig.test.json && node bench/graph-layout.mjs
 * Options (env): MLW_BENCH_RUNS (5), MLW_BENCH_SIZES (5000,20000).
 */
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { layoutGraph, layoutSteps } = require(join(ROOT, 'out/src/shared/graphLayout.js'));

const RUNS = Number(process.env.MLW_BENCH_RUNS ?? 5);
const SIZES = (process.env.MLW_BENCH_SIZES ?? '5000,20000').split(',').map(Number);
const GOAL_MS = 1500;

/** Deterministic PRNG so every run lays out the same graphs. */
function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/**
 * A transformer-ish DAG: a main chain of blocks with residual skips, branches that merge back (attention's
 * Q/K/V), a Constant/initializer-like source feeding some nodes, and a few long skip connections.
 */
function syntheticGraph(n, seed = 1) {
  const random = rng(seed);
  const sources = [];
  const targets = [];
  const widths = new Float64Array(n);
  const edge = (a, b) => {
    sources.push(a);
    targets.push(b);
  };
  let tail = 0;
  let v = 1;
  widths[0] = 80;
  while (v < n) {
    const kind = random();
    if (kind < 0.15 && v + 5 < n) {
      // fork of three branches joined again
      const fork = tail;
      const ends = [];
      for (let b = 0; b < 3 && v < n - 1; b++) {
        edge(fork, v);
        ends.push(v++);
      }
      const join = v++;
      for (const e of ends) edge(e, join);
      tail = join;
    } else if (kind < 0.3 && v + 1 < n) {
      // a constant feeding the next op
      const constant = v++;
      const op = v++;
      edge(tail, op);
      edge(constant, op);
      tail = op;
    } else {
      edge(tail, v);
      if (v > 20 && random() < 0.1) edge(v - 1 - Math.floor(random() * 20), v); // residual
      tail = v++;
    }
  }
  for (let i = 0; i < n; i++) widths[i] = widths[i] || 56 + Math.floor(random() * 12) * 7;
  return { nodeCount: n, sources: Int32Array.from(sources), targets: Int32Array.from(targets), widths };
}

/** Like the webview: time slices of 14 ms; reports the longest single step (what could block a frame). */
function sliced(input) {
  const steps = layoutSteps(input);
  let longest = 0;
  let slices = 0;
  for (;;) {
    const t0 = performance.now();
    const r = steps.next();
    longest = Math.max(longest, performance.now() - t0);
    if (r.done) return { longest, slices };
    slices++;
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`graph layout bench: node ${process.version}, ${RUNS} runs per size`);
let ok = true;
for (const n of SIZES) {
  const tBuild = performance.now();
  const input = syntheticGraph(n);
  const buildMs = performance.now() - tBuild;
  const times = [];
  let layout;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    layout = layoutGraph(input);
    times.push(performance.now() - t0);
  }
  const { longest, slices } = sliced(input);
  const med = median(times);
  const pass = n > 5000 || med <= GOAL_MS;
  ok &&= pass;
  console.log(
    `${String(n).padStart(6)} nodes ${String(input.sources.length).padStart(6)} edges: layout median ${med.toFixed(1)} ms ` +
      `(min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}), ${layout.layerCount} layers, ` +
      `${layout.width.toFixed(0)}x${layout.height.toFixed(0)} px; longest step ${longest.toFixed(1)} ms over ${slices} yields; ` +
      `graph build ${buildMs.toFixed(1)} ms${n === 5000 ? ` — goal <= ${GOAL_MS} ms: ${pass ? 'PASS' : 'FAIL'}` : ''}`,
  );
}
process.exitCode = ok ? 0 : 1;
