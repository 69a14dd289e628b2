/**
 * simplify on a model built to hold each thing it removes: a shape subgraph (Shape → Gather → Unsqueeze →
 * Concat → Reshape) whose values shape inference knows, a constant subgraph onnxruntime-node folds (a weight's
 * Transpose), an Identity chain, an inference Dropout, a Cast to the type it has, an Identity making a graph
 * output, a dead branch and an unused initializer. The simplified file must hold only the work, give the same
 * outputs in onnxruntime-node, and be smaller.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readModel } from '../../../src/core/onnx/readModel';
import { simplifyModel } from '../../../src/core/optimize/simplify/simplifyRecipe';
import { attrInt, attrInts, f32, model, valueInfo } from '../onnx/protoWriter';
import { runOnFloat32 } from '../onnx/runModel';
import { tempDir, type TempDir } from '../onnx/tempFiles';

const FLOAT = 1;
const INT64 = 7;
const i64 = (values: number[]) => new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
let dir: TempDir;
let source: string;

before(async () => {
  dir = await tempDir('mlw-simplify-');
  source = join(dir.path, 'model.onnx');
  const Wt = Array.from({ length: 12 }, (_, i) => (i - 5) / 4); // [4,3], transposed to W [3,4] in the graph
  await writeFile(
    source,
    model({
      opsets: [['', 17]],
      graph: {
        nodes: [
          { opType: 'Identity', name: 'id1', inputs: ['x'], outputs: ['x1'] },
          { opType: 'Identity', name: 'id2', inputs: ['x1'], outputs: ['x2'] },
          { opType: 'Dropout', name: 'drop', inputs: ['x2'], outputs: ['x3'] },
          { opType: 'Cast', name: 'cast', inputs: ['x3'], outputs: ['x4'], attributes: [attrInt('to', FLOAT)] },
          { opType: 'Transpose', name: 'wt', inputs: ['Wt'], outputs: ['W'], attributes: [attrInts('perm', [1, 0])] },
          { opType: 'MatMul', name: 'mm', inputs: ['x4', 'W'], outputs: ['h'] },
          // Flatten h [2,4] to [2,4] by a shape computed in the graph: Reshape(h, Concat(Unsqueeze(Gather(Shape(h), 0)), [-1]))
          { opType: 'Shape', name: 'shape', inputs: ['h'], outputs: ['hs'] },
          { opType: 'Gather', name: 'batch', inputs: ['hs', 'zero'], outputs: ['b'], attributes: [attrInt('axis', 0)] },
          { opType: 'Unsqueeze', name: 'unsq', inputs: ['b', 'axes0'], outputs: ['b1'] },
          { opType: 'Concat', name: 'cat', inputs: ['b1', 'minus1'], outputs: ['target'], attributes: [attrInt('axis', 0)] },
          { opType: 'Reshape', name: 'reshape', inputs: ['h', 'target'], outputs: ['r'] },
          { opType: 'Relu', name: 'relu', inputs: ['r'], outputs: ['y0'] },
          { opType: 'Identity', name: 'out', inputs: ['y0'], outputs: ['y'] },
          // A branch nothing reads.
          { opType: 'Sigmoid', name: 'dead', inputs: ['h'], outputs: ['unused'] },
        ],
        initializers: [
          { name: 'Wt', dataType: FLOAT, dims: [4, 3], raw: f32(Wt) },
          { name: 'zero', dataType: INT64, dims: [], raw: i64([0]) },
          { name: 'axes0', dataType: INT64, dims: [1], raw: i64([0]) },
          { name: 'minus1', dataType: INT64, dims: [1], raw: i64([-1]) },
          { name: 'spare', dataType: FLOAT, dims: [64], raw: f32(new Array(64).fill(1)) },
        ],
        inputs: [valueInfo('x', FLOAT, [2, 3])],
        outputs: [valueInfo('y', FLOAT, [2, 4])],
      },
    }),
  );
});
after(async () => {
  await dir.remove();
});

async function run(path: string, x: Float32Array): Promise<number[]> {
  const out = await runOnFloat32(path, 'x', x, [2, 3], { graphOptimizationLevel: 'disabled' });
  return Array.from(out.y.data as Float32Array);
}

test('simplify keeps only the work: a MatMul on the folded weight, and the Relu', async () => {
  const out = join(dir.path, 'model.simplify.onnx');
  const changes = await simplifyModel(source, out);
  const simplified = await readModel(out);
  const ops = simplified.graph.nodes.map((n) => n.opType);
  // The shape subgraph folds to [2,-1]; the Reshape of [2,4] to [2,4] is then a no-op and goes in the next pass.
  assert.deepEqual(ops, ['MatMul', 'Relu'], `left: ${ops.join(', ')}; changes: ${changes.join('; ')}`);
  const mm = simplified.graph.nodes[0];
  assert.deepEqual(mm.inputs[0], 'x', 'the MatMul reads the graph input straight, past Identity, Dropout and Cast');
  assert.deepEqual(simplified.graph.nodes[1].outputs, ['y'], 'Relu writes the graph output the Identity made');
  const inits = simplified.graph.initializers.map((t) => t.name);
  assert.deepEqual(inits, ['W'], 'the transposed weight is folded; Wt, the shape constants and the spare are gone');
  assert.deepEqual(simplified.graph.initializers[0].dims, [3, 4]);
  assert.ok(
    changes.some((c) => /folded/.test(c)) && changes.some((c) => /no-op/.test(c)) && changes.some((c) => /unused initializer/.test(c)),
    changes.join('; '),
  );

  const x = Float32Array.from([0.5, -1, 2, 3, 0.25, -0.75]);
  assert.deepEqual(await run(out, x), await run(source, x));
  assert.ok(statSync(out).size < statSync(source).size);
});

test('simplify on a model with nothing to simplify writes an equal model', async () => {
  const plain = join(dir.path, 'plain.onnx');
  await writeFile(
    plain,
    model({
      graph: {
        nodes: [{ opType: 'Relu', name: 'relu', inputs: ['x'], outputs: ['y'] }],
        inputs: [valueInfo('x', FLOAT, [2, 3])],
        outputs: [valueInfo('y', FLOAT, [2, 3])],
      },
    }),
  );
  const out = join(dir.path, 'plain.simplify.onnx');
  assert.deepEqual(await simplifyModel(plain, out), []);
  assert.equal(statSync(out).size, statSync(plain).size);
});
