import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { compareModels } from '../../../src/core/onnx/compareModels';
import { DataType } from '../../../src/core/onnx/dataTypes';
import { summarizeModel } from '../../../src/core/onnx/summarizeModel';
import { f32, model, valueInfo } from './protoWriter';
import { tempDir, type TempDir } from './tempFiles';

let dir: TempDir;
before(async () => {
  dir = await tempDir('mlw-onnx-cmp-');
});
after(async () => {
  await dir.remove();
});

describe('compareModels', () => {
  it('reports signature, opset, operator and size differences', async () => {
    const a = model({
      opsets: [['', 13]],
      graph: {
        nodes: [
          { opType: 'MatMul', inputs: ['x', 'w'], outputs: ['h'] },
          { opType: 'Relu', inputs: ['h'], outputs: ['y'] },
          { opType: 'Relu', inputs: ['y'], outputs: ['z'] },
        ],
        initializers: [{ name: 'w', dataType: DataType.FLOAT, dims: [4, 4], raw: f32(new Array(16).fill(1)) }],
        inputs: [valueInfo('x', DataType.FLOAT, [1, 4]), valueInfo('mask', DataType.BOOL, [1])],
        outputs: [valueInfo('z', DataType.FLOAT, [1, 4])],
      },
    });
    const b = model({
      opsets: [
        ['', 17],
        ['com.microsoft', 1],
      ],
      graph: {
        nodes: [
          { opType: 'MatMul', inputs: ['x', 'w'], outputs: ['h'] },
          { opType: 'Relu', inputs: ['h'], outputs: ['z'] },
          { opType: 'Gelu', domain: 'com.microsoft', inputs: ['z'], outputs: ['g'] },
        ],
        initializers: [{ name: 'w', dataType: DataType.FLOAT16, dims: [4, 4], raw: new Uint8Array(32) }],
        inputs: [valueInfo('x', DataType.FLOAT16, ['N', 4])],
        outputs: [valueInfo('z', DataType.FLOAT, [1, 4]), valueInfo('g', DataType.FLOAT, [1, 4])],
      },
    });
    const [sa, sb] = await Promise.all([summarizeModel(await dir.write('a.onnx', a)), summarizeModel(await dir.write('b.onnx', b))]);
    const c = compareModels(sa, sb);
    assert.equal(c.sameSignature, false);
    assert.deepEqual(
      c.inputs.removed.map((v) => v.name),
      ['mask'],
    );
    assert.deepEqual(
      c.inputs.changed.map((v) => v.changes),
      [['type tensor(float) -> tensor(float16)', 'shape [1,4] -> [N,4]']],
    );
    assert.deepEqual(
      c.outputs.added.map((v) => v.name),
      ['g'],
    );
    assert.deepEqual(c.opsets, [
      { domain: 'ai.onnx', before: 13, after: 17 },
      { domain: 'com.microsoft', after: 1 },
    ]);
    assert.deepEqual(
      c.operators.added.map((o) => `${o.domain}.${o.opType}`),
      ['com.microsoft.Gelu'],
    );
    assert.deepEqual(c.operators.changed, [{ domain: 'ai.onnx', opType: 'Relu', before: 2, after: 1, delta: -1 }]);
    assert.deepEqual(c.parameters, { before: 16, after: 16, delta: 0, ratio: 1 });
    assert.deepEqual(c.parameterBytes, { before: 64, after: 32, delta: -32, ratio: 0.5 });
    assert.deepEqual(
      c.parametersByDtype.map((d) => [d.dtype, d.bytes.delta]),
      [
        ['float', -64],
        ['float16', 32],
      ],
    );
    assert.ok(c.lines.includes('input x: type tensor(float) -> tensor(float16), shape [1,4] -> [N,4]'));
    assert.ok(c.lines.includes('opset ai.onnx: 13 -> 17'));
    assert.ok(c.lines.includes('operator added: com.microsoft.Gelu x1'));

    const same = compareModels(sa, sa);
    assert.equal(same.sameSignature, true);
    assert.deepEqual(same.lines, []);
  });

  it('notices reordered inputs', async () => {
    const m = (order: string[]): Uint8Array => model({ graph: { inputs: order.map((n) => valueInfo(n, DataType.FLOAT, [1])) } });
    const [x, y] = await Promise.all([
      summarizeModel(await dir.write('x.onnx', m(['a', 'b']))),
      summarizeModel(await dir.write('y.onnx', m(['b', 'a']))),
    ]);
    const c = compareModels(x, y);
    assert.equal(c.inputs.reordered, true);
    assert.equal(c.sameSignature, false);
    assert.ok(c.lines.includes('inputs reordered'));
  });
});
