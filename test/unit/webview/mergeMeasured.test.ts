/** mergeMeasured: measured values replace inferred/file entries by name, new tensors are added, nothing else changes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InspectorGraph, InspectorValue } from '../../../src/shared/inspectorProtocol';
import { mergeMeasured } from '../../../webview-ui/lib/mergeMeasured';

const value = (name: string, shape: (number | string | null)[], extra: Partial<InspectorValue> = {}): InspectorValue => ({
  name,
  type: 'tensor(float)',
  kind: 'tensor',
  elemType: 1,
  elemTypeName: 'float',
  shape,
  ...extra,
});

test('measured entries replace inferred ones in place and new ones are appended; the graph is not mutated', () => {
  const graph: InspectorGraph = {
    id: '',
    name: 'g',
    nodes: [],
    inputs: [value('x', ['batch', 3])],
    outputs: [value('y', ['batch', 2])],
    initializers: [],
    valueInfo: [value('a', ['batch', 3], { source: 'inferred' }), value('b', [null, 2], { source: 'inferred' })],
  };
  const stats = { min: 0, max: 1, mean: 0.5, nanCount: 2, infCount: 0 };
  const merged = mergeMeasured(graph, [
    value('b', [4, 2], { source: 'measured', stats }),
    value('c', [4], { source: 'measured' }),
    value('y', [4, 2], { source: 'measured' }),
  ]);
  assert.deepEqual(
    merged.valueInfo.map((v) => [v.name, v.shape, v.source]),
    [
      ['a', ['batch', 3], 'inferred'],
      ['b', [4, 2], 'measured'],
      ['c', [4], 'measured'],
      ['y', [4, 2], 'measured'],
    ],
  );
  assert.deepEqual(merged.valueInfo[1].stats, stats);
  assert.deepEqual(merged.outputs, graph.outputs);
  assert.equal(graph.valueInfo.length, 2);
  assert.equal(graph.valueInfo[1].source, 'inferred');
});
