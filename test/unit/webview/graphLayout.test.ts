import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InspectorDim, InspectorGraph, InspectorNode, InspectorTensor, InspectorValue } from '../../../src/shared/inspectorProtocol';
import { layoutGraph, layoutSteps, nodeAt, type GraphLayout } from '../../../webview-ui/lib/graphLayout';
import { buildDrawGraph, searchGraph } from '../../../webview-ui/lib/graphModel';
import { transformerLikeGraph } from '../../support/syntheticGraphs';

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
      assert.equal(nodeAt(l, l.x[v], l.y[v] + l.h[v] / 2), v);
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
      {
        ...node('conv1', 'Conv', ['image', 'conv1.w'], ['c1']),
        attributes: [
          { name: 'kernel_shape', type: 'ints', text: '[3, 3]' },
          { name: 'strides', type: 'ints', text: '[1, 1]' },
          { name: 'pads', type: 'ints', text: '[1, 1, 1, 1]' },
        ],
      },
      node('bn1', 'BatchNormalization', ['c1', 'bn1.scale', 'bn1.bias', 'bn1.mean', 'bn1.var'], ['b1']),
      node('relu1', 'Relu', ['b1'], ['r1']),
      node('conv2', 'Conv', ['r1', 'conv2.w'], ['c2']),
      node('bn2', 'BatchNormalization', ['c2', 'bn2.scale', 'bn2.bias', 'bn2.mean', 'bn2.var'], ['b2']),
      node('skip', 'Add', ['b2', 'image'], ['sum']),
      node('relu2', 'Relu', ['sum'], ['r2']),
      node('pool', 'GlobalAveragePool', ['r2'], ['pooled']),
      { ...node('shape', 'Constant', [], ['flat_shape']), attributes: [{ name: 'value', type: 'tensor', text: 'tensor int64[2]' }] },
      node('flatten', 'Reshape', ['pooled', 'flat_shape'], ['features']),
      node('fc', 'Gemm', ['features', 'fc.w', 'fc.b'], ['logits']),
      node('softmax', 'Softmax', ['logits'], ['probabilities']),
    ],
  };
}

describe('layoutGraph on a small real model', () => {
  const draw = buildDrawGraph(residualModel(), undefined);
  const l = layoutGraph({
    nodeCount: draw.boxes.length,
    sources: draw.sources,
    targets: draw.targets,
    widths: draw.widths,
    heights: draw.heights,
  });
  const label = (v: number): string => draw.boxes[v].label;
  const boxOf = (name: string): number => draw.boxes.findIndex((b) => b.name === name);

  it('draws the image input, the operators and the two outputs; weights and the Constant fold into their nodes', () => {
    assert.deepEqual(
      draw.boxes.filter((b) => b.kind === 'input').map((b) => b.label),
      ['image'],
    );
    assert.equal(draw.boxes.filter((b) => b.kind === 'op').length, 11, 'twelve nodes less the folded Constant');
    assert.deepEqual(
      draw.boxes.filter((b) => b.kind === 'output').map((b) => b.label),
      ['probabilities', 'features'],
    );
    assert.equal(l.nodeCount, 14);
    assert.deepEqual(draw.boxes[boxOf('conv1')].details, ['kernel 3×3', 'pads [1, 1, 1, 1]', 'W ⟨16×16×3×3⟩'], 'stride 1 is the default');
    assert.deepEqual(draw.boxes[boxOf('bn1')].details, ['scale ⟨16⟩', 'B ⟨16⟩', 'mean ⟨16⟩', 'var ⟨16⟩']);
    assert.deepEqual(draw.boxes[boxOf('fc')].details, ['B ⟨10×16⟩', 'C ⟨10⟩']);
    assert.deepEqual(draw.boxes[boxOf('flatten')].details, ['shape ⟨2⟩'], 'the Constant shows as the Reshape input it is');
    assert.ok(draw.heights[boxOf('bn1')] > draw.heights[boxOf('relu1')], 'a box is as tall as its lines');
    assert.equal(draw.constants.get('flat_shape')?.dtype, 'int64');
  });

  it('draws Constants as boxes when asked', () => {
    const all = buildDrawGraph(residualModel(), undefined, { showConstants: true });
    assert.equal(all.boxes.filter((b) => b.kind === 'op').length, 12);
    const la = layoutGraph({ nodeCount: all.boxes.length, sources: all.sources, targets: all.targets, widths: all.widths });
    const layerOf = (name: string): number => la.layer[all.boxes.findIndex((b) => b.name === name)];
    assert.equal(layerOf('shape'), layerOf('flatten') - 1, 'the Constant sits just above the Reshape it feeds');
  });

  it('gives every box a position inside the drawing, in exactly one layer band', () => {
    const seen = new Array<number>(l.nodeCount).fill(0);
    for (const v of l.layerNodes) seen[v]++;
    assert.deepEqual(seen, new Array<number>(l.nodeCount).fill(1), 'each box listed once in layerNodes');
    for (let v = 0; v < l.nodeCount; v++) {
      assert.ok(Number.isFinite(l.x[v]) && Number.isFinite(l.y[v]), `${label(v)} has a position`);
      assert.ok(l.x[v] - l.w[v] / 2 >= -1e-6 && l.x[v] + l.w[v] / 2 <= l.width + 1e-6, `${label(v)} inside the width`);
      assert.ok(l.y[v] >= 0 && l.y[v] + l.h[v] <= l.height + 1e-6, `${label(v)} inside the height`);
      assert.equal(l.w[v], draw.widths[v], `${label(v)} is as wide as its label needs`);
      assert.equal(l.h[v], draw.heights[v], `${label(v)} is as tall as its lines need`);
      const k = l.layer[v];
      assert.ok(k >= 0 && k < l.layerCount);
      assert.ok(l.y[v] >= l.layerTop[k] - 1e-6 && l.y[v] + l.h[v] <= l.layerTop[k] + l.layerHeight[k] + 1e-6, `${label(v)} in its band`);
    }
    for (let k = 1; k < l.layerCount; k++) assert.ok(l.layerTop[k] > l.layerTop[k - 1] + l.layerHeight[k - 1], `gap above layer ${k}`);
  });

  it("draws every edge downward: the consumer a layer below its producer, its box below the producer's", () => {
    assert.equal(draw.sources.length, 14, 'one edge per tensor from its producer to each consumer, and into each output');
    for (let e = 0; e < draw.sources.length; e++) {
      const [s, t] = [draw.sources[e], draw.targets[e]];
      assert.ok(l.layer[t] > l.layer[s], `${label(s)} -> ${label(t)} goes down a layer`);
      assert.ok(l.y[t] >= l.y[s] + l.h[s], `${label(s)} -> ${label(t)}: the target box starts below the source box`);
      assert.equal(draw.edgeTensors[e] !== '', true);
    }
    assert.equal(l.layer[boxOf('image')], 0);
    assert.ok(l.layer[boxOf('skip')] > l.layer[boxOf('conv2')], 'the skip connection joins after the convolutions');
  });

  it('routes the skip connection beside the boxes it passes, and keeps the main chain straight', () => {
    const e = Array.from(draw.sources).findIndex((s, i) => s === boxOf('image') && draw.targets[i] === boxOf('skip'));
    assert.ok(e >= 0);
    const points = l.routeStart[e + 1] - l.routeStart[e];
    assert.equal(points, 2 * (l.layer[boxOf('skip')] - l.layer[boxOf('image')] - 1), 'two points for each layer crossed');
    assertRoutesMissBoxes(l, draw.sources.length);
    for (const name of ['bn1', 'relu1', 'conv2', 'bn2', 'skip', 'relu2'])
      assert.ok(Math.abs(l.x[boxOf(name)] - l.x[boxOf('conv1')]) < 1e-6, `${name} under conv1`);
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
    for (let v = 0; v < l.nodeCount; v++) assert.equal(nodeAt(l, l.x[v], l.y[v] + l.h[v] / 2), v, label(v));
  });

  it('searches nodes by name or op type and tensors by name, apart, exact matches first', () => {
    const conv = searchGraph(draw, 'conv1');
    assert.deepEqual(conv.nodes, [boxOf('conv1')], 'one node named conv1');
    assert.deepEqual(searchGraph(draw, 'relu').nodes, [boxOf('relu1'), boxOf('relu2')], 'op type Relu, as the names');
    const bn = searchGraph(draw, 'BatchNormalization');
    assert.deepEqual(bn.nodes, [boxOf('bn1'), boxOf('bn2')]);
    assert.deepEqual(bn.tensors, [], 'no tensor is named after the op');
    const r = searchGraph(draw, 'r1');
    assert.deepEqual(
      r.tensorNames,
      ['r1', 'r2'].filter((t) => t.includes('r1')),
      'tensor r1',
    );
    assert.deepEqual(r.tensors, [boxOf('relu1')], 'found at the node producing it');
    const features = searchGraph(draw, 'features');
    assert.deepEqual(features.nodes, [boxOf('features')], 'the output box by its name');
    assert.deepEqual(features.tensorNames, ['features'], 'and the tensor, listed apart');
    const exactFirst = searchGraph(draw, 'skip');
    assert.equal(exactFirst.nodes[0], boxOf('skip'));
    assert.deepEqual(searchGraph(draw, '  ').nodes, []);
  });
});

/** No route point of an edge lies inside a box of the layer it crosses. */
function assertRoutesMissBoxes(l: GraphLayout, edgeCount: number): void {
  for (let e = 0; e < edgeCount; e++) {
    for (let p = l.routeStart[e]; p < l.routeStart[e + 1]; p += 2) {
      const k = layerAtYTop(l, l.routeY[p]);
      assert.ok(k >= 0, `route point of edge ${e} at a layer's top`);
      assert.equal(l.routeY[p + 1], l.layerTop[k] + l.layerHeight[k], 'the route leaves the band at its bottom');
      for (let i = l.layerStart[k]; i < l.layerStart[k + 1]; i++) {
        const v = l.layerNodes[i];
        assert.ok(Math.abs(l.routeX[p] - l.x[v]) >= l.w[v] / 2, `edge ${e} runs through box ${v} in layer ${k}`);
      }
    }
  }
}

function layerAtYTop(l: GraphLayout, y: number): number {
  for (let k = 0; k < l.layerCount; k++) if (l.layerTop[k] === y) return k;
  return -1;
}

describe('layoutGraph on large model-like graphs', () => {
  const n = 5000;
  const g = transformerLikeGraph(n);
  const l = layoutGraph(g);

  it('does not drift sideways: the output lands under the input, the drawing a few boxes wide', () => {
    let widest = 0;
    for (let k = 0; k < l.layerCount; k++) {
      let w = 0;
      for (let i = l.layerStart[k]; i < l.layerStart[k + 1]; i++) w += l.w[l.layerNodes[i]] + 24;
      widest = Math.max(widest, w);
    }
    assert.ok(Math.abs(l.x[n - 1] - l.x[0]) < widest, `output ${(l.x[n - 1] - l.x[0]).toFixed(0)} px beside the input`);
    assert.ok(l.width < 3 * widest, `width ${l.width.toFixed(0)} px for layers at most ${widest} px wide`);
  });

  it('routes every long edge beside the boxes and keeps most edges straight', () => {
    assertRoutesMissBoxes(l, g.sources.length);
    let straight = 0;
    for (let e = 0; e < g.sources.length; e++) if (Math.abs(l.x[g.sources[e]] - l.x[g.targets[e]]) < 1e-6) straight++;
    assert.ok(straight / g.sources.length > 0.5, `${straight} of ${g.sources.length} edges straight`);
  });

  it('lines a fork up with its middle branch', () => {
    // 0 -> 1, 2, 3 -> 4
    const f = layoutGraph({ nodeCount: 5, sources: [0, 0, 0, 1, 2, 3], targets: [1, 2, 3, 4, 4, 4] });
    assert.ok(Math.abs(f.x[0] - f.x[2]) < 1e-6 && Math.abs(f.x[4] - f.x[2]) < 1e-6);
    assert.ok(f.x[1] < f.x[2] && f.x[2] < f.x[3]);
  });

  it('shares one route among the long edges of one source, and leaves edges over the budget unrouted', () => {
    // 0 feeds every node of the chain 1 -> 2 -> ... -> 30
    const sources: number[] = [];
    const targets: number[] = [];
    for (let v = 1; v <= 30; v++) {
      if (v > 1) {
        sources.push(v - 1);
        targets.push(v);
      }
      sources.push(0);
      targets.push(v);
    }
    const shared = layoutGraph({ nodeCount: 31, sources, targets });
    // Every route of node 0 crosses a layer at one x: they run down one trunk, not side by side.
    const trunkX = new Map<number, Set<number>>();
    for (let e = 0; e < sources.length; e++) {
      for (let p = shared.routeStart[e]; p < shared.routeStart[e + 1]; p++) {
        const set = trunkX.get(shared.routeY[p]) ?? new Set<number>();
        set.add(shared.routeX[p]);
        trunkX.set(shared.routeY[p], set);
      }
    }
    assert.ok(trunkX.size > 20, 'the long edges are routed');
    for (const [y, xs] of trunkX) assert.equal(xs.size, 1, `routes at y ${y} cross at ${[...xs].join(', ')}`);
    assertRoutesMissBoxes(shared, sources.length);
    const capped = layoutGraph({ nodeCount: 31, sources, targets, maxDummies: 0 });
    assert.equal(capped.routeX.length, 0);
    assert.ok(Array.from(capped.x).every(Number.isFinite));
  });

  it('makes each layer as tall as its tallest box', () => {
    const t = layoutGraph({ nodeCount: 3, sources: [0, 0], targets: [1, 2], heights: [20, 80, 30] });
    assert.equal(t.layerHeight[1], 80);
    assert.equal(t.y[2], t.layerTop[1] + 25, 'a shorter box is centred in the band');
    assert.equal(nodeAt(t, t.x[1], t.layerTop[1] + 70), 1);
    assert.equal(nodeAt(t, t.x[2], t.layerTop[1] + 70), -1, 'below the short box');
  });
});
