/**
 * Shape inference against python onnx (Debian python3-onnx, onnx.shape_inference.infer_shapes with data_prop)
 * over every model of the libonnx-testdata corpus. value_info and output types are stripped on both sides, so
 * every compared type is inferred. For each tensor onnx infers, our elem type and shape must say the same:
 * equal elem type, equal rank, every dim onnx knows equal (a dim onnx leaves unknown may be known here).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { existsSync } from 'node:fs';
import { readModel } from '../../../src/core/onnx/readModel';
import { readTensorFile } from '../../../src/core/onnx/readTensorFile';
import { inferShapes } from '../../../src/core/onnx/shapes/inferShapes';
import { loadShapeConstants } from '../../../src/core/onnx/shapes/loadShapeConstants';
import type { InferredTensor } from '../../../src/core/onnx/shapes/shapeTypes';
import { CORPUS_DIR, hasCorpus, needs, pythonHas } from '../../support/requires';
import { listCorpusModels } from './corpus';
import { judge, loadShapeTruth, showShape, type Verdict } from './shapeTruth';

/**
 * The bar: the share of onnx-inferred tensors we must agree on. Measured with python3-onnx 1.12: 99.9 % of
 * 2,594 (2 less known: Expand on a shape onnx knows partly through data propagation). An operator family
 * that regresses costs 10 tensors or more (each family has several test models), so 99.5 % catches it, while
 * leaving room for a newer python3-onnx whose propagation knows a few dims more.
 */
const THRESHOLD = 0.995;

describe('shape inference against python onnx over the corpus', () => {
  it('every output shape it infers matches the output tensors of the test data', async (t) => {
    if (!needs(t, 'libonnx-testdata', hasCorpus(), 'apt-get install libonnx-testdata')) return;
    // The corpus's expected outputs are real tensors: they check what onnx leaves unknown and we infer.
    let checked = 0;
    let exact = 0;
    const conflicts: string[] = [];
    for (const path of listCorpusModels()) {
      const dataSet = join(path, '..', 'test_data_set_0');
      const model = await readModel(path);
      const graph = { ...model.graph, valueInfo: [], outputs: model.graph.outputs.map((o) => ({ ...o, type: undefined })) };
      const result = inferShapes(graph, { opsetImports: model.opsetImports, constants: await loadShapeConstants(model) });
      const tensors = new Map(result.tensors.map((x) => [x.name, x]));
      for (const [i, output] of model.graph.outputs.entries()) {
        const file = join(dataSet, `output_${i}.pb`);
        if (output.type?.kind !== 'tensor' || !existsSync(file)) continue;
        const actual = await readTensorFile(file);
        const mine = tensors.get(output.name);
        if (mine?.shape == null) continue;
        checked++;
        const ok = mine.shape.length === actual.dims.length && mine.shape.every((d, k) => typeof d !== 'number' || d === actual.dims[k]);
        if (!ok) conflicts.push(`${path}: ${output.name} inferred [${mine.shape.join(',')}], test data [${actual.dims.join(',')}]`);
        else if (mine.shape.every((d, k) => d === actual.dims[k])) exact++;
      }
    }
    t.diagnostic(
      `${checked} inferred output shapes checked against test data outputs: ${exact} fully known and equal, ${conflicts.length} wrong`,
    );
    assert.deepEqual(conflicts, []);
  });

  it('agrees with onnx.shape_inference on the tensors onnx infers', async (t) => {
    if (!needs(t, 'libonnx-testdata', hasCorpus(), 'apt-get install libonnx-testdata')) return;
    if (!needs(t, 'python3-onnx', pythonHas('onnx'), 'apt-get install python3-onnx')) return;
    const truths = loadShapeTruth();
    const counts: Record<Verdict, number> = { agree: 0, less: 0, conflict: 0 };
    let refined = 0;
    let models = 0;
    const disagreements: string[] = [];
    const byOp = new Map<string, number>();
    const crashes: string[] = [];
    const started = performance.now();
    for (const truth of truths) {
      if (!truth.ok || truth.values === undefined) continue;
      models++;
      const model = await readModel(join(CORPUS_DIR, truth.path));
      const graph = { ...model.graph, valueInfo: [], outputs: model.graph.outputs.map((o) => ({ ...o, type: undefined })) };
      let tensors: Map<string, InferredTensor>;
      try {
        const constants = await loadShapeConstants(model);
        const result = inferShapes(graph, { opsetImports: model.opsetImports, constants });
        tensors = new Map(result.tensors.map((x) => [x.name, x]));
      } catch (e) {
        crashes.push(`${truth.path}: ${(e as Error).stack}`);
        continue;
      }
      const producer = new Map<string, string>();
      for (const n of model.graph.nodes) for (const o of n.outputs) producer.set(o, n.opType);
      for (const [name, elem, shape] of truth.values) {
        if (elem === null && shape === null) continue;
        const mine = tensors.get(name);
        const v = judge(mine, elem, shape);
        counts[v.verdict]++;
        if (v.refined) refined++;
        if (v.verdict !== 'agree') {
          const op = producer.get(name) ?? '?';
          byOp.set(op, (byOp.get(op) ?? 0) + 1);
          disagreements.push(
            `${v.verdict} ${truth.path.replace(/\/model\.onnx$/, '')} ${name} (${op}): onnx ${showShape(elem, shape)}, ours ${mine ? showShape(mine.elemType, mine.shape) : 'none'}`,
          );
        }
      }
    }
    const total = counts.agree + counts.less + counts.conflict;
    const share = counts.agree / total;
    const ops = [...byOp].sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op} ${n}`);
    t.diagnostic(
      `shapes agree on ${(share * 100).toFixed(1)} % of ${total.toLocaleString('en-US')} tensors in ${models.toLocaleString('en-US')} models ` +
        `(${counts.less} less known, ${counts.conflict} conflicting, ${refined} more specific than onnx) in ${Math.round(performance.now() - started)} ms`,
    );
    if (ops.length) t.diagnostic(`disagreements by producing op: ${ops.join(', ')}`);
    for (const d of disagreements.slice(0, process.env.MLW_SHAPE_REPORT ? 10_000 : 40)) t.diagnostic(d);
    assert.deepEqual(crashes, []);
    assert.ok(share >= THRESHOLD, `agreement ${(share * 100).toFixed(1)} % is below ${THRESHOLD * 100} %`);
  });
});
