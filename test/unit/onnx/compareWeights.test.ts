/**
 * Weight comparison (compareWeights, compareModelFiles) and `mlw diff`: two models written by Debian's python3-onnx
 * with the same graph and changed float32, float16, int8, int64, float64 (double_data), external-data and Constant
 * tensors, one reshaped, one added, one removed, against the differences numpy computes; synthetic models for NaN,
 * strings and undecoded types; and every corpus model compared with a copy of itself.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { compareModelFiles } from '../../../src/core/onnx/compareModelFiles';
import { DataType } from '../../../src/core/onnx/dataTypes';
import { encodeFloat16 } from '../../../src/core/onnx/float16';
import { CORPUS_DIR, hasCorpus, needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { listCorpusModels, REPO_ROOT } from './corpus';
import { attrTensor, f32, model, type TensorSpec } from './protoWriter';
import { tempDir, type TempDir } from './tempFiles';

const PAIR_SCRIPT = join(REPO_ROOT, 'test/fixtures/onnx_weight_pair.py');
const MLW = resolve(REPO_ROOT, 'out/src/cli/mlw.js');
const mlw = (...args: string[]) => spawnSync(process.execPath, [MLW, ...args], { encoding: 'utf8', timeout: 120_000 });

interface Figures {
  maxAbsDiff: number;
  maxRelDiff: number;
  changedElements: number;
  elements: number;
}
interface Truth {
  changed: Record<string, Figures>;
  added: string[];
  removed: string[];
  reshaped: string[];
  unchanged: string[];
}

let dir: TempDir;
let truth: Truth | undefined;
let havePython = false;
before(async () => {
  dir = await tempDir('mlw-onnx-wdiff-');
  havePython = pythonHas('onnx') && pythonHas('numpy');
  if (havePython) truth = JSON.parse(execFileSync(SYSTEM_PYTHON, [PAIR_SCRIPT, dir.path], { encoding: 'utf8', timeout: 120_000 })) as Truth;
});
after(async () => {
  await dir.remove();
});

const python = (t: TestContext): boolean =>
  needs(t, "Debian's python3-onnx and python3-numpy", havePython, 'apt-get install python3-onnx python3-numpy');

describe('compareWeights on models written by python3-onnx', () => {
  for (const chunkBytes of [undefined, 4096]) {
    it(`finds exactly the changed, reshaped, added and removed tensors with numpy's max differences (chunk ${chunkBytes ?? 'default'})`, async (t) => {
      if (!python(t) || truth === undefined) return;
      const c = await compareModelFiles(join(dir.path, 'a/model.onnx'), join(dir.path, 'b/model.onnx'), { chunkBytes });
      const weights = c.weights ?? [];
      const numeric = weights.filter((w) => w.change === 'changed' && w.before === undefined);
      assert.deepEqual(numeric.map((w) => w.name).sort(), Object.keys(truth.changed).sort());
      for (const w of numeric) {
        const expected: Figures = truth.changed[w.name];
        assert.deepEqual(
          { maxAbsDiff: w.maxAbsDiff, maxRelDiff: w.maxRelDiff, changedElements: w.changedElements, elements: w.elements },
          expected,
          w.name,
        );
      }
      // Sorted by max abs difference, largest first.
      assert.deepEqual(
        numeric.map((w) => w.name),
        Object.entries(truth.changed)
          .sort((x, y) => y[1].maxAbsDiff - x[1].maxAbsDiff)
          .map(([name]) => name),
      );
      const byName = new Map(weights.map((w) => [w.name, w]));
      assert.deepEqual(byName.get('shape'), {
        name: 'shape',
        change: 'changed',
        dtype: 'float',
        shape: [3, 2],
        elements: 6,
        before: { dtype: 'float', shape: [2, 3] },
        maxAbsDiff: null,
        maxRelDiff: null,
        changedElements: null,
        note: 'shape changed',
      });
      assert.deepEqual(
        weights.filter((w) => w.change === 'added').map((w) => [w.name, w.dtype, w.shape]),
        [['new', 'float', [4]]],
      );
      assert.deepEqual(
        weights.filter((w) => w.change === 'removed').map((w) => [w.name, w.dtype, w.shape]),
        [['gone', 'float', [5]]],
      );
      for (const name of truth.unchanged) assert.equal(byName.has(name), false, `${name} is unchanged`);
      assert.deepEqual(byName.get('w16')?.dtype, 'float16');
      assert.deepEqual(byName.get('q8')?.dtype, 'int8');
      const s = c.weightsSummary;
      assert.ok(s);
      // 10 initializers with the same name (w32 w16 q8 i64 big same same_ext shape dbl) + the Constant c.
      assert.equal(s.compared, 10);
      assert.equal(s.unchanged, 2);
      assert.deepEqual([s.changed, s.added, s.removed], [8, 1, 1]);
      assert.deepEqual(s.errors, []);
      assert.ok(c.lines.includes('weights: 8 of 10 tensors with the same name changed, 1 added, 1 removed'), c.lines.join('\n'));
      assert.ok(c.lines.some((l) => /^weight big float\[600,500\]: max abs diff 1\.43, max rel diff 2, 3 of 300000 elements$/.test(l)));
    });
  }

  it('a model compared with itself, or with a copy of itself and its external data, has no differences', async (t) => {
    if (!python(t)) return;
    const a = join(dir.path, 'a/model.onnx');
    const copy = join(dir.path, 'copy');
    mkdirSync(copy, { recursive: true });
    copyFileSync(a, join(copy, 'model.onnx'));
    copyFileSync(join(dir.path, 'a/weights.bin'), join(copy, 'weights.bin'));
    for (const other of [a, join(copy, 'model.onnx')]) {
      const c = await compareModelFiles(a, other);
      assert.deepEqual(c.weights, []);
      assert.deepEqual(c.lines, []);
      assert.equal(c.weightsSummary?.unchanged, 11);
    }
  });
});

describe('mlw diff', () => {
  const ready = (t: TestContext): boolean => needs(t, 'out/src/cli/mlw.js', existsSync(MLW), 'npm run compile-tests') && python(t);

  it('--json lists the weights that differ and exits 1; identical models exit 0', (t) => {
    if (!ready(t) || truth === undefined) return;
    const a = join(dir.path, 'a/model.onnx');
    const r = mlw('diff', a, join(dir.path, 'b/model.onnx'), '--json');
    assert.equal(r.status, 1, r.stderr);
    const out = JSON.parse(r.stdout) as {
      identical: boolean;
      sameSignature: boolean;
      weights: { name: string; change: string; maxAbsDiff: number | null; dtype: string; shape: number[] }[];
    };
    assert.equal(out.identical, false);
    assert.equal(out.sameSignature, true);
    for (const [name, figures] of Object.entries(truth.changed)) {
      assert.equal(out.weights.find((w) => w.name === name)?.maxAbsDiff, figures.maxAbsDiff, name);
    }
    assert.deepEqual(
      out.weights.map((w) => `${w.change} ${w.name}`).filter((x) => !x.startsWith('changed')),
      ['added new', 'removed gone'],
    );
    const same = mlw('diff', a, a);
    assert.equal(same.status, 0, same.stderr);
    assert.match(same.stdout, /Identical: same structure and the same values in all 11 weight tensors\./);
  });

  it('prints a readable table of the weights', (t) => {
    if (!ready(t)) return;
    const r = mlw('diff', join(dir.path, 'a/model.onnx'), join(dir.path, 'b/model.onnx'));
    assert.equal(r.status, 1, r.stderr);
    // The reshaped (6 elements both), added (4) and removed (5) tensors change the parameter count by -1.
    assert.match(r.stdout, /^Structure:\n {2}parameters: 302096 -> 302095 \(-1\)$/m);
    assert.match(r.stdout, /^ {2}changed +i64 +int64\[6\] +12345 +5e-8 +1\/6$/m);
    assert.match(r.stdout, /^Weights: 8 of 10 tensors with the same name changed, 1 added, 1 removed/m);
    assert.match(r.stdout, /^ {2}changed +big +float\[600,500\] +1\.43 +2 +3\/300000$/m);
    assert.match(r.stdout, /^ {2}changed +shape +float\[2,3\] -> float\[3,2\]$/m);
    assert.match(r.stdout, /^ {2}removed +gone +float\[5\]$/m);
  });

  it('exits 2 on a missing file, a file that is not ONNX, and a weight it cannot read', (t) => {
    if (!ready(t)) return;
    const a = join(dir.path, 'a/model.onnx');
    const missing = mlw('diff', a, join(dir.path, 'nope.onnx'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^mlw diff: no such file: .*nope\.onnx$/m);
    const text = join(dir.path, 'notes.txt');
    writeFileSync(text, 'hello, not a model\n');
    const notOnnx = mlw('diff', text, a);
    assert.equal(notOnnx.status, 2);
    assert.match(notOnnx.stderr, /is not an ONNX model/);
    // B's external data file is gone: its external tensors cannot be read.
    const broken = join(dir.path, 'broken');
    mkdirSync(broken, { recursive: true });
    copyFileSync(a, join(broken, 'model.onnx'));
    const r = mlw('diff', a, join(broken, 'model.onnx'), '--json');
    assert.equal(r.status, 2);
    const out = JSON.parse(r.stdout) as { weightsSummary: { errors: { name: string }[] } };
    assert.deepEqual(out.weightsSummary.errors.map((e) => e.name).sort(), ['big', 'same_ext']);
    assert.match(r.stderr, /2 weight tensors could not be read/);
    assert.equal(mlw('diff', a).status, 2, 'one path is a usage error');
  });
});

describe('compareWeights on synthetic models', () => {
  const write = async (name: string, initializers: TensorSpec[], constant?: TensorSpec): Promise<string> =>
    dir.write(
      name,
      model({
        graph: {
          initializers,
          nodes: constant ? [{ opType: 'Constant', outputs: ['k'], attributes: [attrTensor('value', constant)] }] : [],
        },
      }),
    );
  const half = (values: number[]): Uint8Array => new Uint8Array(Uint16Array.from(values.map(encodeFloat16)).buffer);

  it('NaN equals NaN, NaN on one side is a change; strings, float16 in int32_data, bfloat16 and float8 are compared', async () => {
    const bf16 = (values: number[]): Uint8Array =>
      new Uint8Array(Uint16Array.from(values.map((v) => new Uint32Array(Float32Array.from([v]).buffer)[0] >>> 16)).buffer);
    const a = await write(
      'syn-a.onnx',
      [
        { name: 'nan', dataType: DataType.FLOAT, dims: [4], raw: f32([NaN, 1, NaN, 2]) },
        { name: 'str', dataType: DataType.STRING, dims: [3], stringData: ['a', 'b', 'c'] },
        { name: 'h', dataType: DataType.FLOAT16, dims: [3], int32Data: [...new Uint16Array(half([1, 2, 3]).buffer)] },
        { name: 'hraw', dataType: DataType.FLOAT16, dims: [3], raw: half([0.5, -1, 8]) },
        { name: 'bf', dataType: DataType.BFLOAT16, dims: [2], raw: bf16([1, -4]) },
        { name: 'f8', dataType: DataType.FLOAT8E4M3FN, dims: [2], raw: Uint8Array.from([1, 2]) },
        { name: 'zero', dataType: DataType.FLOAT, dims: [2], raw: f32([0, 0]) },
      ],
      { name: 'k', dataType: DataType.INT32, dims: [2], int32Data: [5, 6] },
    );
    const b = await write(
      'syn-b.onnx',
      [
        { name: 'nan', dataType: DataType.FLOAT, dims: [4], raw: f32([NaN, NaN, NaN, 2]) },
        { name: 'str', dataType: DataType.STRING, dims: [3], stringData: ['a', 'x', 'c'] },
        { name: 'h', dataType: DataType.FLOAT16, dims: [3], int32Data: [...new Uint16Array(half([1, 2.5, 3]).buffer)] },
        { name: 'hraw', dataType: DataType.FLOAT16, dims: [3], raw: half([0.5, -1, 8]) },
        { name: 'bf', dataType: DataType.BFLOAT16, dims: [2], raw: bf16([1, 4]) },
        { name: 'f8', dataType: DataType.FLOAT8E4M3FN, dims: [2], raw: Uint8Array.from([1, 3]) },
        { name: 'zero', dataType: DataType.FLOAT, dims: [2], raw: f32([-0, 0]) },
      ],
      { name: 'k', dataType: DataType.INT32, dims: [2], int32Data: [5, 9] },
    );
    const c = await compareModelFiles(a, b);
    const byName = Object.fromEntries((c.weights ?? []).map((w) => [w.name, w]));
    assert.deepEqual(Object.keys(byName).sort(), ['bf', 'f8', 'h', 'k', 'nan', 'str']);
    assert.deepEqual(
      [byName.nan.changedElements, byName.nan.maxAbsDiff, byName.nan.note],
      [1, 0, '1 of 4 elements are NaN on one side only'],
    );
    assert.deepEqual([byName.str.changedElements, byName.str.maxAbsDiff], [1, null]);
    assert.deepEqual([byName.h.maxAbsDiff, byName.h.maxRelDiff], [0.5, 0.2]);
    assert.deepEqual([byName.bf.maxAbsDiff, byName.bf.maxRelDiff], [8, 2]);
    assert.deepEqual([byName.f8.maxAbsDiff, byName.f8.note], [null, 'bytes differ (float8e4m3fn values are not decoded)']);
    assert.deepEqual([byName.k.maxAbsDiff, byName.k.maxRelDiff, byName.k.changedElements], [3, 1 / 3, 1]);
    assert.equal(c.weightsSummary?.unchanged, 2, 'hraw, and zero (-0 equals 0)');
  });
});

describe('compareWeights on the libonnx-testdata corpus', () => {
  it('every model compared with a copy of itself is identical', async (t) => {
    if (!needs(t, 'the libonnx-testdata corpus', hasCorpus(), 'apt-get install libonnx-testdata')) return;
    const models = listCorpusModels(CORPUS_DIR);
    assert.ok(models.length > 1000);
    const copy = join(dir.path, 'corpus-copy.onnx');
    let tensors = 0;
    for (const path of models) {
      copyFileSync(path, copy);
      const c = await compareModelFiles(path, copy);
      assert.deepEqual(c.lines, [], path);
      assert.deepEqual(c.weightsSummary?.errors, [], path);
      tensors += c.weightsSummary?.compared ?? 0;
    }
    assert.ok(tensors > 300, `${tensors} tensors compared`);
  });
});
