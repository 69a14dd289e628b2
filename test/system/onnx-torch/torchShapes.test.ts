/**
 * Shape inference on real torch exports against python onnx: the models of test/fixtures/python/export_torch_models.py
 * (a CNN with BatchNorm and pooling, a Transformer encoder, an MLP with LayerNorm and GELU, an LSTM, a GRU and a
 * conv/transposed-conv/Resize/Pad model, all
 * with dynamic axes) go through our inferShapes and through onnx.shape_inference.infer_shapes (data_prop), with
 * value_info and output types stripped on both sides, and every tensor onnx types must agree (same rule as the
 * corpus test: equal elem type, rank and every dim onnx knows). Then every shape we infer, including the dims onnx
 * leaves unknown, is checked against the real run: onnxruntime-node's shapes of every tensor (Measure Shapes).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { readModel } from '../../../src/core/onnx/readModel';
import { inferShapes } from '../../../src/core/onnx/shapes/inferShapes';
import { loadShapeConstants } from '../../../src/core/onnx/shapes/loadShapeConstants';
import type { InferredTensor } from '../../../src/core/onnx/shapes/shapeTypes';
import { measureShapes } from '../../../src/core/ort/measure/measureShapes';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { pythonFixtureDir } from '../../support/pythonFixtureDir';
import { judge, shapeTruthOf, showShape, type Verdict } from '../../unit/onnx/shapeTruth';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const SCRIPT = path.join(REPO_ROOT, 'test', 'fixtures', 'python', 'export_torch_models.py');

/** The exports and their names, or undefined (skipped) without torch. */
function torchExports(t: TestContext): { dir: string; names: string[] } | undefined {
  const present = existsSync(SYSTEM_PYTHON) && pythonHas('torch') && pythonHas('onnx') && pythonHas('numpy');
  if (!needs(t, 'python3 with torch, onnx and numpy', present, 'apt-get install python3-torch python3-onnx python3-numpy')) return;
  const dir = pythonFixtureDir(SCRIPT, 'mlw-onnx-torch');
  return { dir, names: (JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { models: string[] }).models };
}

/** What our inference says of a model with value_info and output types stripped, by tensor name. */
async function inferStripped(file: string): Promise<Map<string, InferredTensor>> {
  const model = await readModel(file);
  const graph = { ...model.graph, valueInfo: [], outputs: model.graph.outputs.map((o) => ({ ...o, type: undefined })) };
  const result = inferShapes(graph, { opsetImports: model.opsetImports, constants: await loadShapeConstants(model) });
  return new Map(result.tensors.map((x) => [x.name, x]));
}

test('shape inference agrees with onnx.shape_inference on torch exports', async (t) => {
  const found = torchExports(t);
  if (!found) return;
  const { dir, names } = found;
  assert.ok(names.length >= 6, names.join(','));
  const counts: Record<Verdict, number> = { agree: 0, less: 0, conflict: 0 };
  let refined = 0;
  const disagreements: string[] = [];
  const perModel: string[] = [];
  for (const truth of shapeTruthOf(
    dir,
    names.map((n) => `${n}.onnx`),
  )) {
    assert.ok(truth.ok && truth.values, `${truth.path}: ${truth.error}`);
    const model = await readModel(path.join(dir, truth.path));
    const tensors = await inferStripped(path.join(dir, truth.path));
    const producer = new Map(model.graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n.opType] as const)));
    let agree = 0;
    let compared = 0;
    for (const [name, elem, shape] of truth.values) {
      if (elem === null && shape === null) continue;
      const mine = tensors.get(name);
      const v = judge(mine, elem, shape);
      const verdict = v.verdict;
      counts[verdict]++;
      if (v.refined) refined++;
      compared++;
      if (verdict === 'agree') agree++;
      else
        disagreements.push(
          `${verdict} ${truth.path} ${name} (${producer.get(name) ?? '?'}): onnx ${showShape(elem, shape)}, ours ${mine ? showShape(mine.elemType, mine.shape) : 'none'}`,
        );
    }
    perModel.push(`${truth.path.replace(/\.onnx$/, '')} ${agree}/${compared}`);
  }
  const total = counts.agree + counts.less + counts.conflict;
  const line =
    `torch exports: shapes agree on ${((counts.agree / total) * 100).toFixed(1)} % of ${total} tensors in ${names.length} models ` +
    `(${counts.less} less known, ${counts.conflict} conflicting, ${refined} more specific than onnx; ${perModel.join(', ')})`;
  console.log(line);
  t.diagnostic(line);
  assert.deepEqual(disagreements, []);
});

test('every shape inferred on the torch exports is the shape onnxruntime measures', async (t) => {
  const found = torchExports(t);
  if (!found) return;
  // Sizes for the exports' dynamic axes, unlike any static dim of the models.
  const sizes: Record<string, number> = { batch: 3, sequence: 5, steps: 7, height: 12, width: 18 };
  let dims = 0;
  let tensorsChecked = 0;
  const wrong: string[] = [];
  for (const name of found.names) {
    const file = path.join(found.dir, `${name}.onnx`);
    const inferred = await inferStripped(file);
    const run = await measureShapes(file, { dims: sizes });
    for (const m of run.tensors) {
      const mine = inferred.get(m.name);
      if (mine?.shape == null) continue;
      tensorsChecked++;
      const ok =
        mine.elemType === m.elemType &&
        mine.shape.length === m.shape.length &&
        mine.shape.every((d, i) => d === null || (typeof d === 'number' ? d === m.shape[i] : !(d in sizes) || sizes[d] === m.shape[i]));
      dims += mine.shape.filter((d) => d !== null).length;
      if (!ok)
        wrong.push(`${name} ${m.name}: inferred ${mine.elemType}[${mine.shape.join(',')}], measured ${m.elemType}[${m.shape.join(',')}]`);
    }
  }
  const line = `torch exports: ${tensorsChecked} inferred shapes (${dims} known dims) checked against onnxruntime, ${wrong.length} wrong`;
  console.log(line);
  t.diagnostic(line);
  assert.ok(tensorsChecked > 300, line);
  assert.deepEqual(wrong, []);
});
