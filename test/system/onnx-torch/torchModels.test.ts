/**
 * Real torch exports through the reader and the runtime: test/fixtures/python/export_torch_models.py exports a small
 * CNN (dynamic batch) and a 2-layer nn.TransformerEncoder (dynamic batch and sequence) with torch.onnx.export
 * (opset 14) and writes the truth next to them: python-onnx's view of each file (initializer and Constant totals,
 * operator histogram, input/output dims) and torch's outputs for fixed random inputs (.npy).
 * The exports are cached in the temp folder under a hash of the script, so only the first run pays for torch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { summarizeModel, type ModelSummary } from '../../../src/core/onnx';
import { createSession, QUIET_RUN_OPTIONS, readNpy, tryModel, type NpyArray } from '../../../src/core/ort';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { pythonFixtureDir } from '../../support/pythonFixtureDir';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const SCRIPT = path.join(REPO_ROOT, 'test', 'fixtures', 'python', 'export_torch_models.py');
const TOLERANCE = { atol: 1e-4, rtol: 1e-3 };

type Dim = number | string | null;

interface Truth {
  model: string;
  opset: number;
  torch_trainable_parameters: number;
  torch_parameters: number;
  torch_exported_buffers: Record<string, number>;
  torch_parameters_plus_exported_buffers: number;
  onnx: {
    initializer_names: string[];
    initializer_count: number;
    initializer_elements: number;
    sparse_initializer_count: number;
    constant_tensors: number;
    constant_elements: number;
    elements_by_dtype: Record<string, number>;
    operators: { domain: string; opType: string; count: number }[];
    node_count: number;
    inputs: { name: string; dims: Dim[] | null }[];
    outputs: { name: string; dims: Dim[] | null }[];
  };
  cases: { name: string; input: string; output: string; inputShape: number[]; outputShape: number[] }[];
}

let torchStack: boolean | undefined;
const hasTorchStack = (): boolean =>
  (torchStack ??= existsSync(SYSTEM_PYTHON) && pythonHas('torch') && pythonHas('onnx') && pythonHas('numpy'));
const HOW_TO = 'apt-get install python3-torch python3-onnx python3-numpy (or set MLW_TEST_PYTHON)';

/** The export directory, made on first use; keyed by the script's hash, filled atomically (safe across processes). */
function fixtures(): string {
  return pythonFixtureDir(SCRIPT, 'mlw-onnx-torch');
}

function truthOf(name: string): { model: string; truth: Truth } {
  const dir = fixtures();
  const truth = JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')) as Truth;
  return { model: path.join(dir, truth.model), truth };
}

const opKey = (o: { domain: string; opType: string }): string => `${o.domain}/${o.opType}`;
const histogram = (ops: { domain: string; opType: string; count: number }[]): Record<string, number> =>
  Object.fromEntries(ops.map((o) => [opKey(o), o.count]).sort(([a], [b]) => String(a).localeCompare(String(b))));

/** The summary checks shared by both models: everything compared with python onnx's view of the same file. */
function checkSummary(
  s: ModelSummary,
  truth: Truth,
  expected: { inputs: [string, Dim[]][]; outputs: [string, Dim[]][]; ops: string[] },
): void {
  // Names and dims: symbolic names at the dynamic axes, sizes elsewhere; the same as python onnx and as exported.
  assert.deepEqual(
    s.inputs.map((v) => [v.name, v.shape]),
    expected.inputs,
  );
  assert.deepEqual(
    s.outputs.map((v) => [v.name, v.shape]),
    expected.outputs,
  );
  assert.deepEqual(
    s.inputs.map((v) => [v.name, v.shape]),
    truth.onnx.inputs.map((v) => [v.name, v.dims]),
  );
  assert.deepEqual(
    s.outputs.map((v) => [v.name, v.shape]),
    truth.onnx.outputs.map((v) => [v.name, v.dims]),
  );
  for (const v of [...s.inputs, ...s.outputs]) assert.equal(v.elemTypeName, 'float', v.name);
  assert.ok(
    s.opsetImports.some((o) => o.domain === 'ai.onnx' && o.version === truth.opset),
    JSON.stringify(s.opsetImports),
  );

  // Parameters: the reader counts initializers plus tensors held by node attributes (Constant values).
  assert.equal(s.initializerCount, truth.onnx.initializer_count);
  assert.equal(s.sparseInitializerCount, truth.onnx.sparse_initializer_count);
  assert.equal(s.attributeTensorCount, truth.onnx.constant_tensors);
  assert.equal(s.parameterCount, truth.onnx.initializer_elements + truth.onnx.constant_elements);
  assert.deepEqual(
    Object.fromEntries(s.parametersByDtype.map((d) => [d.dtype, d.elements])),
    truth.onnx.elements_by_dtype,
    'elements per dtype (initializers + Constant tensors)',
  );
  // Against torch: every trainable parameter is in the file (the fixtures avoid BN folding and deduplication, so the
  // initializers hold exactly torch's parameters plus the buffers kept as initializers).
  assert.ok(s.parameterCount >= truth.torch_trainable_parameters, `${s.parameterCount} < torch's ${truth.torch_trainable_parameters}`);
  assert.equal(truth.onnx.initializer_elements, truth.torch_parameters_plus_exported_buffers);

  // Operators: the exact histogram python onnx reports, which has the expected layers in it.
  assert.deepEqual(histogram(s.operators), histogram(truth.onnx.operators));
  assert.equal(s.nodeCount, truth.onnx.node_count);
  assert.equal(s.subgraphCount, 0);
  const present = new Set(s.operators.map(opKey));
  for (const op of expected.ops) assert.ok(present.has(`ai.onnx/${op}`), `no ${op} in ${[...present].join(', ')}`);
  assert.deepEqual(s.warnings, []);
}

/** |actual − expected| ≤ atol + rtol·|expected| everywhere; returns the largest absolute difference. */
function assertClose(actual: ort.Tensor, expected: NpyArray, what: string): number {
  assert.equal(actual.type, 'float32', what);
  assert.deepEqual([...actual.dims], expected.shape, `${what}: shape`);
  const a = actual.data as Float32Array;
  const e = expected.values as Float32Array;
  assert.equal(a.length, e.length, what);
  let maxAbs = 0;
  for (let i = 0; i < e.length; i++) {
    const diff = Math.abs(a[i] - e[i]);
    if (!(diff <= TOLERANCE.atol + TOLERANCE.rtol * Math.abs(e[i])))
      assert.fail(`${what}: element ${i} is ${a[i]}, torch gave ${e[i]} (|diff| ${diff})`);
    maxAbs = Math.max(maxAbs, diff);
  }
  return maxAbs;
}

/** Runs every case of a model through one session (createSession + readNpy), so the dynamic axes really vary. */
async function runCases(model: string, truth: Truth, inputName: string, outputName: string): Promise<string[]> {
  const dir = path.dirname(model);
  const { session } = await createSession(model);
  const seen: string[] = [];
  try {
    for (const c of truth.cases) {
      const input = await readNpy(path.join(dir, c.input));
      const expected = await readNpy(path.join(dir, c.output));
      assert.equal(input.type, 'float32');
      assert.deepEqual(input.shape, c.inputShape);
      assert.deepEqual(expected.shape, c.outputShape);
      const out = await session.run(
        { [inputName]: new ort.Tensor('float32', input.values as Float32Array, input.shape) },
        [outputName],
        QUIET_RUN_OPTIONS,
      );
      assertClose(out[outputName], expected, `${truth.model} case ${c.name}`);
      seen.push(`${c.name}:${out[outputName].dims.join('x')}`);
    }
  } finally {
    await session.release();
  }
  return seen;
}

test('CNN export: summary matches python onnx and torch (dims, parameters, operators)', async (t) => {
  if (!needs(t, 'python3 with torch, onnx and numpy', hasTorchStack(), HOW_TO)) return;
  const { model, truth } = truthOf('cnn');
  const s = await summarizeModel(model);
  checkSummary(s, truth, {
    inputs: [['image', ['batch', 1, 28, 28]]],
    outputs: [['logits', ['batch', 10]]],
    ops: ['Conv', 'BatchNormalization', 'Relu', 'MaxPool', 'Flatten', 'Gemm'],
  });
  // BN kept (TrainingMode.PRESERVE): its running statistics are initializers and count as parameters.
  assert.deepEqual(Object.keys(truth.torch_exported_buffers).sort(), [
    'features.1.running_mean',
    'features.1.running_var',
    'features.5.running_mean',
    'features.5.running_var',
  ]);
  assert.equal(s.parameterCount, truth.torch_trainable_parameters + 48);
  assert.equal(s.attributeTensorCount, 0);
});

test('CNN export: onnxruntime reproduces torch at batch 1 and batch 3', async (t) => {
  if (!needs(t, 'python3 with torch, onnx and numpy', hasTorchStack(), HOW_TO)) return;
  const { model, truth } = truthOf('cnn');
  assert.deepEqual(await runCases(model, truth, 'image', 'logits'), ['b1:1x10', 'b3:3x10']);
});

test('CNN export: tryModel runs it and gives the same top-k as torch', async (t) => {
  if (!needs(t, 'python3 with torch, onnx and numpy', hasTorchStack(), HOW_TO)) return;
  const { model, truth } = truthOf('cnn');
  const dir = path.dirname(model);
  const c = truth.cases.find((x) => x.name === 'b3');
  assert.ok(c);
  const input = await readNpy(path.join(dir, c.input));
  const expected = (await readNpy(path.join(dir, c.output))).values as Float32Array;
  const r = await tryModel(model, { image: new ort.Tensor('float32', input.values as Float32Array, input.shape) }, { topK: 3 });
  assert.deepEqual(r.inputs, [{ name: 'image', type: 'float32', shape: [3, 1, 28, 28] }]);
  assert.deepEqual(r.skippedOutputs, []);
  assert.equal(r.outputs.length, 1);
  const out = r.outputs[0];
  assert.equal(out.name, 'logits');
  assert.deepEqual(out.shape, [3, 10]);
  assert.equal(out.scores, 'logits');
  assert.equal(out.topK?.length, 3);
  out.topK?.forEach((row, i) => {
    const torchRow = Array.from(expected.subarray(i * 10, (i + 1) * 10));
    const torchOrder = torchRow
      .map((v, k) => [v, k] as const)
      .sort((a, b) => b[0] - a[0] || a[1] - b[1])
      .map(([, k]) => k);
    assert.deepEqual(
      row.map((e) => e.index),
      torchOrder.slice(0, 3),
      `row ${i}`,
    );
    for (const e of row) assert.ok(Math.abs(e.value - torchRow[e.index]) <= TOLERANCE.atol + TOLERANCE.rtol * Math.abs(torchRow[e.index]));
    assert.ok(
      row[0].prob >= row[1].prob && row[1].prob >= row[2].prob && row[0].prob > 0 && row[0].prob + row[1].prob + row[2].prob <= 1 + 1e-6,
    );
    const max = Math.max(...torchRow);
    const softmaxTop = 1 / torchRow.reduce((sum, v) => sum + Math.exp(v - max), 0);
    assert.ok(Math.abs(row[0].prob - softmaxTop) < 1e-4, `row ${i}: prob ${row[0].prob} vs ${softmaxTop}`);
  });
  // Without feeds: random inputs sized from the summary, with the dynamic batch set.
  const random = await tryModel(model, {}, { batchSize: 2, topK: 2 });
  assert.deepEqual(random.inputs[0].shape, [2, 1, 28, 28]);
  assert.deepEqual(random.outputs[0].shape, [2, 10]);
  assert.equal(random.outputs[0].topK?.length, 2);
  assert.equal(random.outputs[0].nanCount, 0);
});

test('Transformer encoder export: summary matches python onnx and torch (dims, parameters, operators)', async (t) => {
  if (!needs(t, 'python3 with torch, onnx and numpy', hasTorchStack(), HOW_TO)) return;
  const { model, truth } = truthOf('transformer');
  const s = await summarizeModel(model);
  checkSummary(s, truth, {
    inputs: [['tokens', ['batch', 'sequence', 32]]],
    outputs: [['encoded', ['batch', 'sequence', 32]]],
    ops: ['MatMul', 'Gemm', 'Softmax', 'Relu', 'Add', 'ReduceMean', 'Sqrt', 'Reshape', 'Transpose'],
  });
  // No buffers; the export moves the attention projections into MatMul initializers (transposed) but keeps every
  // element once, and shape arithmetic adds Constant tensors, which the reader counts too.
  assert.equal(truth.onnx.initializer_elements, truth.torch_trainable_parameters);
  assert.ok(truth.onnx.constant_tensors > 0);
  assert.equal(s.parameterCount, truth.torch_trainable_parameters + truth.onnx.constant_elements);
});

test('Transformer encoder export: onnxruntime reproduces torch across batch sizes and sequence lengths', async (t) => {
  if (!needs(t, 'python3 with torch, onnx and numpy', hasTorchStack(), HOW_TO)) return;
  const { model, truth } = truthOf('transformer');
  assert.deepEqual(await runCases(model, truth, 'tokens', 'encoded'), ['b1_s5:1x5x32', 'b3_s5:3x5x32', 'b3_s11:3x11x32', 'b2_s1:2x1x32']);
});
