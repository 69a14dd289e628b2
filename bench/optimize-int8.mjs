// The weight-quantisation recipes on a torch-exported Transformer encoder (6 layers, d_model 256, 4 heads,
// feed-forward 1024, sequence 128; the export bench/optimize.mjs makes), printing figures:
//  1. `mlw optimize --recipe int8-dynamic` (per tensor and --per-channel), `int4-weights` and `int8-weights`, each
//     in a run of its own with the original (interleaved benchmark, sessions at ORT's default level 'all', as a
//     deployment loads them), against the goals: int8-dynamic weights ≥ 3.5× smaller, p50 ≥ 1.5× faster, cosine ≥ 0.99.
//  2. The candidate int8-dynamic forms side by side in one interleaved run at the levels disabled, extended and all:
//     the standard DynamicQuantizeLinear + MatMulInteger + Cast + Mul (the recipe's form) and com.microsoft
//     DynamicQuantizeMatMul emitted directly, per tensor and per channel; and MatMulNBits at accuracy_level 0 and 4.
//     This part bundles the recipes' planning code from src/ with esbuild, so it measures the working tree.
// Run by hand after `npm run build`: node bench/optimize-int8.mjs [--runs N] [--cli PATH]. Needs Debian's
// python3-torch, python3-onnx and python3-sklearn (/usr/bin/python3, or MLW_TEST_PYTHON).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { ROOT as root, arg, torchFixtures } from './lib/torchFixtures.mjs';

const runs = arg('--runs', '200');
const cli = resolve(arg('--cli', join(root, 'dist/mlw.js')));

const fixtures = torchFixtures();
const model = join(fixtures, 'transformer_large.onnx');
const out = mkdtempSync(join(tmpdir(), 'mlw-optimize-int8-bench-'));
const mb = (b) => `${(b / 1048576).toFixed(2)} MiB`;

try {
  // 1. The recipes through the CLI.
  const recipes = [
    ['int8-dynamic', []],
    ['int8-dynamic', ['--per-channel']],
    ['int4-weights', []],
    ['int8-weights', []],
  ];
  let header = false;
  for (const [recipe, extra] of recipes) {
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [
        cli,
        'optimize',
        model,
        '--recipe',
        recipe,
        ...extra,
        '-o',
        join(out, `${recipe}${extra.join('')}`),
        '--dim',
        'sequence=128',
        '--runs',
        runs,
        '--json',
      ],
      { encoding: 'utf8', maxBuffer: 64 << 20, cwd: out },
    );
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(r.stderr);
    const report = JSON.parse(r.stdout);
    const b = report.measurement.benchmark;
    if (!header) {
      console.log(`onnxruntime ${report.measurement.onnxruntime}, ${report.measurement.cores} cores, ${report.measurement.cpu}`);
      console.log(
        `mlw optimize: ${b.runs} runs per model interleaved in ${b.rounds} rounds of ${b.burst}, input ${b.inputs.map((i) => `${i.name}[${i.shape}]`).join(', ')}, sessions at level ${b.graphOptimizationLevel}`,
      );
      header = true;
    }
    const o = report.original;
    const [v] = report.variants;
    const size = o.weightBytes / v.weightBytes;
    const speed = o.p50Ms / v.p50Ms;
    const cosine = v.agreement.cosine;
    console.log(
      `${`${recipe} ${extra.join(' ')}`.padEnd(27)} weights ${mb(o.weightBytes)} → ${mb(v.weightBytes)} (${size.toFixed(2)}×)  ` +
        `p50 ${o.p50Ms.toFixed(2)} → ${v.p50Ms.toFixed(2)} ms (${speed.toFixed(2)}× faster)  p99 ${o.p99Ms.toFixed(2)} → ${v.p99Ms.toFixed(2)} ms  ` +
        `cosine ${cosine.toFixed(6)}  max abs ${v.agreement.maxAbsDiff.toExponential(2)}  create ${v.sessionCreateMs.toFixed(0)} ms  ` +
        `peak RSS ${mb(v.peakRssBytes)}  (${wall.toFixed(1)} s)`,
    );
    if (recipe === 'int8-dynamic') {
      const goal = (ok, text) => `${ok ? 'met' : 'MISSED'}: ${text}`;
      console.log(
        `  goals: ${goal(size >= 3.5, `weights ≥ 3.5× smaller (${size.toFixed(2)}×)`)}; ${goal(speed >= 1.5, `p50 ≥ 1.5× faster (${speed.toFixed(2)}×)`)}; ` +
          `${goal(cosine >= 0.99, `cosine ≥ 0.99 (${cosine.toFixed(4)})`)}`,
      );
    }
  }

  // 2. The candidate forms, planned by the working tree's code, in one interleaved run per level.
  const bundle = join(out, 'plan.cjs');
  await esbuild.build({
    stdin: {
      contents: `export { rewriteModelFile } from './src/core/onnx/edit';
        export { planInt8Dynamic } from './src/core/optimize/int8DynamicRecipe';
        export { planWeightOnly } from './src/core/optimize/weightOnlyRecipe';`,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: bundle,
    logLevel: 'warning',
  });
  const { rewriteModelFile, planInt8Dynamic, planWeightOnly } = createRequire(import.meta.url)(bundle);
  const ort = createRequire(join(root, 'package.json'))('onnxruntime-node');
  const candidates = [
    ['float32', undefined],
    ['onnx per tensor', (m) => planInt8Dynamic(m, { form: 'onnx' })],
    ['onnx per channel', (m) => planInt8Dynamic(m, { form: 'onnx', perChannel: true })],
    ['DQMatMul per tensor', (m) => planInt8Dynamic(m, { form: 'com.microsoft' })],
    ['DQMatMul per channel', (m) => planInt8Dynamic(m, { form: 'com.microsoft', perChannel: true })],
    ['NBits 4 level 0', (m) => planWeightOnly(m, { bits: 4, accuracyLevel: 0 })],
    ['NBits 4 level 4', (m) => planWeightOnly(m, { bits: 4, accuracyLevel: 4 })],
    ['NBits 8 level 0', (m) => planWeightOnly(m, { bits: 8, accuracyLevel: 0 })],
    ['NBits 8 level 4', (m) => planWeightOnly(m, { bits: 8, accuracyLevel: 4 })],
  ];
  const files = [];
  for (const [i, [name, plan]] of candidates.entries()) {
    const path = plan ? join(out, `candidate${i}.onnx`) : model;
    if (plan) await rewriteModelFile(model, path, plan);
    files.push({ name, path, size: statSync(path).size });
  }
  const timed = Math.max(20, Math.round(Number(runs) / 4));
  console.log(`\ncandidate forms: ${timed} runs each, interleaved, tokens[1,128,256], one session per model and level`);
  let s = 7;
  const data = Float32Array.from({ length: 128 * 256 }, () => ((s = (s * 1103515245 + 12345) % 2147483648), (s / 2147483648) * 2 - 1));
  const feeds = { tokens: new ort.Tensor('float32', data, [1, 128, 256]) };
  for (const level of ['disabled', 'extended', 'all']) {
    const sessions = [];
    for (const f of files)
      sessions.push(
        await ort.InferenceSession.create(f.path, { graphOptimizationLevel: level, executionProviders: ['cpu'], logSeverityLevel: 3 }),
      );
    const outputs = [];
    for (const x of sessions) outputs.push((await x.run(feeds))[x.outputNames[0]].data);
    for (let w = 0; w < 5; w++) for (const x of sessions) await x.run(feeds);
    const times = sessions.map(() => []);
    for (let r = 0; r < timed; r++)
      for (const [i, x] of sessions.entries()) {
        const t = performance.now();
        await x.run(feeds);
        times[i].push(performance.now() - t);
      }
    const p50 = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    const base = p50(times[0]);
    for (const [i, f] of files.entries()) {
      const [a, b] = [outputs[0], outputs[i]];
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let j = 0; j < a.length; j++) {
        dot += a[j] * b[j];
        na += a[j] * a[j];
        nb += b[j] * b[j];
      }
      console.log(
        `  ${level.padEnd(9)} ${f.name.padEnd(21)} file ${mb(f.size).padStart(10)}  p50 ${p50(times[i]).toFixed(2).padStart(6)} ms  ` +
          `${(base / p50(times[i])).toFixed(2)}× vs float32  cosine ${(dot / Math.sqrt(na * nb)).toFixed(6)}`,
      );
    }
    for (const x of sessions) await x.release();
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
