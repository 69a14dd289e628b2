/**
 * Shape inference on real torch exports against python onnx: the models of test/fixtures/python/export_torch_models.py
 * (a CNN with BatchNorm and pooling, a Transformer encoder, an MLP with LayerNorm and GELU, an LSTM, a GRU and a
 * conv/transposed-conv/Resize/Pad model, all
 * with dynamic axes) go through our inferShapes and through onnx.shape_inference.infer_shapes (data_prop), with
 * value_info and output types stripped on both sides, and every tensor onnx types must agree (same rule as the
 * corpus test: equal elem type, rank and every dim onnx knows).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { readModel } from '../../../src/core/onnx/readModel';
import { inferShapes } from '../../../src/core/onnx/shapes/inferShapes';
import { loadShapeConstants } from '../../../src/core/onnx/shapes/loadShapeConstants';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { pythonFixtureDir } from '../../support/pythonFixtureDir';
import { judge, shapeTruthOf, showShape, type Verdict } from '../../unit/onnx/shapeTruth';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const SCRIPT = path.join(REPO_ROOT, 'test', 'fixtures', 'python', 'export_torch_models.py');

test('shape inference agrees with onnx.shape_inference on torch exports', async (t) => {
  const present = existsSync(SYSTEM_PYTHON) && pythonHas('torch') && pythonHas('onnx') && pythonHas('numpy');
  if (!needs(t, 'python3 with torch, onnx and numpy', present, 'apt-get install python3-torch python3-onnx python3-numpy')) return;
  const dir = pythonFixtureDir(SCRIPT, 'mlw-onnx-torch');
  const names = (JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { models: string[] }).models;
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
    const graph = { ...model.graph, valueInfo: [], outputs: model.graph.outputs.map((o) => ({ ...o, type: undefined })) };
    const result = inferShapes(graph, { opsetImports: model.opsetImports, constants: await loadShapeConstants(model) });
    const tensors = new Map(result.tensors.map((x) => [x.name, x]));
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
