/**
 * Measure Shapes on real torch exports (test/fixtures/python/measure_shapes_models.py, cached in the temp folder
 * under the script's hash): every intermediate tensor's measured shape equals python-onnx's shape inference once
 * the inputs are concrete, graph outputs equal torch's, NaN and Inf counts appear on the tensors numpy finds them
 * in, external data resolves, and the temporary copy is valid ONNX (python-onnx's checker) that leaves nothing behind.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readModel } from '../../../src/core/onnx';
import { makeTensor, readNpy } from '../../../src/core/ort';
import { appendGraphOutputs } from '../../../src/core/ort/measure/appendGraphOutputs';
import { measureShapes, type MeasuredTensor } from '../../../src/core/ort/measure/measureShapes';
import { tensorValueStats } from '../../../src/core/ort/measure/tensorValueStats';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { pythonFixtureDir } from '../../support/pythonFixtureDir';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const SCRIPT = path.join(REPO_ROOT, 'test', 'fixtures', 'python', 'measure_shapes_models.py');

interface Truth {
  input: number[];
  output: number[];
  shapes: Record<string, (number | null)[]>;
  counts?: Record<string, [number, number]>;
}

let stack: boolean | undefined;
const hasStack = (t: TestContext): boolean =>
  needs(
    t,
    'python3-torch and python3-onnx',
    (stack ??= existsSync(SYSTEM_PYTHON) && pythonHas('torch') && pythonHas('onnx')),
    'apt-get install python3-torch python3-onnx',
  );

function fixtures(): string {
  return pythonFixtureDir(SCRIPT, 'mlw-measure-shapes');
}

const truth = (name: string): Truth =>
  (JSON.parse(readFileSync(path.join(fixtures(), 'truth.json'), 'utf8')) as Record<string, Truth>)[name];

async function feedsOf(file: string) {
  const npy = await readNpy(file);
  return { x: makeTensor('float32', npy.values as Float32Array, npy.shape) };
}

function assertShapesMatch(tensors: MeasuredTensor[], expected: Truth): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const names = Object.keys(expected.shapes);
  assert.ok(names.length > 3);
  for (const name of names) {
    const m = byName.get(name);
    assert.ok(m, `tensor ${name} was measured`);
    assert.deepEqual(m.shape, expected.shapes[name], name);
    assert.equal(m.source, 'measured');
  }
}

test('a residual CNN with dynamic batch, height and width: every tensor measured as python-onnx infers it', async (t) => {
  if (!hasStack(t)) return;
  const expected = truth('cnn');
  const r = await measureShapes(path.join(fixtures(), 'cnn.onnx'), { feeds: await feedsOf(path.join(fixtures(), 'cnn_in.npy')) });
  assert.deepEqual(r.skipped, []);
  assert.deepEqual(r.inputs, [{ name: 'x', type: 'float32', shape: expected.input }]);
  assertShapesMatch(r.tensors, expected);
  const logits = r.tensors.find((x) => x.name === 'logits');
  assert.deepEqual(logits?.shape, expected.output);
  // The input comes first, with its statistics (torch.rand: in [0, 1)).
  assert.equal(r.tensors[0].name, 'x');
  const s = r.tensors[0].stats;
  assert.ok(s && s.min !== null && s.min >= 0 && s.max !== null && s.max < 1 && s.nanCount === 0 && s.infCount === 0);
  // After a ReLU nothing is negative.
  assert.equal(r.tensors.find((x) => x.name === '/Relu_output_0')?.stats?.min, 0);
});

test('symbolic dims take --dim values: random inputs at height 32, width 40 give 16×20 after the strided conv', async (t) => {
  if (!hasStack(t)) return;
  const r = await measureShapes(path.join(fixtures(), 'cnn.onnx'), { dims: { batch: 3, height: 32, width: 40 } });
  assert.deepEqual(r.inputs[0].shape, [3, 3, 32, 40]);
  assert.deepEqual(r.tensors.find((x) => x.name === '/down/Conv_output_0')?.shape, [3, 16, 16, 20]);
  assert.deepEqual(r.tensors.find((x) => x.name === 'logits')?.shape, [3, 5]);
});

test('NaN and Inf counts land on the tensors where numpy finds them: none after Sub, then Log and Mul', async (t) => {
  if (!hasStack(t)) return;
  const expected = truth('nan');
  const file = path.join(fixtures(), 'nan.onnx');
  const r = await measureShapes(file, { feeds: await feedsOf(path.join(fixtures(), 'nan_in.npy')) });
  assertShapesMatch(r.tensors, expected);
  const model = await readModel(file);
  const producer = new Map(model.graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n.opType] as const)));
  const counts = expected.counts ?? {};
  assert.deepEqual(Object.keys(counts).sort(), ['Log', 'Mul', 'Sub']);
  for (const [op, [nan, inf]] of Object.entries(counts)) {
    const tensor = r.tensors.find((x) => producer.get(x.name) === op);
    assert.ok(tensor, op);
    assert.deepEqual([tensor.stats?.nanCount, tensor.stats?.infCount], [nan, inf], op);
  }
  assert.deepEqual(r.tensors[0].stats, { min: 0, max: 7, mean: 19.5 / 8, nanCount: 0, infCount: 0 });
});

test('external data: the copy sits beside the model, the weights resolve, and it is removed afterwards', async (t) => {
  if (!hasStack(t)) return;
  const folder = path.join(fixtures(), 'external');
  const before = readdirSync(folder).sort();
  const plain = await measureShapes(path.join(fixtures(), 'cnn.onnx'), { feeds: await feedsOf(path.join(fixtures(), 'cnn_in.npy')) });
  const external = await measureShapes(path.join(folder, 'cnn.onnx'), { feeds: await feedsOf(path.join(fixtures(), 'cnn_in.npy')) });
  assert.deepEqual(
    external.tensors.map((x) => [x.name, x.shape, x.stats]),
    plain.tensors.map((x) => [x.name, x.shape, x.stats]),
  );
  assert.deepEqual(readdirSync(folder).sort(), before);
});

test('the copy with added outputs passes python-onnx checker and lists the outputs last, the rest unchanged', async (t) => {
  if (!hasStack(t)) return;
  const source = path.join(fixtures(), 'cnn.onnx');
  const model = await readModel(source);
  const out = mkdtempSync(path.join(tmpdir(), 'mlw-append-'));
  try {
    const target = path.join(out, 'copy.onnx');
    const added = [
      { name: '/Add_output_0', elemType: 1, shape: ['batch', 8, null, 'width'] },
      { name: '/Flatten_output_0', elemType: 1, shape: ['batch', 16] },
    ];
    await appendGraphOutputs(model, added, target);
    const copy = await readModel(target);
    assert.deepEqual(
      copy.graph.outputs.map((o) => o.name),
      ['logits', ...added.map((a) => a.name)],
    );
    assert.deepEqual(copy.graph.outputs[1].type, { kind: 'tensor', elemType: 1, shape: ['batch', 8, null, 'width'] });
    assert.equal(copy.graph.nodes.length, model.graph.nodes.length);
    assert.equal(copy.graph.initializers.length, model.graph.initializers.length);
    const check = execFileSync(
      SYSTEM_PYTHON,
      [
        '-c',
        'import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m); print(",".join(o.name for o in m.graph.output))',
        target,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(check.trim(), 'logits,/Add_output_0,/Flatten_output_0');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('tensorValueStats: finite min/max/mean, NaN and ±Inf counted apart, float16 bits decoded, strings skipped', () => {
  assert.deepEqual(tensorValueStats('float32', Float32Array.of(1, Number.NaN, 3, Infinity, -Infinity)), {
    min: 1,
    max: 3,
    mean: 2,
    nanCount: 1,
    infCount: 2,
  });
  assert.deepEqual(tensorValueStats('float16', Uint16Array.of(0x3c00, 0x7e00, 0x7c00)), {
    min: 1,
    max: 1,
    mean: 1,
    nanCount: 1,
    infCount: 1,
  });
  assert.deepEqual(tensorValueStats('int64', BigInt64Array.of(-2n, 4n)), { min: -2, max: 4, mean: 1, nanCount: 0, infCount: 0 });
  assert.deepEqual(tensorValueStats('float32', new Float32Array(0)), { min: null, max: null, mean: null, nanCount: 0, infCount: 0 });
  assert.equal(tensorValueStats('string', ['a']), undefined);
});

test('mlw inspect --shapes --measure --input x=FILE.npy --json: measured valueInfo with stats, and what the run used', (t) => {
  if (!hasStack(t)) return;
  const mlw = path.join(REPO_ROOT, 'dist', 'mlw.js');
  if (!needs(t, 'dist/mlw.js', existsSync(mlw), 'npm run build')) return;
  const model = path.join(fixtures(), 'nan.onnx');
  const r = spawnSync(
    process.execPath,
    [mlw, 'inspect', model, '--shapes', '--measure', '--input', `x=${path.join(fixtures(), 'nan_in.npy')}`, '--json'],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    valueInfo: (MeasuredTensor | { source: string; name: string })[];
    measure: unknown;
    inputs: unknown;
  };
  const log = out.valueInfo.find((v) => v.name === '/Log_output_0');
  assert.deepEqual(log, {
    name: '/Log_output_0',
    elemType: 1,
    shape: [2, 4],
    source: 'measured',
    stats: { min: 0, max: Math.fround(Math.log(6)), mean: log && 'stats' in log ? log.stats?.mean : 0, nanCount: 2, infCount: 2 },
  });
  assert.deepEqual(out.measure, {
    inputs: [{ name: 'x', type: 'float32', shape: [2, 4] }],
    skipped: [],
    runMs: (out.measure as { runMs: number }).runMs,
  });
  const text = spawnSync(process.execPath, [mlw, 'inspect', model, '--shapes', '--measure', '--dim', 'n=5'], { encoding: 'utf8' });
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /float\[5,4\]\s+measured\s+\/Sub_output_0  min /);
  assert.match(text.stdout, /Measured in one run of [\d.]+ ms on x float32\[5,4\]/);
  const bad = spawnSync(process.execPath, [mlw, 'inspect', model, '--measure'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--measure goes with --shapes/);
});
