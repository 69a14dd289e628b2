import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { tensorStatistics } from '../../../src/core/onnx';
import { DataType } from '../../../src/core/onnx/dataTypes';
import { loadInspectorState, toLoadError } from '../../../src/features/models/inspectorState';
import { tensorKey } from '../../../src/shared/inspectorProtocol';
import { attrGraph, attrInts, attrTensor, f32, graph, model, valueInfo } from '../onnx/protoWriter';
import { tempDir, type TempDir } from '../onnx/tempFiles';

let dir: TempDir;
before(async () => {
  dir = await tempDir('mlw-inspector-');
});
after(async () => {
  await dir.remove();
});

describe('loadInspectorState', () => {
  it('sends the graph without tensor references and keeps them per scope for statistics', async () => {
    const body = graph({
      name: 'then',
      nodes: [{ opType: 'Add', inputs: ['h', 'b'], outputs: ['y'] }],
      initializers: [{ name: 'b', dataType: DataType.FLOAT, dims: [2], raw: f32([5, 7]) }],
      outputs: [valueInfo('y', DataType.FLOAT, [1, 2])],
    });
    const bytes = model({
      metadata: { author: 'me' },
      graph: {
        nodes: [
          { opType: 'MatMul', name: 'mm', inputs: ['x', 'w'], outputs: ['h'], attributes: [attrInts('perm', [1, 0])] },
          {
            opType: 'Constant',
            outputs: ['c'],
            attributes: [attrTensor('value', { name: 'k', dataType: DataType.FLOAT, dims: [1], raw: f32([1]) })],
          },
          {
            opType: 'If',
            name: 'branch',
            inputs: ['c'],
            outputs: ['y'],
            attributes: [attrGraph('then_branch', body), attrGraph('else_branch', body)],
          },
        ],
        initializers: [{ name: 'w', dataType: DataType.FLOAT, dims: [2, 2], raw: f32([1, 2, 3, 4]) }],
        inputs: [valueInfo('x', DataType.FLOAT, ['batch', 2])],
        outputs: [valueInfo('y', DataType.FLOAT, ['batch', 2])],
      },
    });
    const path = await dir.write('m.onnx', bytes);
    const { state, tensors } = await loadInspectorState(path);
    assert.equal(state.fileName, 'm.onnx');
    assert.equal(state.summary.nodeCount, 5);
    assert.deepEqual(
      state.summary.inputs.map((i) => i.shape),
      [['batch', 2]],
    );
    const json = JSON.stringify(state.graph);
    assert.ok(!json.includes('"ref"'), 'no tensor references in what the webview gets');
    const [mm, constant, branch] = state.graph.nodes;
    assert.deepEqual(mm.attributes, [{ name: 'perm', type: 'ints', text: '[1, 0]' }]);
    assert.match(constant.attributes[0].text, /^tensor float\[1\] k$/);
    assert.deepEqual(
      branch.subgraphs.map((s) => s.attribute),
      ['then_branch', 'else_branch'],
    );
    const then = branch.subgraphs[0].graphs[0];
    assert.equal(then.id, '/2.then_branch.0');
    assert.deepEqual(
      then.initializers.map((t) => t.name),
      ['b'],
    );

    // The file types no intermediate tensor: shape inference fills them in, marked as inferred.
    const h = state.graph.valueInfo.find((v) => v.name === 'h');
    assert.deepEqual(h && { type: h.type, shape: h.shape, source: h.source }, {
      type: 'tensor(float)',
      shape: ['batch', 2],
      source: 'inferred',
    });
    const c = state.graph.valueInfo.find((v) => v.name === 'c');
    assert.deepEqual(c?.shape, [1], 'the Constant output, from its value');
    assert.equal(state.graph.valueInfo.filter((v) => v.name === 'y' || v.name === 'x').length, 0, 'what the file states is not repeated');

    assert.ok(tensors.has(tensorKey('', 'w')));
    assert.ok(tensors.has(tensorKey('/2.then_branch.0', 'b')));
    assert.ok(tensors.has(tensorKey('/2.else_branch.0', 'b')));
    assert.ok(!tensors.has(tensorKey('', 'b')));
    const stats = await tensorStatistics(tensors.get(tensorKey('/2.then_branch.0', 'b'))!);
    assert.equal(stats.mean, 6);
  });

  it('turns a corrupt file into a format error with its offset', async () => {
    const good = model({ graph: { nodes: [{ opType: 'Relu', inputs: ['x'], outputs: ['y'] }] } });
    const path = await dir.write('cut.onnx', good.subarray(0, good.length - 3));
    const error = await loadInspectorState(path).then(
      () => assert.fail('should not read'),
      (e: unknown) => toLoadError(path, e),
    );
    assert.equal(error.kind, 'format');
    assert.equal(error.fileName, 'cut.onnx');
    assert.equal(typeof error.offset, 'number');

    const text = await dir.write('notes.onnx', 'hello, this is not a model\n');
    const notModel = await loadInspectorState(text).then(
      () => undefined,
      (e: unknown) => toLoadError(text, e),
    );
    assert.equal(notModel?.kind, 'format');
    const missing = await loadInspectorState(`${dir.path}/nope.onnx`).then(
      () => undefined,
      (e: unknown) => toLoadError('nope.onnx', e),
    );
    assert.equal(missing?.kind, 'io');
  });
});
