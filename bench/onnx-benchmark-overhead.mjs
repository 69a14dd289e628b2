// Harness overhead of benchmarkModel against a bare `await session.run(feeds)` loop on the same model and feeds.
// Goal: the harness's mean latency is within 2 % of the bare loop's.
// Usage: npx tsc -p tsconfig.test.json && node bench/onnx-benchmark-overhead.mjs [model.onnx] [runs] [rounds]
// Default model: the corpus Conv2d; the two loops alternate in rounds so drift (thermal, other load) hits both.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rt = require(join(root, 'out/src/core/onnx/runtime/index.js'));
const { summarizeModel } = require(join(root, 'out/src/core/onnx/index.js'));

const model = process.argv[2] ?? '/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d/model.onnx';
const runs = Number(process.argv[3] ?? 2000);
const rounds = Number(process.argv[4] ?? 9);
const threads = 1;

const session = await rt.createSession(model, { intraOpThreads: threads });
const feeds = rt.makeInputs(await summarizeModel(model), { seed: 1 });
for (let i = 0; i < 50; i++) await session.run(feeds);

async function bare() {
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await session.run(feeds);
  return (performance.now() - t0) / runs;
}

async function harness() {
  const r = await rt.benchmarkModel(model, { warmup: 50, runs, intraOpThreads: threads, feeds, onProgress: () => {} });
  return { mean: r.mean, wall: 1000 / r.throughput, p50: r.p50, p99: r.p99 };
}

const bareMs = [];
const harnessMs = [];
const harnessWall = [];
for (let round = 0; round < rounds; round++) {
  bareMs.push(await bare());
  const h = await harness();
  harnessMs.push(h.mean);
  harnessWall.push(h.wall);
}
await session.release();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const best = (xs) => Math.min(...xs);
const b = median(bareMs);
const h = median(harnessMs);
const w = median(harnessWall);
const fmt = (ms) => `${(ms * 1000).toFixed(1)} µs`;
console.log(`model ${model}`);
console.log(`${rounds} rounds × ${runs} runs, intra-op threads ${threads}, node ${process.version}`);
console.log(`bare session.run loop       ${fmt(b)} per run   (rounds: ${bareMs.map(fmt).join(', ')})`);
console.log(`benchmarkModel mean latency ${fmt(h)} per run   overhead ${(((h - b) / b) * 100).toFixed(2)} %`);
console.log(`benchmarkModel wall / run   ${fmt(w)} per run   overhead ${(((w - b) / b) * 100).toFixed(2)} %   (goal ≤ 2 %)`);
// The best round of each is the least disturbed by other processes on a shared machine.
const bb = best(bareMs);
const hb = best(harnessWall);
console.log(`best rounds: bare ${fmt(bb)}, harness wall ${fmt(hb)}, overhead ${(((hb - bb) / bb) * 100).toFixed(2)} %`);
