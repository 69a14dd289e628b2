/**
 * mlw optimize's weight-quantisation recipes through the built CLI on the torch exports of
 * test/fixtures/python/optimize_models.py: int8-dynamic (per tensor and per channel), int4-weights and int8-weights
 * on the MLP and the Transformer encoder, and int8-dynamic on the CNN's classifier. Every variant passes
 * python-onnx's checker, runs in onnxruntime-node, and meets its size ratio and cosine from --json; models with
 * nothing to quantise, models quantised already and block sizes the kernel does not run are refused in one line
 * and leave no file. Each run's workspace (its lineage) is a temporary folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { readModel } from '../../../src/core/onnx/readModel';
import { needs } from '../../support/requires';
import { attrInts, model as modelBytes, valueInfo } from '../../unit/onnx/protoWriter';
import {
  assertRefused,
  checkWithPythonOnnx,
  externalDataCopy,
  FAST,
  floatTensor,
  hasTorchStack,
  HOW_TO,
  maxAbsDiff,
  MLW,
  runAsWritten,
  sha256Of,
  tempDir as tempDirFor,
  torchFixtures,
  type CliResult,
} from './optimizeFixtures';

const tempDir = (t: { after: (fn: () => void) => void }): string => tempDirFor(t, 'mlw-quantize-test-');

/** The CLI run in `cwd` (its workspace). */
function mlwIn(cwd: string, ...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [MLW, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface M {
  path: string;
  weightBytes: number;
  nodes: number;
  p50Ms: number;
  recipe?: string;
  agreement?: { maxAbsDiff: number; cosine: number; top1: number | null };
  operatorsAdded?: { op: string }[];
  operatorsRemoved?: { op: string }[];
  verdict?: string;
}

interface Case {
  model: 'mlp' | 'transformer' | 'cnn';
  recipe: string;
  extra: string[];
  /** Least original/variant weight bytes. */
  ratio: number;
  cosine: number;
  added: string;
}

const INPUT = { mlp: ['features', [5, 64]], transformer: ['tokens', [2, 9, 32]], cnn: ['image', [3, 1, 28, 28]] } as const;
const DIMS = { mlp: [], transformer: ['--dim', 'sequence=9'], cnn: [] };

// Weight ratios: the float weights that stay (biases, LayerNorm) and the scales keep small models under 4×.
const cases: Case[] = [
  { model: 'mlp', recipe: 'int8-dynamic', extra: [], ratio: 3.5, cosine: 0.999, added: 'MatMulInteger' },
  { model: 'mlp', recipe: 'int8-dynamic', extra: ['--per-channel'], ratio: 3.3, cosine: 0.999, added: 'MatMulInteger' },
  { model: 'transformer', recipe: 'int8-dynamic', extra: [], ratio: 3.3, cosine: 0.999, added: 'DynamicQuantizeLinear' },
  { model: 'transformer', recipe: 'int8-dynamic', extra: ['--per-channel'], ratio: 3.0, cosine: 0.999, added: 'MatMulInteger' },
  { model: 'cnn', recipe: 'int8-dynamic', extra: [], ratio: 2.0, cosine: 0.999, added: 'MatMulInteger' },
  { model: 'mlp', recipe: 'int4-weights', extra: [], ratio: 5, cosine: 0.99, added: 'com.microsoft.MatMulNBits' },
  { model: 'mlp', recipe: 'int4-weights', extra: ['--block-size', '16'], ratio: 4.5, cosine: 0.99, added: 'com.microsoft.MatMulNBits' },
  { model: 'transformer', recipe: 'int4-weights', extra: [], ratio: 4.5, cosine: 0.99, added: 'com.microsoft.MatMulNBits' },
  { model: 'mlp', recipe: 'int8-weights', extra: ['--block-size', '64'], ratio: 2.5, cosine: 0.999, added: 'com.microsoft.MatMulNBits' },
  { model: 'transformer', recipe: 'int8-weights', extra: [], ratio: 3.0, cosine: 0.999, added: 'com.microsoft.MatMulNBits' },
];

for (const c of cases) {
  test(`${c.model}: ${c.recipe} ${c.extra.join(' ')} passes the checker, runs, and holds ≥ ${c.ratio}× smaller weights at cosine ≥ ${c.cosine}`, async (t) => {
    if (!needs(t, 'python3-torch', hasTorchStack(), HOW_TO)) return;
    const fx = torchFixtures();
    const work = tempDir(t);
    const out = path.join(work, 'out');
    const source = path.join(fx, `${c.model}.onnx`);
    const r = mlwIn(work, 'optimize', source, '--recipe', c.recipe, '-o', out, '--json', ...FAST, ...DIMS[c.model], ...c.extra);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { original: M; variants: M[] };
    const [v] = report.variants;
    assert.equal(v.recipe, c.recipe);
    assert.deepEqual(readdirSync(out), [`${c.model}.${c.recipe}.onnx`], 'the variant only: no staging folder left');
    const ratio = report.original.weightBytes / v.weightBytes;
    t.diagnostic(`weights ${ratio.toFixed(2)}× smaller, cosine ${v.agreement!.cosine.toFixed(6)}; ${v.verdict}`);
    assert.ok(ratio >= c.ratio, `weights ${report.original.weightBytes} → ${v.weightBytes}: ${ratio.toFixed(2)}×`);
    assert.ok(v.agreement!.cosine >= c.cosine, `cosine ${v.agreement!.cosine}`);
    if (c.model !== 'transformer') assert.ok(v.agreement!.top1! >= 0.9, `top-1 agreement ${v.agreement!.top1}`);
    assert.ok(
      v.operatorsAdded!.some((o) => o.op === c.added),
      `added: ${v.operatorsAdded!.map((o) => o.op).join(' ')}`,
    );
    const removed = v.operatorsRemoved!.map((o) => o.op);
    if (c.model === 'transformer') assert.ok(removed.includes('Gemm'), `removed: ${removed.join(' ')}`);
    else assert.deepEqual(removed, ['Gemm']);
    assert.match(v.verdict!, new RegExp(`^${c.recipe}: `));

    // python-onnx's checker and the lineage; the standard int8-dynamic form keeps to ai.onnx ops.
    const [checked] = checkWithPythonOnnx([v.path]);
    assert.ok(checked.ok, `${v.path}: ${checked.error}`);
    assert.equal(checked.metadata['mlw.optimize.recipe'], c.recipe);
    assert.equal(checked.metadata['mlw.optimize.parent_sha256'], sha256Of(source));
    if (c.recipe === 'int8-dynamic')
      assert.ok(
        checked.ops.every((op) => op.startsWith('ai.onnx:')),
        checked.ops.join(' '),
      );
    if (c.model === 'cnn') assert.ok(checked.ops.includes('ai.onnx:Conv'), 'the convolutions stay float');

    // It runs in onnxruntime-node as written, near the original.
    const [name, shape] = INPUT[c.model];
    const feeds = { [name]: floatTensor([...shape]) };
    const reference = Object.values(await runAsWritten(source, feeds))[0];
    const got = Object.values(await runAsWritten(v.path, feeds))[0];
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < reference.length; i++) {
      dot += reference[i] * got[i];
      na += reference[i] ** 2;
      nb += got[i] ** 2;
    }
    assert.ok(dot / Math.sqrt(na * nb) >= c.cosine, `cosine on fresh inputs ${dot / Math.sqrt(na * nb)}`);

    if (c.recipe !== 'int8-dynamic') {
      const blockSize = Number(c.extra[c.extra.indexOf('--block-size') + 1] ?? 32) || 32;
      const nbits = (await readModel(v.path)).graph.nodes.filter((n) => n.opType === 'MatMulNBits');
      assert.ok(nbits.length > 0);
      for (const n of nbits) {
        const attr = (a: string): number => Number(n.attributes.find((x) => x.name === a)?.i);
        assert.equal(attr('bits'), c.recipe === 'int4-weights' ? 4 : 8);
        assert.equal(attr('block_size'), c.extra.includes('--block-size') ? blockSize : 32);
        assert.equal(attr('accuracy_level'), 4);
      }
    }
  });
}

test('external data: the kept tensors are written inline, so the variant carries no copy of its parent data file', async (t) => {
  if (!needs(t, 'python3-torch', hasTorchStack(), HOW_TO)) return;
  const fx = torchFixtures();
  const work = tempDir(t);
  const { model: ext, out, moveData } = externalDataCopy(work);
  const r = mlwIn(work, 'optimize', ext, '--recipe', 'int8-dynamic', '-o', out, '--json', ...FAST);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(out), ['mlp_ext.int8-dynamic.onnx']);
  const feeds = { features: floatTensor([4, 64]) };
  const reference = await runAsWritten(path.join(fx, 'mlp.onnx'), feeds);
  moveData();
  const variant = await runAsWritten(path.join(out, 'mlp_ext.int8-dynamic.onnx'), feeds);
  assert.ok(maxAbsDiff(reference, variant) < 0.2, `max abs diff ${maxAbsDiff(reference, variant)}`);
  const [checked] = checkWithPythonOnnx([path.join(out, 'mlp_ext.int8-dynamic.onnx')]);
  assert.ok(checked.ok, checked.error ?? '');
});

test('refusals: nothing to quantise, quantised already, a block size the kernel does not run: one line, no file', (t) => {
  if (!needs(t, 'python3-torch', hasTorchStack(), HOW_TO)) return;
  const fx = torchFixtures();
  const work = tempDir(t);
  const out = path.join(work, 'out');
  const conv = path.join(work, 'conv.onnx');
  writeFileSync(
    conv,
    modelBytes({
      opsets: [['', 14]],
      graph: {
        nodes: [{ opType: 'MaxPool', inputs: ['x'], outputs: ['y'], attributes: [attrInts('kernel_shape', [2, 2])] }],
        inputs: [valueInfo('x', 1, [1, 1, 4, 4])],
        outputs: [valueInfo('y', 1, [1, 1, 2, 2])],
      },
    }),
  );
  // An int8-dynamic variant to feed back in.
  const quantized = path.join(work, 'q');
  const first = mlwIn(work, 'optimize', path.join(fx, 'mlp.onnx'), '--recipe', 'int8-dynamic', '-o', quantized, '--json', ...FAST);
  assert.equal(first.code, 0, first.stderr);
  const variant = path.join(quantized, 'mlp.int8-dynamic.onnx');
  const mlp = path.join(fx, 'mlp.onnx');
  const expectations: [string[], RegExp][] = [
    [
      [conv, '--recipe', 'int8-dynamic'],
      /^mlw optimize: int8-dynamic does not apply to conv\.onnx: it has no MatMul or Gemm: there is nothing to quantise$/,
    ],
    [[conv, '--recipe', 'int4-weights'], /^mlw optimize: int4-weights does not apply to conv\.onnx: it has no MatMul or Gemm/],
    [
      [path.join(fx, 'empty.onnx'), '--recipe', 'int8-weights'],
      /^mlw optimize: int8-weights does not apply to empty\.onnx: it has no MatMul or Gemm/,
    ],
    [
      [variant, '--recipe', 'int8-dynamic'],
      /^mlw optimize: int8-dynamic does not apply to mlp\.int8-dynamic\.onnx: it is quantised already \(it has (DynamicQuantizeLinear|MatMulInteger), /,
    ],
    [
      [variant, '--recipe', 'int4-weights'],
      /^mlw optimize: int4-weights does not apply to mlp\.int8-dynamic\.onnx: it is quantised already/,
    ],
    // The first recipe's result is staged, then refused by the second: nothing is left.
    [
      [mlp, '--recipe', 'int8-dynamic,int4-weights'],
      /^mlw optimize: int4-weights does not apply after int8-dynamic: it is quantised already/,
    ],
    [
      [mlp, '--recipe', 'int4-weights', '--block-size', '24'],
      /^mlw optimize: int4-weights failed on mlp\.onnx: --block-size 24 is not one ONNX Runtime's CPU MatMulNBits kernel runs \(16, 32, 64, 128, 256\)$/,
    ],
    [
      [mlp, '--recipe', 'int8-weights', '--block-size', '512'],
      /^mlw optimize: int8-weights failed on mlp\.onnx: --block-size 512 is not one/,
    ],
  ];
  for (const [args, pattern] of expectations) assertRefused(mlwIn(work, 'optimize', ...args, '-o', out), args.join(' '), pattern, out);
});
