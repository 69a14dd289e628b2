import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { alignCurves, normalizeCurve, smoothValues, type Curve } from '../../../webview-ui/lib/downsampleCurves';

const curve = (xs: number[], ys: Array<number | null>): Curve => ({
  xs: Float64Array.from(xs),
  ys: Float64Array.from(ys, (v) => (v === null ? NaN : v)),
});
const plain = (c: Curve) => ({ xs: Array.from(c.xs), ys: Array.from(c.ys, (v) => (Number.isNaN(v) ? null : v)) });

describe('normalizeCurve', () => {
  it('keeps ascending series as they are, with non-finite values as null', () => {
    assert.deepEqual(plain(normalizeCurve([0, 1, 2], [1, NaN, 3])), { xs: [0, 1, 2], ys: [1, null, 3] });
  });
  it('sorts by step, keeps the last value logged at a step and drops points without a step', () => {
    assert.deepEqual(plain(normalizeCurve([2, 0, 1, 0, null], [20, 1, 10, 2, 99])), { xs: [0, 1, 2], ys: [2, 10, 20] });
  });
});

describe('alignCurves', () => {
  it('joins short curves exactly on the union of their steps', () => {
    const a = curve([0, 1, 2], [1, 2, 3]);
    const b = curve([1, 3], [5, 6]);
    assert.deepEqual(alignCurves([a, b], 100), {
      xs: [0, 1, 2, 3],
      ys: [
        [1, 2, 3, null],
        [null, 5, null, 6],
      ],
      downsampled: false,
    });
  });

  it("reduces long curves to two points per bucket (plus the first and last step) and keeps each bucket's min and max", () => {
    const n = 10_000;
    const xs = Array.from({ length: n }, (_, i) => i);
    const ys = xs.map((i) => Math.sin(i / 50));
    ys[5_003] = 42; // a spike inside one bucket
    ys[7_777] = -42;
    const out = alignCurves([curve(xs, ys)], 500);
    assert.equal(out.downsampled, true);
    assert.equal(out.xs.length, 1_002);
    assert.equal(out.ys[0].length, 1_002);
    const vals = out.ys[0].filter((v): v is number => v !== null);
    assert.equal(Math.max(...vals), 42, 'the spike survives');
    assert.equal(Math.min(...vals), -42, 'the dip survives');
    // The spike is in one of the two slots of the bucket of step 5003 (slots 1 + 2k and 2 + 2k).
    const k = Math.floor(5_003 / (9_999 / 500));
    assert.ok(out.ys[0][1 + 2 * k] === 42 || out.ys[0][2 + 2 * k] === 42);
    for (let i = 1; i < out.xs.length; i++) assert.ok(out.xs[i] > out.xs[i - 1], 'x ascending');
  });

  it('puts runs of different lengths on one grid, with nulls after a short run ends', () => {
    const long = curve(
      Array.from({ length: 4_000 }, (_, i) => i),
      Array.from({ length: 4_000 }, () => 1),
    );
    const short = curve(
      Array.from({ length: 1_000 }, (_, i) => i),
      Array.from({ length: 1_000 }, () => 2),
    );
    const out = alignCurves([long, short], 100);
    assert.equal(out.xs.length, 202);
    assert.ok(out.ys[0].every((v) => v === 1 || v === null));
    assert.ok(out.ys[0].filter((v) => v === 1).length >= 100, 'every bucket of the long run has a point');
    const lastShort = out.ys[1].map((v, i) => (v === null ? -1 : i)).reduce((a, b) => Math.max(a, b), -1);
    assert.ok(out.xs[lastShort] <= 1_000 && out.xs[lastShort] > 900, `short run ends near step 1000, ended at ${out.xs[lastShort]}`);
  });

  it('handles no curves, a single point and all-null curves', () => {
    assert.deepEqual(alignCurves([], 10), { xs: [], ys: [], downsampled: false });
    assert.deepEqual(alignCurves([curve([5], [1])], 10), { xs: [5], ys: [[1]], downsampled: false });
    const nulls = curve(
      Array.from({ length: 100 }, (_, i) => i),
      Array.from({ length: 100 }, () => null),
    );
    assert.ok(alignCurves([nulls], 10).ys[0].every((v) => v === null));
  });
});

describe('normalizeCurve on typed arrays', () => {
  it('returns views on clean ascending input and copies when values hold infinities', () => {
    const steps = Float64Array.from([0, 1, 2]);
    const values = Float64Array.from([1, NaN, 3]);
    const c = normalizeCurve(steps, values);
    assert.equal(c.xs.buffer, steps.buffer);
    const inf = normalizeCurve(steps, Float64Array.from([1, Infinity, 3]));
    assert.ok(Number.isNaN(inf.ys[1]));
    assert.notEqual(inf.ys.buffer, values.buffer);
  });
});

describe('curve styles (smoothing, log scale)', () => {
  it('smooths with a debiased moving average; NaN passes through; positive keeps values above zero', () => {
    const s = smoothValues([1, 1, NaN, 1], 0.9);
    assert.deepEqual(
      Array.from(s, (v) => (Number.isNaN(v) ? null : Number(v.toFixed(12)))),
      [1, 1, null, 1],
      'a constant stays constant',
    );
    assert.deepEqual(
      Array.from(smoothValues([2, -1, 0, 3], 0, true), (v) => (Number.isNaN(v) ? null : v)),
      [2, null, null, 3],
    );
    const long = smoothValues(
      Float64Array.from({ length: 5000 }, () => 4),
      0.6,
    );
    assert.ok(Math.abs(long[4999] - 4) < 1e-12, 'no drift once the debiasing term vanishes');
  });

  it('applies the style before the min/max reduction, the same as smoothing the full curve first', () => {
    const n = 20_000;
    const xs = Array.from({ length: n }, (_, i) => i);
    const ys = xs.map((i) => Math.sin(i / 300) + ((i * 7919) % 13) / 13);
    const styled = alignCurves([curve(xs, ys)], 100, [{ smoothing: 0.95 }]);
    const pre = alignCurves([curve(xs, Array.from(smoothValues(ys, 0.95)))], 100);
    assert.deepEqual(styled, pre);
    const exact = alignCurves([curve([0, 1, 2], [1, -2, 3])], 100, [{ positive: true }]);
    assert.deepEqual(exact.ys, [[1, null, 3]]);
  });
});

describe('alignCurves on a long noisy training curve', () => {
  // 50,000 steps of a loss falling from ~2.3 to ~0.1 with noise, one spike and one dip, on a 300-pixel chart.
  const n = 50_000;
  const steps = Array.from({ length: n }, (_, i) => i * 10);
  let seed = 7;
  const noise = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.2;
  const loss = steps.map((_, i) => 0.1 + 2.2 * Math.exp(-i / 8_000) + noise());
  loss[0] = 2.31; // not an extreme of its bucket: noise next to it reaches higher
  loss[1] = 2.45;
  loss[31_337] = 9; // a spike
  loss[12_345] = -3; // a dip
  loss[n - 2] = 0.02;
  loss[n - 1] = 0.11; // the final value, neither the lowest nor the highest of its bucket
  const buckets = 300;
  const out = alignCurves([curve(steps, loss)], buckets);
  const ys = out.ys[0];

  it('draws at most two points per pixel column plus the two ends', () => {
    assert.equal(out.downsampled, true);
    assert.ok(out.xs.length <= 2 * buckets + 2, `${out.xs.length} x slots`);
    assert.equal(ys.length, out.xs.length);
  });

  it('starts on the first logged point and ends on the last one', () => {
    assert.equal(out.xs[0], steps[0]);
    assert.equal(ys[0], 2.31);
    assert.equal(out.xs[out.xs.length - 1], steps[n - 1]);
    assert.equal(ys[ys.length - 1], 0.11);
  });

  it('keeps the highest and the lowest value, at about their step', () => {
    const finite = ys.filter((v): v is number => v !== null);
    assert.equal(Math.max(...finite), 9);
    assert.equal(Math.min(...finite), -3);
    const bucketWidth = (steps[n - 1] - steps[0]) / buckets;
    assert.ok(Math.abs(out.xs[ys.indexOf(9)] - steps[31_337]) < bucketWidth, 'the spike is drawn in its own pixel column');
    assert.ok(Math.abs(out.xs[ys.indexOf(-3)] - steps[12_345]) < bucketWidth, 'the dip is drawn in its own pixel column');
  });

  it('puts x in ascending order and every bucket of a gap-free curve gets a point', () => {
    for (let i = 1; i < out.xs.length; i++) assert.ok(out.xs[i] > out.xs[i - 1], `x ascending at ${i}`);
    for (let k = 0; k < buckets; k++) assert.notEqual(ys[1 + 2 * k], null, `bucket ${k} is empty`);
  });

  it('keeps the ends of every curve that starts at the first step, and the last value of the longest one', () => {
    const short = curve(steps.slice(0, n / 2), loss.slice(0, n / 2));
    const both = alignCurves([curve(steps, loss), short], buckets);
    assert.equal(both.ys[0][0], 2.31);
    assert.equal(both.ys[1][0], 2.31);
    assert.equal(both.ys[0][both.xs.length - 1], 0.11);
    assert.equal(both.ys[1][both.xs.length - 1], null, 'the short run does not reach the last step');
  });
});
