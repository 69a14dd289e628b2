import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  binEdges,
  binFractions,
  binIndex,
  ksStatistic,
  psi,
  PSI_EPSILON,
  quantileSketch,
  quantileSorted,
  Reservoir,
  RunningMoments,
  xorshift,
} from '../../../src/core/serve/driftStats';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('quantiles interpolate linearly between order statistics', () => {
  close(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  close(quantileSorted([1, 2, 3, 4], 0.25), 1.75);
  close(quantileSorted([1, 2, 3, 4], 0), 1);
  close(quantileSorted([1, 2, 3, 4], 1), 4);
  close(quantileSorted([7], 0.3), 7);
  assert.ok(Number.isNaN(quantileSorted([], 0.5)));
});

test('bin edges from reference quantiles and the reference fractions', () => {
  const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const edges = binEdges(ten, 4);
  assert.deepEqual(edges, [3.25, 5.5, 7.75]);
  assert.deepEqual(binFractions(ten, edges), [0.3, 0.2, 0.2, 0.3]);
  // bin i holds e_i <= v < e_(i+1)
  assert.equal(binIndex(edges, 3.25), 1);
  assert.equal(binIndex(edges, 3.2499), 0);
  assert.equal(binIndex(edges, 100), 3);
  assert.equal(binIndex([], 5), 0);
  // Discrete data: equal quantiles merge.
  const d = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
  assert.deepEqual(binEdges(d, 4), [0, 1]);
  assert.deepEqual(binFractions(d, [0, 1]), [0, 0.6, 0.4]);
  // A constant feature keeps one edge at its value: values below it land in an empty reference bin.
  assert.deepEqual(binEdges([5, 5, 5], 10), [5]);
});

test('PSI against hand-computed values', () => {
  // live [0.25, 0.5, 0.25] vs reference [0.25, 0.25, 0.5]: 0.25 ln 2 + 0.25 ln 2
  close(psi([0.25, 0.25, 0.5], [1, 2, 1]), 0.5 * Math.log(2));
  close(psi([0.25, 0.25, 0.5], [10, 10, 20]), 0);
  // An empty live bin is floored at epsilon.
  const e = PSI_EPSILON;
  close(psi([0.5, 0.5], [3, 0]), (1 - 0.5) * Math.log(1 / 0.5) + (e - 0.5) * Math.log(e / 0.5));
  close(psi([0.5, 0.5], [3, 0]), 4.604319, 1e-6);
  assert.ok(Number.isNaN(psi([0.5, 0.5], [0, 0])));
});

test('two-sample KS statistic against hand-computed values', () => {
  close(ksStatistic([1, 2, 3, 4], [3, 4, 5, 6]), 0.5);
  close(ksStatistic([1, 1, 2], [1, 2, 2]), 1 / 3);
  close(ksStatistic([1, 2, 3], [1, 2, 3]), 0);
  close(ksStatistic([1, 2], [3, 4, 5]), 1);
  close(ksStatistic([0.5], [0, 1]), 0.5);
  assert.ok(Number.isNaN(ksStatistic([], [1])));
});

test('running moments: mean, population std, min, max', () => {
  const m = new RunningMoments();
  for (const x of [1, 2, 3, 4]) m.add(x);
  assert.equal(m.count, 4);
  close(m.mean, 2.5);
  close(m.std, Math.sqrt(1.25));
  assert.equal(m.min, 1);
  assert.equal(m.max, 4);
  assert.ok(Number.isNaN(new RunningMoments().std));
});

test('reservoir keeps a uniform sample of bounded size, deterministically', () => {
  const r = new Reservoir(100, xorshift(42));
  for (let i = 0; i < 10_000; i++) r.add(i);
  const s = r.sorted();
  assert.equal(s.length, 100);
  assert.equal(r.seen, 10_000);
  for (let i = 1; i < s.length; i++) assert.ok(s[i] >= s[i - 1]);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  assert.ok(mean > 3500 && mean < 6500, `mean of the sample ${mean}`);
  const again = new Reservoir(100, xorshift(42));
  for (let i = 0; i < 10_000; i++) again.add(i);
  assert.deepEqual(again.sorted(), s);
  const small = new Reservoir(10);
  small.add(3);
  small.add(1);
  assert.deepEqual(Array.from(small.sorted()), [1, 3]);
});

test('quantile sketch: all values when few, evenly spaced quantiles otherwise', () => {
  assert.deepEqual(quantileSketch([1, 2, 3], 10), [1, 2, 3]);
  const sorted = Array.from({ length: 1001 }, (_, i) => i);
  const sketch = quantileSketch(sorted, 4);
  assert.deepEqual(sketch, [125, 375, 625, 875]);
});
