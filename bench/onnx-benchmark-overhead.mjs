// Harness overhead of benchmarkModel against a bare `await session.run(feeds)` loop on the same model and feeds.
// Goal: the harness's time per run is within 2 % of the bare loop's.
//
// Usage: npx tsc -p tsconfig.test.json && node bench/onnx-benchmark-overhead.mjs [model.onnx ...] [--rounds N]
// Default models: the corpus Conv2d (~15 µs a run) and the torch CNN of test/system/onnx-torch (exported with
// /usr/bin/python3 into a temporary folder when no path is given). Each round times a bare loop and a
// benchmarkModel call of the same number of runs, in alternating order, so drift (thermal, other load on a
// shared machine) hits both; the overhead is the median of the rounds' paired ratios, in wall time and in CPU
// time (process.cpuUsage around the timed loops; with one intra-op thread ORT runs on the calling thread). On a
// loaded machine the CPU-time ratio is the steadier figure: waiting for a core inflates both loops' wall time
// at random, not the work they do.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rt = require(join(root, 'out/src/core/ort/index.js'));
const { summarizeModel } = require(join(root, 'out/src/core/onnx/index.js'));

const args = process.argv.slice(2);
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(args.splice(roundsAt, 2)[1]) : 21;
const threads = 1;
const ROUND_MS = 150;

/** The CNN of test/fixtures/python/export_torch_models.py, exported into a temporary folder. */
function exportTorchCnn() {
  const python = '/usr/bin/python3';
  if (!existsSync(python)) return { skipped: `${python} is missing` };
  const dir = mkdtempSync(join(tmpdir(), 'mlw-bench-torch-'));
  const r = spawnSync(python, [join(root, 'test/fixtures/python/export_torch_models.py'), dir], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return {
      skipped: `torch export failed (needs python3-torch and python3-onnx): ${(r.stderr || r.error?.message || '').trim().split('\n').at(-1)}`,
    };
  }
  return { path: join(dir, 'cnn.onnx'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function measure(model) {
  const { session } = await rt.createSession(model, { intraOpThreads: threads });
  const feeds = rt.makeInputs(await summarizeModel(model), { seed: 1 });
  // Warm up and size the rounds to ~ROUND_MS of runs.
  for (let i = 0; i < 50; i++) await session.run(feeds);
  const t = performance.now();
  for (let i = 0; i < 200; i++) await session.run(feeds);
  const estimate = (performance.now() - t) / 200;
  const runs = Math.max(100, Math.round(ROUND_MS / estimate));

  const cpuMs = (usage) => (usage.user + usage.system) / 1000;
  const bare = async () => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) await session.run(feeds);
    const wall = (performance.now() - t0) / runs;
    return { wall, cpu: cpuMs(process.cpuUsage(c0)) / runs };
  };
  const harness = async () => {
    // The forced progress reports at the end of the warm-up and of the timed loop bracket the loop.
    let c0;
    let cpu = Number.NaN;
    const onProgress = (p) => {
      if (p.phase === 'warmup' && p.done === p.total) c0 = process.cpuUsage();
      else if (p.phase === 'measure' && p.done === p.total && c0) cpu = cpuMs(process.cpuUsage(c0)) / runs;
    };
    const r = await rt.benchmarkModel(model, { warmup: 50, runs, intraOpThreads: threads, feeds, onProgress });
    return { mean: r.mean, wall: 1000 / r.throughput, cpu };
  };

  const bareMs = [];
  const bareCpu = [];
  const controlMs = [];
  const controlCpu = [];
  const meanMs = [];
  const wallMs = [];
  const cpu = [];
  for (let round = 0; round < rounds; round++) {
    // A second bare loop is the control: its ratio to the first (an A/A comparison) is the noise floor.
    let b;
    let h;
    let c;
    if (round % 2 === 0) {
      b = await bare();
      h = await harness();
      c = await bare();
    } else {
      c = await bare();
      h = await harness();
      b = await bare();
    }
    controlMs.push(c.wall);
    controlCpu.push(c.cpu);
    bareMs.push(b.wall);
    bareCpu.push(b.cpu);
    meanMs.push(h.mean);
    wallMs.push(h.wall);
    cpu.push(h.cpu);
  }
  await session.release();
  return { runs, bareMs, bareCpu, controlMs, controlCpu, meanMs, wallMs, cpu };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(3)} ms`);
const pct = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)} %`;

const models = args.length
  ? args.map((path) => ({ path }))
  : [{ path: '/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d/model.onnx' }, exportTorchCnn()];
console.log(`benchmark harness overhead: ${rounds} rounds per model, intra-op threads ${threads}, node ${process.version}`);
let worst = -Infinity;
for (const m of models) {
  if (!m.path) {
    console.log(`\ntorch CNN: skipped, ${m.skipped}`);
    continue;
  }
  try {
    const { runs, bareMs, bareCpu, controlMs, controlCpu, meanMs, wallMs, cpu } = await measure(m.path);
    const wallRatio = median(wallMs.map((w, i) => w / bareMs[i] - 1));
    const meanRatio = median(meanMs.map((w, i) => w / bareMs[i] - 1));
    const cpuRatio = median(cpu.map((c, i) => c / bareCpu[i] - 1));
    worst = Math.max(worst, cpuRatio);
    console.log(`\nmodel ${m.path}: ${runs} runs a round`);
    console.log(`  bare session.run loop        ${fmt(median(bareMs))} per run`);
    console.log(`  benchmarkModel mean latency  ${fmt(median(meanMs))} per run   overhead ${pct(meanRatio)} (median of paired rounds)`);
    console.log(
      `  benchmarkModel wall / run    ${fmt(median(wallMs))} per run   overhead ${pct(wallRatio)} (median of paired rounds)   goal ≤ 2 %`,
    );
    console.log(
      `  CPU time: bare ${fmt(median(bareCpu))}, benchmarkModel ${fmt(median(cpu))} per run   overhead ${pct(cpuRatio)} (median of paired rounds)   goal ≤ 2 %`,
    );
    const noiseWall = median(controlMs.map((c, i) => c / bareMs[i] - 1));
    const noiseCpu = median(controlCpu.map((c, i) => c / bareCpu[i] - 1));
    console.log(`  noise floor (bare vs bare, A/A): wall ${pct(noiseWall)}, CPU ${pct(noiseCpu)}`);
    console.log(`  paired wall ratios: ${wallMs.map((w, i) => pct(w / bareMs[i] - 1)).join(', ')}`);
    console.log(`  paired CPU ratios:  ${cpu.map((c, i) => pct(c / bareCpu[i] - 1)).join(', ')}`);
  } finally {
    m.cleanup?.();
  }
}
if (worst > -Infinity) console.log(`\nworst CPU-time overhead ${pct(worst)}: ${worst <= 0.02 ? 'PASS' : 'FAIL'} (goal ≤ 2 %)`);
process.exitCode = worst <= 0.02 ? 0 : 1;
