import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InspectorDim, InspectorGraph, InspectorNode, InspectorTensor, InspectorValue } from '../../../src/shared/inspectorProtocol';
import { layoutGraph, layoutSteps, nodeAt, type GraphLayout } from '../../../webview-ui/lib/graphLayout';
import { buildDrawGraph } from '../../../webview-ui/lib/graphModel';

function assertNoOverlap(l: GraphLayout, hGap: number): void {
  for (let k = 0; k < l.layerCount; k++) {
    for (let i = l.layerStart[k] + 1; i < l.layerStart[k + 1]; i++) {
      const a = l.layerNodes[i - 1];
      const b = l.layerNodes[i];
      assert.ok(l.x[b] - l.x[a] >= (l.w[a] + l.w[b]) / 2 + hGap - 1e-6, `nodes ${a} and ${b} overlap in layer ${k}`);
    }
  }
}

describe('layoutGraph', () => {
  it('puts every edge target below its source (longest-path layers)', () => {
    // 0 -> 1 -> 2 -> 3, and 0 -> 3 (a long edge)
    const l = layoutGraph({ nodeCount: 4, sources: [0, 1, 2, 0], targets: [1, 2, 3, 3] });
    assert.deepEqual(Array.from(l.layer), [0, 1, 2, 3]);
    assert.equal(l.layerCount, 4);
    for (let v = 1; v < 4; v++) assert.ok(l.y[v] > l.y[v - 1]);
  });

  it('keeps a chain straight and centres a diamond', () => {
    const l = layoutGraph({ nodeCount: 4, sources: [0, 0, 1, 2], targets: [1, 2, 3, 3] });
    assert.deepEqual(Array.from(l.layer), [0, 1, 1, 2]);
    assert.ok(Math.abs(l.x[0] - l.x[3]) < 1e-6, 'top and bottom of the diamond aligned');
    assert.ok(Math.abs((l.x[1] + l.x[2]) / 2 - l.x[0]) < 1e-6, 'branches centred under the top');
    assertNoOverlap(l, 24);
  });

  it('pulls nodes without inputs down next to their consumer', () => {
    // 0 -> 1 -> 2 -> 3; 4 (a Constant) -> 3
    const l = layoutGraph({ nodeCount: 5, sources: [0, 1, 2, 4], targets: [1, 2, 3, 3] });
    assert.equal(l.layer[4], 2);
  });

  it('keeps a chain straight when constants feed it (no drift)', () => {
    // chain 0 -> 2 -> 4 -> ...; constant 2k+1 feeds chain node 2k+2
    const sources: number[] = [];
    const targets: number[] = [];
    for (let k = 0; k < 50; k++) {
      sources.push(2 * k, 2 * k + 1);
      targets.push(2 * k + 2, 2 * k + 2);
    }
    const l = layoutGraph({ nodeCount: 101, sources, targets });
    for (let k = 2; k <= 50; k++) assert.ok(Math.abs(l.x[2 * k] - l.x[2]) < 1e-6, `chain node ${2 * k} moved`);
    for (let k = 0; k < 50; k++) assert.equal(l.layer[2 * k + 1], l.layer[2 * k + 2] - 1);
    assertNoOverlap(l, 24);
    assert.ok(l.width < 400, `width ${l.width}`);
  });

  it('survives cycles, self loops, bad indices and an empty graph', () => {
    const l = layoutGraph({ nodeCount: 3, sources: [0, 1, 2, 1, 7, -1], targets: [1, 2, 0, 1, 0, 2] });
    assert.equal(l.nodeCount, 3);
    assert.ok(Array.from(l.x).every(Number.isFinite));
    const empty = layoutGraph({ nodeCount: 0, sources: [], targets: [] });
    assert.equal(empty.layerCount, 0);
    assert.equal(empty.width, 0);
  });

  it('orders layers by barycentre so parallel chains do not cross', () => {
    // two chains a0->a1->a2 and b0->b1->b2, with layer 1 listed in the opposite order
    const l = layoutGraph({ nodeCount: 6, sources: [0, 5, 3, 4], targets: [5, 2, 4, 1] });
    // 0 -> 5 -> 2 and 3 -> 4 -> 1
    const left0 = l.x[0] < l.x[3];
    assert.equal(l.x[5] < l.x[4], left0);
    assert.equal(l.x[2] < l.x[1], left0);
    assertNoOverlap(l, 24);
  });

  it('respects node widths and finds nodes by point', () => {
    const widths = [200, 60, 60, 300];
    const l = layoutGraph({ nodeCount: 4, sources: [0, 0, 1, 2], targets: [1, 2, 3, 3], widths, hGap: 10 });
    assertNoOverlap(l, 10);
    for (let v = 0; v < 4; v++) {
      assert.equal(nodeAt(l, l.x[v], l.y[v] + l.nodeHeight / 2), v);
      assert.equal(nodeAt(l, l.x[v] + l.w[v] / 2 + 1, l.y[v] + 1) === v, false);
    }
    assert.equal(nodeAt(l, -50, -50), -1);
    assert.ok(Math.min(...Array.from(l.x, (x, v) => x - l.w[v] / 2)) >= -1e-6, 'origin at 0');
  });

  it('yields progress in steps on a large graph and gives the same result as layoutGraph', () => {
    const n = 20000;
    const sources: number[] = [];
    const targets: number[] = [];
    for (let v = 1; v < n; v++) {
      sources.push(v - 1);
      targets.push(v);
      if (v % 7 === 0) {
        sources.push(v - 5);
        targets.push(v);
      }
    }
    const steps = layoutSteps({ nodeCount: n, sources, targets });
    let yields = 0;
    let last = 0;
    let r = steps.next();
    while (!r.done) {
      yields++;
      assert.ok(r.value.fraction >= 0 && r.value.fraction <= 1);
      last = r.value.fraction;
      r = steps.next();
    }
    assert.ok(yields > 10, `yielded ${yields} times`);
    assert.ok(last > 0.5);
    const whole = layoutGraph({ nodeCount: n, sources, targets });
    assert.deepEqual(Array.from(r.value.x.subarray(0, 100)), Array.from(whole.x.subarray(0, 100)));
    for (let e = 0; e < sources.length; e++) assert.ok(whole.layer[targets[e]] > whole.layer[sources[e]]);
  });
});

/**
 * A small real model as the inspector receives it: a ResNet basic block (two Conv + BatchNormalization, the
 * skip connection into Add) and a classifier head, its weights listed as graph inputs too (as IR 3 models do),
 * a Constant feeding Reshape, and two outputs.
 */
function residualModel(): InspectorGraph {
  const value = (name: string, shape: InspectorDim[]): InspectorValue => ({
    name,
    type: 'tensor(float)',
    kind: 'tensor',
    elemTypeName: 'float',
    shape,
  });
  const weight = (name: string, dims: number[]): InspectorTensor => ({
    name,
    dtype: 'float',
    dims,
    bytes: 4 * dims.reduce((a, b) => a * b, 1),
    location: 'inline',
  });
  const node = (name: string, opType: string, inputs: string[], outputs: string[]): InspectorNode => ({
    name,
    opType,
    domain: 'ai.onnx',
    inputs,
    outputs,
    attributes: [],
    subgraphs: [],
  });
  const initializers = [
    weight('conv1.w', [16, 16, 3, 3]),
    weight('bn1.scale', [16]),
    weight('bn1.bias', [16]),
    weight('bn1.mean', [16]),
    weight('bn1.var', [16]),
    weight('conv2.w', [16, 16, 3, 3]),
    weight('bn2.scale', [16]),
    weight('bn2.bias', [16]),
    weight('bn2.mean', [16]),
    weight('bn2.var', [16]),
    weight('fc.w', [10, 16]),
    weight('fc.b', [10]),
  ];
  return {
    id: '',
    name: 'resnet_block',
    inputs: [value('image', ['batch', 16, 32, 32]), ...initializers.map((t) => value(t.name, t.dims))],
    outputs: [value('probabilities', ['batch', 10]), value('features', ['batch', 16])],
    initializers,
    valueInfo: [],
    nodes: [
      node('conv1', 'Conv', ['image', 'conv1.w'], ['c1']),
      node('bn1', 'BatchNormalization', ['c1', 'bn1.scale', 'bn1.bias', 'bn1.mean', 'bn1.var'], ['b1']),
      node('relu1', 'Relu', ['b1'], ['r1']),
      node('conv2', 'Conv', ['r1', 'conv2.w'], ['c2']),
      node('bn2', 'BatchNormalization', ['c2', 'bn2.scale', 'bn2.bias', 'bn2.mean', 'bn2.var'], ['b2']),
      node('skip', 'Add', ['b2', 'image'], ['sum']),
      node('relu2', 'Relu', ['sum'], ['r2']),
      node('pool', 'GlobalAveragePool', ['r2'], ['pooled']),
      node('shape', 'Constant', [], ['flat_shape']),
      node('flatten', 'Reshape', ['pooled', 'flat_shape'], ['features']),
      node('fc', 'Gemm', ['features', 'fc.w', 'fc.b'], ['logits']),
      node('softmax', 'Softmax', ['logits'], ['probabilities']),
    ],
  };
}

describe('layoutGraph on a small real model', () => {
  const draw = buildDrawGraph(residualModel(), undefined);
  const l = layoutGraph({ nodeCount: draw.boxes.length, sources: draw.sources, targets: draw.targets, widths: draw.widths });
  const label = (v: number): string => draw.boxes[v].label;

  it('draws the image input, the twelve operators and the two outputs, not the weights', () => {
    assert.deepEqual(
      draw.boxes.filter((b) => b.kind === 'input').map((b) => b.label),
      ['image'],
    );
    assert.equal(draw.boxes.filter((b) => b.kind === 'op').length, 12);
    assert.deepEqual(
      draw.boxes.filter((b) => b.kind === 'output').map((b) => b.label),
      ['probabilities', 'features'],
    );
    assert.equal(l.nodeCount, 15);
  });

  it('gives every box a position inside the drawing, in exactly one layer', () => {
    const seen = new Array<number>(l.nodeCount).fill(0);
    for (const v of l.layerNodes) seen[v]++;
    assert.deepEqual(seen, new Array<number>(l.nodeCount).fill(1), 'each box listed once in layerNodes');
    for (let v = 0; v < l.nodeCount; v++) {
      assert.ok(Number.isFinite(l.x[v]) && Number.isFinite(l.y[v]), `${label(v)} has a position`);
      assert.ok(l.x[v] - l.w[v] / 2 >= -1e-6 && l.x[v] + l.w[v] / 2 <= l.width + 1e-6, `${label(v)} inside the width`);
      assert.ok(l.y[v] >= 0 && l.y[v] + l.nodeHeight <= l.height + 1e-6, `${label(v)} inside the height`);
      assert.equal(l.w[v], draw.widths[v], `${label(v)} is as wide as its label needs`);
      const k = l.layer[v];
      assert.ok(k >= 0 && k < l.layerCount);
      assert.equal(l.y[v], k * l.layerPitch, `${label(v)} sits on its layer's row`);
    }
  });

  it("draws every edge downward: the consumer a layer below its producer, its box below the producer's", () => {
    assert.equal(draw.sources.length, 15, 'one edge per tensor from its producer to each consumer, and into each output');
    for (let e = 0; e < draw.sources.length; e++) {
      const [s, t] = [draw.sources[e], draw.targets[e]];
      assert.ok(l.layer[t] > l.layer[s], `${label(s)} -> ${label(t)} goes down a layer`);
      assert.ok(l.y[t] >= l.y[s] + l.nodeHeight, `${label(s)} -> ${label(t)}: the target box starts below the source box`);
    }
    const layerOf = (name: string): number => l.layer[draw.boxes.findIndex((b) => b.label === name)];
    assert.equal(layerOf('image'), 0);
    assert.ok(layerOf('Add') > layerOf('Conv'), 'the skip connection joins after the convolutions');
    assert.equal(layerOf('Constant'), layerOf('Reshape') - 1, 'the Constant sits just above the Reshape it feeds');
  });

  it('keeps the boxes of a layer apart, left to right', () => {
    for (let k = 0; k < l.layerCount; k++) {
      for (let i = l.layerStart[k] + 1; i < l.layerStart[k + 1]; i++) {
        const [a, b] = [l.layerNodes[i - 1], l.layerNodes[i]];
        assert.ok(l.x[a] + l.w[a] / 2 < l.x[b] - l.w[b] / 2, `${label(a)} and ${label(b)} overlap in layer ${k}`);
      }
    }
  });

  it('finds each box at its own centre', () => {
    for (let v = 0; v < l.nodeCount; v++) assert.equal(nodeAt(l, l.x[v], l.y[v] + l.nodeHeight / 2), v, label(v));
  });
});
