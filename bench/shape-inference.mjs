#!/usr/bin/env node
/**
 * Benchmark: shape inference on a 20,000-node transformer-like model (goal: <= 200 ms).
 * The model is written with the tests' protobuf writer: 1,000 attention-like blocks of 20 nodes each
 * (MatMul, Add, Shape -> Gather -> Unsqueeze -> Concat -> Reshape with a symbolic batch and sequence,
 * Transpose, MatMul, Div, Softmax, Reshape by a constant [0,0,H], residual Add, LayerNormalization, Relu),
 * every block with its own weights and shape constants, no value_info: every intermediate shape is inferred.
 * Prints the time to read the model, to load its small constants, and to infer (median of MLW_BENCH_RUNS).
 *
 * Run after compiling: npx tsc -p tsconfig.test.json && node bench/shape-inference.mjs
 * Options (env): MLW_BENCH_BLOCKS (1000), MLW_BENCH_RUNS (9), MLW_BENCH_KEEP=1 (keep the model file).
 */
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const OUT = join(ROOT, 'out');
if (!existsSync(join(OUT, 'src/core/onnx/shapes/inferShapes.js'))) {
  console.error('Compile first: npx tsc -p tsconfig.test.json');
  process.exit(1);
}
const { readModel } = require(join(OUT, 'src/core/onnx/readModel.js'));
const { inferShapes } = require(join(OUT, 'src/core/onnx/shapes/inferShapes.js'));
const { loadShapeConstants } = require(join(OUT, 'src/core/onnx/shapes/loadShapeConstants.js'));
const pw = require(join(OUT, 'test/unit/onnx/protoWriter.js'));

const BLOCKS = Number(process.env.MLW_BENCH_BLOCKS ?? 1000);
const RUNS = Number(process.env.MLW_BENCH_RUNS ?? 9);
const H = 64;
const HEADS = 4;
const FLOAT = 1;
const INT64 = 7;

const i64 = (name, values, dims = [values.length]) => ({
  name,
  dataType: INT64,
  dims,
  raw: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
});
const f32 = (name, dims) => ({ name, dataType: FLOAT, dims, raw: new Uint8Array(dims.reduce((a, b) => a * b, 1) * 4) });

function buildModel() {
  const nodes = [];
  const initializers = [
    i64('idx0', [0], []),
    i64('idx1', [1], []),
    i64('axes0', [0]),
    { name: 'scale', dataType: FLOAT, dims: [], raw: pw.f32([8]) },
  ];
  initializers.push(f32('gamma', [H]), f32('beta', [H]));
  let h = 'x';
  for (let l = 0; l < BLOCKS; l++) {
    const n = (op, inputs, outputs, attributes = []) =>
      nodes.push({ opType: op, inputs, outputs, name: `${op}_${l}_${nodes.length}`, attributes });
    const t = (s) => `${s}_${l}`;
    initializers.push(f32(t('W'), [H, H]), f32(t('bias'), [H]), i64(t('heads'), [HEADS, H / HEADS]), i64(t('back'), [0, 0, H]));
    n('MatMul', [h, t('W')], [t('q')]);
    n('Add', [t('q'), t('bias')], [t('qb')]);
    n('Shape', [t('qb')], [t('shape')]);
    n('Gather', [t('shape'), 'idx0'], [t('b')], [pw.attrInt('axis', 0)]);
    n('Gather', [t('shape'), 'idx1'], [t('s')], [pw.attrInt('axis', 0)]);
    n('Unsqueeze', [t('b'), 'axes0'], [t('b1')]);
    n('Unsqueeze', [t('s'), 'axes0'], [t('s1')]);
    n('Concat', [t('b1'), t('s1'), t('heads')], [t('target')], [pw.attrInt('axis', 0)]);
    n('Reshape', [t('qb'), t('target')], [t('r')]);
    n('Transpose', [t('r')], [t('qt')], [pw.attrInts('perm', [0, 2, 1, 3])]);
    n('Transpose', [t('r')], [t('kt')], [pw.attrInts('perm', [0, 2, 3, 1])]);
    n('MatMul', [t('qt'), t('kt')], [t('scores')]);
    n('Div', [t('scores'), 'scale'], [t('scaled')]);
    n('Softmax', [t('scaled')], [t('p')], [pw.attrInt('axis', -1)]);
    n('MatMul', [t('p'), t('qt')], [t('o')]);
    n('Transpose', [t('o')], [t('ot')], [pw.attrInts('perm', [0, 2, 1, 3])]);
    n('Reshape', [t('ot'), t('back')], [t('m')]);
    n('Add', [t('m'), h], [t('res')]);
    n('LayerNormalization', [t('res'), 'gamma', 'beta'], [t('ln')], [pw.attrInt('axis', -1)]);
    n('Relu', [t('ln')], [t('y')]);
    h = t('y');
  }
  const bytes = pw.model({
    opsets: [['', 17]],
    graph: {
      name: 'bench',
      nodes,
      initializers,
      inputs: [pw.valueInfo('x', FLOAT, ['batch', 'seq', H])],
      outputs: [pw.valueInfo(h, FLOAT)],
    },
  });
  return { bytes, nodeCount: nodes.length, output: h };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(join(tmpdir(), 'mlw-bench-shapes-'));
try {
  const { bytes, nodeCount, output } = buildModel();
  const path = join(dir, 'model.onnx');
  writeFileSync(path, bytes);
  const reads = [];
  const loads = [];
  const infers = [];
  let result;
  let constants;
  for (let run = 0; run < RUNS; run++) {
    let t0 = performance.now();
    const model = await readModel(path);
    reads.push(performance.now() - t0);
    t0 = performance.now();
    constants = await loadShapeConstants(model);
    loads.push(performance.now() - t0);
    t0 = performance.now();
    result = inferShapes(model.graph, { opsetImports: model.opsetImports, constants });
    infers.push(performance.now() - t0);
  }
  const out = result.tensors.find((t) => t.name === output);
  const reshaped = result.tensors.find((t) => t.name === 'r_0');
  const known = result.tensors.filter((t) => t.shape !== null && !t.shape.includes(null)).length;
  console.log(
    `model: ${nodeCount.toLocaleString('en-US')} nodes, ${result.tensors.length.toLocaleString('en-US')} tensors, ${(bytes.length / 1e6).toFixed(1)} MB, ${constants.size} small constants read`,
  );
  console.log(
    `shapes: ${known.toLocaleString('en-US')} tensors with every dim known (symbols count as known); r_0 ${JSON.stringify(reshaped.shape)}; output ${JSON.stringify(out.shape)}; ${result.warnings.length} warnings`,
  );
  console.log(`readModel           median ${median(reads).toFixed(1)} ms`);
  console.log(`loadShapeConstants  median ${median(loads).toFixed(1)} ms`);
  console.log(`inferShapes         median ${median(infers).toFixed(1)} ms  (first run ${infers[0].toFixed(1)} ms; goal <= 200 ms)`);
  console.log(`constants + infer   median ${median(loads.map((l, i) => l + infers[i])).toFixed(1)} ms`);
  if (process.env.MLW_BENCH_KEEP) console.log(`kept ${path}`);
} finally {
  if (!process.env.MLW_BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
}
