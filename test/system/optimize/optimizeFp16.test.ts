/**
 * mlw optimize --recipe fp16 through the built CLI on the torch exports (test/fixtures/python/optimize_models.py):
 * the MLP, the CNN with BatchNorm nodes and the Transformer encoder each get a variant whose float32 weights are
 * now float16 (half the bytes), with float32 inputs and outputs kept, that passes python-onnx's checker, runs in
 * onnxruntime-node and agrees with the original (cosine ≥ 0.999 from --json); the MLP with external data gets a
 * self-contained variant; and models fp16 does not apply to are refused in one line, leaving no file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { needs } from '../../support/requires';
import { model, valueInfo } from '../../unit/onnx/protoWriter';
import {
  assertRefused,
  checkWithPythonOnnx,
  externalDataCopy,
  FAST,
  floatTensor,
  hasTorchStack,
  HOW_TO,
  mlw,
  runAsWritten,
  sha256Of,
  tempDir as tempDirFor,
  torchFixtures,
} from './optimizeFixtures';

const tempDir = (t: { after: (fn: () => void) => void }): string => tempDirFor(t, 'mlw-fp16-test-');

interface M {
  path: string;
  weightBytes: number;
  weightBytesByDtype: Record<string, number>;
  nodes: number;
  p50Ms: number;
  recipe?: string;
  agreement?: { maxAbsDiff: number; cosine: number; top1: number | null };
  operatorsAdded?: { op: string }[];
  verdict?: string;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

const cases = [
  { name: 'mlp', feed: 'features', input: [5, 64], extra: [] as string[] },
  { name: 'cnn', feed: 'image', input: [3, 1, 28, 28], extra: [] },
  { name: 'transformer', feed: 'tokens', input: [2, 9, 32], extra: ['--dim', 'sequence=9'] },
];

for (const c of cases) {
  test(`${c.name}: fp16 halves the weights, keeps float32 inputs and outputs, passes the checker and agrees`, async (t) => {
    if (!needs(t, 'python3-torch', hasTorchStack(), HOW_TO)) return;
    const fx = torchFixtures();
    const out = tempDir(t);
    const source = path.join(fx, `${c.name}.onnx`);
    const r = mlw('optimize', source, '--recipe', 'fp16', '-o', out, '--json', ...FAST, ...c.extra);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { original: M; variants: M[] };
    const [v] = report.variants;
    assert.equal(v.recipe, 'fp16');
    assert.equal(path.basename(v.path), `${c.name}.fp16.onnx`);
    const float = report.original.weightBytesByDtype.float;
    assert.equal(v.weightBytesByDtype.float, undefined, 'no float32 weight left');
    assert.equal(v.weightBytesByDtype.float16, float / 2);
    const ratio = v.weightBytes / report.original.weightBytes;
    assert.ok(Math.abs(ratio - 0.5) <= 0.01, `weight bytes ${report.original.weightBytes} -> ${v.weightBytes} (${ratio})`);
    assert.ok(v.agreement!.cosine >= 0.999, `cosine ${v.agreement!.cosine}`);
    if (c.name !== 'transformer') assert.equal(v.agreement!.top1, 1);
    assert.match(v.verdict!, /^fp16: \d+\.\d× smaller, \d+\.\d× (faster|slower) p50, cosine 0?\.?\d/);
    assert.deepEqual(readdirSync(out), [`${c.name}.fp16.onnx`], 'one file, no staging folder, no data file');

    const [checked] = checkWithPythonOnnx([v.path]);
    assert.ok(checked.ok, checked.error ?? '');
    assert.equal(checked.metadata['mlw.optimize.recipe'], 'fp16');
    assert.equal(checked.metadata['mlw.optimize.parent_sha256'], sha256Of(source));

    const feeds = { [c.feed]: floatTensor(c.input) };
    const reference = await runAsWritten(source, feeds);
    const variant = await runAsWritten(v.path, feeds);
    for (const [name, want] of Object.entries(reference)) {
      assert.equal(variant[name]?.length, want.length, name);
      assert.ok(cosine(want, variant[name]) >= 0.999, `${name}: cosine ${cosine(want, variant[name])}`);
    }
  });
}

test('external data: the fp16 variant holds its weights itself and loads without its parent', async (t) => {
  if (!needs(t, 'python3-torch', hasTorchStack(), HOW_TO)) return;
  const { model: ext, out, moveData } = externalDataCopy(tempDir(t));
  const r = mlw('optimize', ext, '--recipe', 'fp16', '-o', out, '--json', ...FAST);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { original: M; variants: M[] };
  assert.deepEqual(readdirSync(out), ['mlp_ext.fp16.onnx']);
  assert.equal(report.variants[0].weightBytes, report.original.weightBytes / 2);
  assert.ok(report.variants[0].agreement!.cosine >= 0.999);
  const feeds = { features: floatTensor([4, 64]) };
  const reference = await runAsWritten(ext, feeds);
  moveData();
  const variant = await runAsWritten(report.variants[0].path, feeds);
  assert.ok(cosine(reference.logits, variant.logits) >= 0.999);
  const [checked] = checkWithPythonOnnx([report.variants[0].path]);
  assert.ok(checked.ok, checked.error ?? '');
});

test('fp16 refuses models it does not apply to in one line, with a non-zero exit and no file', (t) => {
  if (!needs(t, 'python3-torch', hasTorchStack(), HOW_TO)) return;
  const fx = torchFixtures();
  const work = tempDir(t);
  const ints = path.join(work, 'ints.onnx');
  writeFileSync(
    ints,
    model({
      graph: {
        nodes: [{ opType: 'Add', inputs: ['x', 'b'], outputs: ['y'] }],
        initializers: [{ name: 'b', dataType: 7, dims: [1], int64Data: [1] }],
        inputs: [valueInfo('x', 7, [1])],
        outputs: [valueInfo('y', 7, [1])],
      },
    }),
  );
  // An fp16 variant, made in a folder of its own, is the already-float16 case.
  const made = mlw('optimize', path.join(fx, 'mlp.onnx'), '--recipe', 'fp16', '-o', path.join(work, 'half'), '--json', ...FAST);
  assert.equal(made.code, 0, made.stderr);
  const half = path.join(work, 'half', 'mlp.fp16.onnx');
  const out = path.join(work, 'out');
  const expectations: [string, RegExp][] = [
    [half, /^mlw optimize: fp16 does not apply to mlp\.fp16\.onnx: its weights are already float16$/],
    [ints, /^mlw optimize: fp16 does not apply to ints\.onnx: it has no float32 weights to convert$/],
    [path.join(fx, 'empty.onnx'), /^mlw optimize: fp16 does not apply to empty\.onnx: the graph has no nodes/],
  ];
  for (const [modelPath, pattern] of expectations)
    assertRefused(mlw('optimize', modelPath, '--recipe', 'fp16', '-o', out), modelPath, pattern, out);
  assert.deepEqual(readdirSync(work).sort(), ['half', 'ints.onnx']);
  assert.deepEqual(readdirSync(path.join(work, 'half')), ['mlp.fp16.onnx']);
});
