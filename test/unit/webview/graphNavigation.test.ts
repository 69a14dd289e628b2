/** Keyboard moves on the graph canvas, over real layouts (layoutGraph) of a small graph and a 300-node transformer-like one. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layoutGraph } from '../../../webview-ui/lib/graphLayout';
import { moveInGraph, nearestBox, type GraphMove } from '../../../webview-ui/lib/graphNavigation';
import { transformerLikeGraph } from '../../support/syntheticGraphs';

describe('moveInGraph', () => {
  // A diamond with a tail: 0 -> {1, 2} -> 3 -> 4
  const edges = { sources: [0, 0, 1, 2, 3], targets: [1, 2, 3, 3, 4] };
  const layout = layoutGraph({ nodeCount: 5, ...edges });
  const go = (from: number, ...moves: GraphMove[]) => moves.reduce((v, m) => moveInGraph(layout, edges, v, m), from);

  it('goes down to a consumer and up to a producer, following the chain', () => {
    assert.equal(go(3, 'down'), 4);
    assert.equal(go(4, 'up'), 3);
    assert.ok([1, 2].includes(go(0, 'down')));
    assert.ok([1, 2].includes(go(3, 'up')));
    assert.equal(go(0, 'down', 'down', 'down'), 4);
    assert.equal(go(4, 'up', 'up', 'up'), 0);
  });

  it('goes left and right within a layer, and stays at the ends and where nothing connects', () => {
    const [left, right] = layout.x[1] < layout.x[2] ? [1, 2] : [2, 1];
    assert.equal(go(left, 'right'), right);
    assert.equal(go(right, 'left'), left);
    assert.equal(go(left, 'left'), left);
    assert.equal(go(right, 'right'), right);
    assert.equal(go(0, 'up'), 0);
    assert.equal(go(4, 'down'), 4);
    assert.equal(go(0, 'left'), 0);
    assert.equal(go(-1, 'down'), -1);
  });

  it('picks the producer nearest in x, so a residual edge does not pull the cursor aside', () => {
    const draw = transformerLikeGraph(300);
    const l = layoutGraph(draw);
    for (let v = 0; v < draw.nodeCount; v++) {
      const up = moveInGraph(l, draw, v, 'up');
      const producers = [...draw.targets.keys()].filter((e) => draw.targets[e] === v).map((e) => draw.sources[e]);
      if (producers.length === 0) assert.equal(up, v);
      else {
        assert.ok(producers.includes(up), `box ${v}: ${up} is a producer`);
        const best = Math.min(...producers.map((p) => Math.abs(l.x[p] - l.x[v])));
        assert.equal(Math.abs(l.x[up] - l.x[v]), best);
      }
      const down = moveInGraph(l, draw, v, 'down');
      const consumers = [...draw.sources.keys()].filter((e) => draw.sources[e] === v).map((e) => draw.targets[e]);
      assert.ok(consumers.length === 0 ? down === v : consumers.includes(down), `box ${v}: down to ${down}`);
      for (const m of ['left', 'right'] as const) assert.equal(l.layer[moveInGraph(l, draw, v, m)], l.layer[v]);
    }
  });
});

describe('nearestBox', () => {
  it('finds the box under a point, and none in an empty graph', () => {
    const l = layoutGraph({ nodeCount: 3, sources: [0, 1], targets: [1, 2] });
    for (let v = 0; v < 3; v++) assert.equal(nearestBox(l, l.x[v], l.y[v] + l.h[v] / 2), v);
    assert.equal(nearestBox(layoutGraph({ nodeCount: 0, sources: [], targets: [] }), 0, 0), -1);
  });
});
