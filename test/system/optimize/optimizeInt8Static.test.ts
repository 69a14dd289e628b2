/**
 * mlw optimize --recipe int8-static on the torch exports (test/fixtures/python/optimize_models.py), through the built
 * CLI: calibration inputs written with numpy in the setup (a folder of one-sample .npy files and a
 * savez_compressed .npz for the CNN, a folder of .npz batches for the MLP, or the --eval inputs), min-max and
 * percentile calibration, per channel and per tensor; the variant passes python-onnx's checker, runs in
 * onnxruntime-node close to the original, agrees on top-1 and cosine in --json, and holds its weights in about a
 * quarter of the bytes. Without calibration data, on a quantised model, and on a model with nothing to quantise,
 * it refuses in one line, exits non-zero and leaves no file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { needs, SYSTEM_PYTHON } from '../../support/requires';
import {
  checkWithPythonOnnx,
  FAST,
  floatTensor,
  hasTorchStack,
  HOW_TO,
  mlw,
  runAsWritten,
  tempDir as tempDirFor,
  torchFixtures,
} from './optimizeFixtures';

interface M {
  path: string;
  weightBytes: number;
  p50Ms: number;
  recipe?: string;
  agreement?: { maxAbsDiff: number; cosine: number; top1: number | null };
  operatorsAdded?: { op: string }[];
  operatorsRemoved?: { op: string }[];
  classification?: { accuracy: number };
  verdict?: string;
}
type Report = { original: M; variants: M[] };

let data: string | undefined;
/** Calibration and evaluation inputs, written once with numpy. */
function inputs(): string {
  if (data) return data;
  const fx = torchFixtures();
  const dir = mkdtempSync(path.join(tmpdir(), 'mlw-int8-static-data-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const script = `
import numpy as np, os, sys
fx, out = sys.argv[1], sys.argv[2]
X = np.load(os.path.join(fx, 'digits_X.npy'))
os.makedirs(os.path.join(out, 'mlp_cal'))
for i in range(4):
    np.savez(os.path.join(out, 'mlp_cal', 'batch%d.npz' % i), features=X[i * 10:(i + 1) * 10])
rng = np.random.default_rng(0)
os.makedirs(os.path.join(out, 'cnn_cal'))
for i in range(32):
    np.save(os.path.join(out, 'cnn_cal', 'sample%02d.npy' % i), rng.standard_normal((1, 28, 28)).astype(np.float32))
np.savez_compressed(os.path.join(out, 'cnn_cal', 'more.npz'), image=rng.standard_normal((8, 1, 28, 28)))
np.save(os.path.join(out, 'cnn_eval.npy'), rng.standard_normal((64, 1, 28, 28)).astype(np.float32))
os.makedirs(os.path.join(out, 'empty_cal'))
`;
  execFileSync(SYSTEM_PYTHON, ['-c', script, fx, dir], { timeout: 60_000 });
  return (data = dir);
}

const tempDir = (t: { after: (fn: () => void) => void }): string => tempDirFor(t, 'mlw-int8-static-test-');

function quantised(t: { after: (fn: () => void) => void }, model: string, args: string[]): { report: Report; out: string } {
  const out = tempDir(t);
  const r = mlw('optimize', model, '--recipe', 'int8-static', '-o', out, '--json', ...FAST, ...args);
  assert.equal(r.code, 0, r.stderr);
  return { report: JSON.parse(r.stdout) as Report, out };
}

/** Weights in about a quarter of the bytes: per channel, the float32 scales of these small layers (10 to 32 channels) take their share. */
function assertQuantised(report: Report, what: string, minRatio = 3.5): M {
  const v = report.variants[0];
  assert.equal(v.recipe, 'int8-static');
  const a = v.agreement!;
  assert.ok(a.top1 !== null && a.top1 >= 0.98, `${what}: top-1 agreement ${a.top1}`);
  assert.ok(a.cosine >= 0.99, `${what}: cosine ${a.cosine}`);
  const ratio = report.original.weightBytes / v.weightBytes;
  assert.ok(ratio >= minRatio, `${what}: weights ${report.original.weightBytes} → ${v.weightBytes} (${ratio.toFixed(2)}×)`);
  assert.ok(
    v.operatorsAdded!.some((o) => o.op === 'QuantizeLinear') && v.operatorsAdded!.some((o) => o.op === 'DequantizeLinear'),
    `${what}: QDQ pairs added`,
  );
  assert.match(v.verdict!, /^int8-static: \d+\.\d× smaller, .*top-1 agreement \d+\.\d %/);
  const [checked] = checkWithPythonOnnx([v.path]);
  assert.ok(checked.ok, `${what}: ${checked.error}`);
  assert.equal(checked.metadata['mlw.optimize.recipe'], 'int8-static');
  return v;
}

test('cnn, min-max, per channel: calibrated on a folder of one-sample .npy files and an .npz; BatchNorm and Relu folded', async (t) => {
  if (!needs(t, 'python3-torch', hasTorchStack(), HOW_TO)) return;
  const d = inputs();
  const model = path.join(torchFixtures(), 'cnn.onnx');
  const { report, out } = quantised(t, model, [
    '--calibrate',
    path.join(d, 'cnn_cal'),
    '--eval',
    path.join(d, 'cnn_eval.npy'),
    '--per-channel',
  ]);
  const v = assertQuantised(report, 'cnn minmax', 3);
  assert.ok(
    v.operatorsRemoved!.some((o) => o.op === 'BatchNormalization'),
    'the quantised Conv took its BatchNormalization into its weights',
  );
  assert.ok(
    v.operatorsRemoved!.some((o) => o.op === 'Relu'),
    'a Relu went into its QuantizeLinear',
  );
  assert.deepEqual(readdirSync(out), ['cnn.int8-static.onnx'], 'no staging or temporary file left');
  const feeds = { image: floatTensor([4, 1, 28, 28]) };
  const reference = await runAsWritten(model, feeds);
  const variant = await runAsWritten(v.path, feeds);
  let dot = 0;
  let nx = 0;
  let ny = 0;
  for (let i = 0; i < reference.logits.length; i++) {
    dot += reference.logits[i] * variant.logits[i];
    nx += reference.logits[i] ** 2;
    ny += variant.logits[i] ** 2;
  }
  assert.ok(dot / Math.sqrt(nx * ny) > 0.99, `runs in onnxruntime-node close to the original: cosine ${dot / Math.sqrt(nx * ny)}`);
});

test('mlp, percentile, per tensor: calibrated on a folder of .npz batches, accuracy kept on the labelled digits', (t) => {
  if (!needs(t, 'python3-torch', hasTorchStack(), HOW_TO)) return;
  const d = inputs();
  const fx = torchFixtures();
  const { report } = quantised(t, path.join(fx, 'mlp.onnx'), [
    '--calibrate',
    path.join(d, 'mlp_cal'),
    '--calibration',
    'percentile',
    '--eval',
    path.join(fx, 'digits_X.npy'),
    '--labels',
    path.join(fx, 'digits_y.npy'),
  ]);
  const v = assertQuantised(report, 'mlp percentile');
  assert.ok(
    Math.abs(v.classification!.accuracy - report.original.classification!.accuracy) <= 0.02,
    `accuracy ${report.original.classification!.accuracy} → ${v.classification!.accuracy}`,
  );
});

test('mlp, min-max, per channel: without --calibrate it calibrates on the --eval inputs', (t) => {
  if (!needs(t, 'python3-torch', hasTorchStack(), HOW_TO)) return;
  const fx = torchFixtures();
  const { report } = quantised(t, path.join(fx, 'mlp.onnx'), ['--eval', path.join(fx, 'digits_X.npy'), '--per-channel']);
  assertQuantised(report, 'mlp minmax (eval)', 3);
});

test('refusals: no calibration data, an empty calibration folder, a quantised model, nothing to quantise', (t) => {
  if (!needs(t, 'python3-torch', hasTorchStack(), HOW_TO)) return;
  const d = inputs();
  const fx = torchFixtures();
  const work = tempDir(t);
  const out = path.join(work, 'out');
  const refuse = (args: string[], pattern: RegExp): void => {
    const r = mlw('optimize', ...args, '--recipe', 'int8-static', '-o', out, ...FAST);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line: ${r.stderr}`);
    assert.match(lines[0], pattern);
    assert.ok(!existsSync(out), `${args.join(' ')}: no output folder or file left`);
  };
  refuse([path.join(fx, 'mlp.onnx')], /^mlw optimize: int8-static needs calibration data: give --calibrate DIR .* or --eval/);
  refuse([path.join(fx, 'mlp.onnx'), '--calibrate', path.join(d, 'empty_cal')], /holds no \.npy or \.npz files/);
  refuse([path.join(fx, 'empty.onnx'), '--calibrate', path.join(d, 'mlp_cal')], /int8-static does not apply .*nothing to quantise/);
  const { report } = quantised(t, path.join(fx, 'mlp.onnx'), ['--calibrate', path.join(d, 'mlp_cal')]);
  refuse([report.variants[0].path, '--calibrate', path.join(d, 'mlp_cal')], /already quantised \(it has .*QuantizeLinear/);
});
