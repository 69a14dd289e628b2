import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataType } from '../../../src/core/onnx/dataTypes';
import { readGraph, MAX_LIST } from '../../../src/core/onnx/readGraph';
import { readTensorData } from '../../../src/core/onnx/readTensorData';
import { attrFloat, attrGraph, attrInt, attrInts, attrString, attrTensor, f32, graph, model, valueInfo } from './protoWriter';
import { tempDir, type TempDir } from './tempFiles';

let dir: TempDir;
before(async () => {
  dir = await tempDir('mlw-onnx-graph-');
});
after(async () => {
  await dir.remove();
});

describe('readGraph', () => {
  it('renders nodes, JSON-able attributes, tensor refs and nested subgraphs', async () => {
    const body = graph({
      name: 'body',
      nodes: [{ opType: 'Add', inputs: ['i', 'one'], outputs: ['o'], attributes: [attrFloat('alpha', NaN)] }],
      initializers: [{ name: 'one', dataType: DataType.FLOAT, dims: [], raw: f32([1]) }],
    });
    const bytes = model({
      opsets: [
        ['', 17],
        ['com.microsoft', 1],
      ],
      graph: {
        name: 'main',
        nodes: [
          {
            opType: 'Conv',
            name: 'conv1',
            inputs: ['x', 'w'],
            outputs: ['c'],
            attributes: [
              attrInts('pads', [1, 1, 1, 1]),
              attrInt('group', 1),
              attrString('auto_pad', 'NOTSET'),
              attrInts('big', new Array(300).fill(2)),
              attrInt('huge', 2n ** 63n - 1n),
            ],
          },
          {
            opType: 'Constant',
            outputs: ['k'],
            attributes: [attrTensor('value', { name: 'k', dataType: DataType.INT64, dims: [2], int64Data: [3, 4] })],
          },
          { opType: 'Loop', inputs: ['n', 'cond'], outputs: ['r'], attributes: [attrGraph('body', body)] },
          { opType: 'FusedGemm', domain: 'com.microsoft', inputs: ['a'], outputs: ['b'] },
        ],
        initializers: [{ name: 'w', dataType: DataType.FLOAT, dims: [2, 1, 1, 1], raw: f32([0.5, 0.25]) }],
        inputs: [valueInfo('x', DataType.FLOAT, ['N', 1, 8, 8]), valueInfo('w', DataType.FLOAT, [2, 1, 1, 1])],
        outputs: [valueInfo('r', DataType.FLOAT, null as unknown as undefined)],
      },
    });
    const path = await dir.write('g.onnx', bytes);
    const view = await readGraph(path);
    JSON.parse(JSON.stringify(view, (_k, v: unknown) => (typeof v === 'bigint' ? assert.fail('bigint in view') : v)));
    assert.deepEqual(view.opsetImports, [
      { domain: 'ai.onnx', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ]);
    const [conv, constant, loop, fused] = view.graph.nodes;
    assert.equal(conv.name, 'conv1');
    assert.deepEqual(conv.inputs, ['x', 'w']);
    assert.deepEqual(conv.attributes.slice(0, 3), [
      { name: 'pads', type: 'ints', value: [1, 1, 1, 1] },
      { name: 'group', type: 'int', value: 1 },
      { name: 'auto_pad', type: 'string', value: 'NOTSET' },
    ]);
    const big = conv.attributes[3].value as { values: unknown[]; length: number };
    assert.equal(big.length, 300);
    assert.equal(big.values.length, MAX_LIST);
    assert.equal(conv.attributes[4].value, '9223372036854775807');
    const k = constant.attributes[0];
    assert.equal(k.type, 'tensor');
    const kt = (k.value as { tensor: { dtype: string; dims: number[]; bytes: number } }).tensor;
    assert.deepEqual([kt.dtype, kt.dims, kt.bytes], ['int64', [2], 16]);
    assert.deepEqual(loop.attributes[0], { name: 'body', type: 'graph', value: { graph: 'body', nodes: 1 } });
    assert.equal(loop.subgraphs.length, 1);
    const sub = loop.subgraphs[0].graphs[0];
    assert.equal(sub.name, 'body');
    assert.equal(sub.nodes[0].attributes[0].value, 'NaN');
    assert.equal(sub.initializers[0].name, 'one');
    assert.equal(fused.domain, 'com.microsoft');
    assert.deepEqual(view.graph.inputs[0].shape, ['N', 1, 8, 8]);
    const w = view.graph.initializers[0];
    assert.deepEqual([w.name, w.dtype, w.dims, w.location, w.bytes], ['w', 'float', [2, 1, 1, 1], 'inline', 8]);
    // The ref in the view reads the values.
    assert.deepEqual([...((await readTensorData(w.ref)).values as Float32Array)], [0.5, 0.25]);
  });
});
