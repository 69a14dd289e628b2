/**
 * `mlw try --input FILE` on real files and real torch exports (test/fixtures/python/try_models.py): an image through
 * a CNN gives torch's top-1 and probabilities on numpy's preprocessing of the same image, with the metadata's labels;
 * a segmentation-like model's mask is written as PNG and read back by PIL; identity models show the exact tensors fed
 * from an image (NHWC, BGR, 0-1), a WAV file (mono, resampled, the sr input set) and a CSV row; bad files give one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseNpy } from '../../../src/core/ort/parseNpy';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { pythonFixtureDir } from '../../support/pythonFixtureDir';

const ROOT = path.resolve(__dirname, '../../../..');
const MLW = path.resolve(__dirname, '../../../src/cli/mlw.js');
const SCRIPT = path.join(ROOT, 'test', 'fixtures', 'python', 'try_models.py');
const mlw = (...args: string[]) => spawnSync(process.execPath, [MLW, ...args], { encoding: 'utf8', timeout: 60_000 });

let stack: boolean | undefined;

function fixtures(t: import('node:test').TestContext): string | undefined {
  stack ??= existsSync(SYSTEM_PYTHON) && ['torch', 'onnx', 'numpy', 'PIL'].every(pythonHas);
  if (!needs(t, 'python3 with torch, onnx, numpy and PIL', stack, 'apt-get install python3-torch python3-onnx python3-pil'))
    return undefined;
  return pythonFixtureDir(SCRIPT, 'mlw-try-models', 180_000);
}

const npy = (file: string) => parseNpy(readFileSync(file), file);

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

interface Result {
  inputs: { name: string; shape: number[] }[];
  outputs: {
    name: string;
    shape: number[];
    topK?: { index: number; prob: number; label?: string }[][];
    labelsFrom?: string;
    scores?: string;
  }[];
  sources?: { input: string; kind: string; detail: string }[];
  saved?: { output: string; npy?: string; png?: string; scaling?: string }[];
}

test('a torch CNN on a PNG gives torch top-1 and probabilities on the same preprocessing, with metadata labels', (t) => {
  const d = fixtures(t);
  if (!d) return;
  const truth = JSON.parse(readFileSync(path.join(d, 'cnn.json'), 'utf8')) as { probs: number[]; top1: number; labels: string[] };
  const r = mlw('try', path.join(d, 'cnn.onnx'), '--input', path.join(d, 'photo.png'), '--preset', 'imagenet', '--json');
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as Result;
  const logits = result.outputs[0];
  assert.equal(logits.scores, 'logits');
  assert.equal(logits.labelsFrom, 'labels');
  const top = logits.topK![0];
  assert.equal(top[0].index, truth.top1);
  assert.equal(top[0].label, truth.labels[truth.top1]);
  for (const e of top)
    assert.ok(Math.abs(e.prob - truth.probs[e.index]) < 1e-4, `class ${e.index}: ${e.prob} vs torch ${truth.probs[e.index]}`);
  assert.match(result.sources![0].detail, /PNG 50x40 RGB, resized to 32x32 \(bilinear\), RGB NCHW, preset imagenet/);
  const text = mlw('try', path.join(d, 'cnn.onnx'), '--input', `image=${path.join(d, 'photo.png')}`);
  assert.equal(text.status, 0, text.stderr);
  assert.match(
    text.stdout,
    new RegExp(`top-5 \\(softmax of logits, labels from metadata 'labels'\\): #${truth.top1} ${truth.labels[truth.top1]} `),
  );
});

test('a segmentation-like mask is saved as PNG (read back by PIL as torch made it) and every output as .npy', (t) => {
  const d = fixtures(t);
  if (!d) return;
  const out = mkdtempSync(path.join(tmpdir(), 'mlw-try-seg-'));
  try {
    const r = mlw(
      'try',
      path.join(d, 'seg.onnx'),
      '--input',
      path.join(d, 'photo.png'),
      '--preset',
      '0-1',
      '--save-outputs',
      out,
      '--json',
    );
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as Result;
    assert.deepEqual(result.inputs[0].shape, [1, 3, 40, 50]);
    const saved = result.saved!.find((s) => s.output === 'mask')!;
    assert.equal(saved.png, path.join(out, 'mask.png'));
    assert.equal(saved.scaling, 'values in 0..1 × 255');
    const back = path.join(out, 'back.npy');
    execFileSync(SYSTEM_PYTHON, [
      '-c',
      `import numpy as np; from PIL import Image; im = Image.open('${saved.png}'); assert im.mode == 'L', im.mode; np.save('${back}', np.asarray(im))`,
    ]);
    const got = npy(back);
    const want = npy(path.join(d, 'seg_mask.npy'));
    assert.deepEqual(got.shape, [40, 50]);
    // torch's sigmoid and ORT's may differ in the last float bit, which can move a rounding by one level.
    assert.ok(maxAbsDiff(got.values as Uint8Array, want.values as Uint8Array) <= 1);
    assert.deepEqual(npy(saved.npy!).shape, [1, 1, 40, 50]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("the tensors fed from an image (NHWC, BGR, 0-1), a WAV (mono, 16 kHz, sr set) and a CSV row are numpy's", (t) => {
  const d = fixtures(t);
  if (!d) return;
  const out = mkdtempSync(path.join(tmpdir(), 'mlw-try-fed-'));
  try {
    let r = mlw(
      'try',
      path.join(d, 'nhwc.onnx'),
      '--input',
      path.join(d, 'photo.png'),
      '--preset',
      '0-1',
      '--order',
      'bgr',
      '--save-outputs',
      out,
      '--json',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.ok(
      maxAbsDiff(npy(path.join(out, 'image_out.npy')).values as Float32Array, npy(path.join(d, 'nhwc_bgr01.npy')).values as Float32Array) <
        1e-6,
    );
    assert.equal((JSON.parse(r.stdout) as Result).saved!.find((s) => s.output === 'image_out')?.png, path.join(out, 'image_out.png'));

    r = mlw('try', path.join(d, 'audio.onnx'), '--input', `audio=${path.join(d, 'tone.wav')}`, '--save-outputs', out, '--json');
    assert.equal(r.status, 0, r.stderr);
    const fed = npy(path.join(out, 'audio_out.npy'));
    const want = npy(path.join(d, 'tone_16000.npy'));
    assert.deepEqual(fed.shape, want.shape);
    assert.ok(maxAbsDiff(fed.values as Float32Array, want.values as Float32Array) < 1e-6);
    assert.deepEqual(Array.from(npy(path.join(out, 'sr_out.npy')).values as BigInt64Array), [16000n]);
    assert.match((JSON.parse(r.stdout) as Result).sources![0].detail, /2 channels mixed to mono, 44100 Hz, resampled to 16000 Hz/);

    r = mlw('try', path.join(d, 'table.onnx'), '--input', path.join(d, 'iris.csv'), '--row', '2', '--save-outputs', out);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(Array.from(npy(path.join(out, 'x_out.npy')).values as Float32Array), [6.2, 2.9, 4.3, 1.3].map(Math.fround));
    assert.match(r.stdout, /text columns left out: species/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('bad inputs give one line: a corrupt image, an unsupported WAV, text in a CSV row, a wrong extension', (t) => {
  const d = fixtures(t);
  if (!d) return;
  const bad = mkdtempSync(path.join(tmpdir(), 'mlw-try-bad-'));
  try {
    const png = readFileSync(path.join(d, 'photo.png'));
    writeFileSync(path.join(bad, 'broken.png'), png.subarray(0, png.length - 40));
    const alaw = Buffer.alloc(44);
    alaw.write('RIFF', 0);
    alaw.writeUInt32LE(36, 4);
    alaw.write('WAVEfmt ', 8);
    alaw.writeUInt32LE(16, 16);
    alaw.writeUInt16LE(6, 20);
    alaw.writeUInt16LE(1, 22);
    alaw.writeUInt32LE(8000, 24);
    alaw.writeUInt32LE(8000, 28);
    alaw.writeUInt16LE(1, 32);
    alaw.writeUInt16LE(8, 34);
    alaw.write('data', 36);
    writeFileSync(path.join(bad, 'alaw.wav'), alaw);
    writeFileSync(path.join(bad, 'x.bmp'), 'BM');
    const cases: [string, string[], RegExp][] = [
      ['cnn.onnx', [path.join(bad, 'broken.png')], /broken\.png: corrupt PNG: (chunk \w+ is truncated|CRC mismatch)/],
      ['audio.onnx', [`audio=${path.join(bad, 'alaw.wav')}`], /alaw\.wav: WAV encoding A-law \(format 0x0006, 8 bits\) is not supported/],
      ['table.onnx', [path.join(d, 'text.csv'), '--row', '2'], /text\.csv line 3, column "b": "six" is not a number/],
      ['cnn.onnx', [path.join(bad, 'x.bmp')], /x\.bmp: input files must be \.png, \.jpg, \.wav, \.csv, \.json or \.npy/],
    ];
    for (const [model, args, pattern] of cases) {
      const r = mlw('try', path.join(d, model), '--input', ...args);
      assert.equal(r.status, 1, r.stdout);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], pattern);
    }
  } finally {
    rmSync(bad, { recursive: true, force: true });
  }
});
