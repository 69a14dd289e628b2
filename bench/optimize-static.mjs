// mlw optimize --recipe int8-static on the torch exports of test/fixtures/python/optimize_models.py (the digits MLP,
// the CNN with BatchNorm, and the 6-layer Transformer encoder, d_model 256, sequence 128), calibrated on a few
// dozen samples written with numpy, min-max and percentile; prints weights, p50 against float32 (benchmarked
// interleaved in the same run), agreement and the verdict.
// Run by hand after `npm run build`: node bench/optimize-static.mjs [--runs N] [--batch N]. Needs Debian's
// python3-torch, python3-onnx, python3-numpy and python3-sklearn (/usr/bin/python3, or MLW_TEST_PYTHON).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PYTHON as python, ROOT as root, arg, torchFixtures } from './lib/torchFixtures.mjs';

const runs = arg('--runs', '200');
const batches = arg('--batch', '1,32').split(',');

const fixtures = torchFixtures();
const work = mkdtempSync(join(tmpdir(), 'mlw-optimize-static-bench-'));
try {
  // Calibration: 40 digits (in 4 .npz batches) for the MLP, 32 one-sample .npy images for the CNN, 16 sequences
  // for the encoder; evaluation: the 200 held-out digits, 64 other images, 8 other sequences.
  execFileSync(python, [
    '-c',
    `
import numpy as np, os, sys
fx, out = sys.argv[1], sys.argv[2]
X = np.load(os.path.join(fx, 'digits_X.npy'))
for d in ('mlp_cal', 'cnn_cal', 'enc_cal'):
    os.makedirs(os.path.join(out, d))
for i in range(4):
    np.savez(os.path.join(out, 'mlp_cal', 'b%d.npz' % i), features=X[i * 10:(i + 1) * 10])
rng = np.random.default_rng(0)
for i in range(32):
    np.save(os.path.join(out, 'cnn_cal', 's%02d.npy' % i), rng.standard_normal((1, 28, 28)).astype(np.float32))
np.save(os.path.join(out, 'cnn_eval.npy'), rng.standard_normal((64, 1, 28, 28)).astype(np.float32))
for i in range(16):
    np.savez(os.path.join(out, 'enc_cal', 's%02d.npz' % i), tokens=rng.standard_normal((1, 128, 256)).astype(np.float32))
np.save(os.path.join(out, 'enc_eval.npy'), rng.standard_normal((8, 128, 256)).astype(np.float32))
`,
    fixtures,
    work,
  ]);
  const cases = [
    { model: 'mlp', calibrate: 'mlp_cal', eval: join(fixtures, 'digits_X.npy'), extra: [] },
    { model: 'cnn', calibrate: 'cnn_cal', eval: join(work, 'cnn_eval.npy'), extra: [] },
    {
      model: 'transformer_large',
      calibrate: 'enc_cal',
      eval: join(work, 'enc_eval.npy'),
      extra: ['--dim', 'sequence=128'],
      batches: ['1'],
    },
  ];
  const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;
  let first = true;
  for (const c of cases) {
    for (const batch of c.batches ?? batches) {
      for (const [method, perChannel] of [
        ['minmax', true],
        ['percentile', true],
        ['minmax', false],
      ]) {
        const out = join(work, `${c.model}-${batch}-${method}-${perChannel}`);
        const args = [
          join(root, 'dist/mlw.js'),
          'optimize',
          join(fixtures, `${c.model}.onnx`),
          '--recipe',
          'int8-static',
          '-o',
          out,
          '--calibrate',
          join(work, c.calibrate),
          '--calibration',
          method,
          ...(perChannel ? ['--per-channel'] : []),
          '--eval',
          c.eval,
          '--batch',
          batch,
          '--runs',
          runs,
          '--json',
          ...c.extra,
        ];
        const t0 = performance.now();
        const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
        const wall = (performance.now() - t0) / 1000;
        if (r.status !== 0) throw new Error(r.stderr);
        const report = JSON.parse(r.stdout);
        if (first) {
          const m = report.measurement;
          console.log(
            `onnxruntime ${m.onnxruntime}, ${m.cores} cores, ${m.cpu}; ${m.benchmark.runs} runs per model, interleaved; sessions at level ${m.benchmark.graphOptimizationLevel}`,
          );
          first = false;
        }
        const o = report.original;
        const v = report.variants[0];
        const a = v.agreement;
        console.log(
          `${c.model.padEnd(17)} batch ${batch.padStart(2)} ${method.padEnd(10)} ${perChannel ? 'per-channel' : 'per-tensor '}  ` +
            `weights ${kib(o.weightBytes).padStart(10)} → ${kib(v.weightBytes).padStart(9)} (${(o.weightBytes / v.weightBytes).toFixed(2)}×)  ` +
            `p50 ${o.p50Ms.toFixed(3)} → ${v.p50Ms.toFixed(3)} ms (${(o.p50Ms / v.p50Ms).toFixed(2)}×)  ` +
            `cosine ${a.cosine.toFixed(5)}${a.top1 === null ? '' : `  top-1 ${(a.top1 * 100).toFixed(1)} %`}  ` +
            `on ${report.evaluation.samples} samples  (${wall.toFixed(1)} s)`,
        );
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
