/**
 * int8-static's calibration arithmetic: the streamed histogram (exact bin merges as its range doubles, percentiles
 * within a bin width of the sorted values' own), min-max and percentile ranges, uint8 scale and zero point, and
 * symmetric int8 weights and int32 biases per tensor and per channel.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  activationRange,
  histogramQuantile,
  int8WeightScale,
  quantizeBias,
  quantizeUint8,
  quantizeWeights,
  roundHalfEven,
  StreamingHistogram,
  uint8Params,
} from '../../../src/core/optimize/calibrationMath';

function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/** Exact quantile of sorted values with the same linear convention (rank q·n). */
function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

describe('StreamingHistogram', () => {
  it('keeps every value when its range doubles, and min/max exactly', () => {
    const h = new StreamingHistogram(64);
    h.add([0.1, -0.2, 0.3]);
    assert.equal(h.range, 0.5);
    h.add(Float32Array.of(3, -7.5));
    assert.equal(h.range, 8);
    h.add([0, 0]);
    assert.equal(h.total, 7);
    assert.equal(
      h.counts.reduce((a, b) => a + b, 0),
      7,
    );
    assert.equal(h.min, -7.5);
    assert.equal(h.max, 3);
  });

  it('merges bins exactly: a histogram grown in steps equals one built at the final range', () => {
    const random = seeded(3);
    const values = Array.from({ length: 5000 }, () => (random() - 0.5) * 10);
    const stepwise = new StreamingHistogram(256);
    stepwise.add(values.map((v) => v / 100));
    stepwise.add([...values.map((v) => v / 10), 40]);
    const direct = new StreamingHistogram(256);
    direct.add([40]);
    direct.add(values.map((v) => v / 100));
    direct.add(values.map((v) => v / 10));
    assert.equal(stepwise.range, direct.range);
    assert.deepEqual(Array.from(stepwise.counts), Array.from(direct.counts));
  });

  it('skips NaN and ±Inf, and counts them', () => {
    const h = new StreamingHistogram(16);
    h.add([1, Number.NaN, Number.POSITIVE_INFINITY, -1]);
    assert.deepEqual([h.total, h.nonFinite, h.min, h.max], [2, 2, -1, 1]);
  });

  it('holds zeros seen before any other value', () => {
    const h = new StreamingHistogram(16);
    h.add(new Float32Array(10));
    assert.equal(histogramQuantile(h, 0.5), 0);
    h.add([2]);
    assert.equal(h.total, 11);
    assert.ok(histogramQuantile(h, 0.5) < 0.25, 'the median is still in the zeros’ bin (width 0.25)');
  });
});

describe('percentile from the histogram', () => {
  it('agrees with the sorted values within one bin width, in both tails', () => {
    const random = seeded(11);
    const values: number[] = [];
    const h = new StreamingHistogram();
    for (let batch = 0; batch < 20; batch++) {
      // A normal-ish bulk in [-3, 3] and a few outliers out to ±50.
      const b = Array.from({ length: 2000 }, () => (random() + random() + random() - 1.5) * 2);
      if (batch % 5 === 0) b.push(50 * (random() - 0.5) * 2);
      values.push(...b);
      h.add(b);
    }
    const sorted = [...values].sort((a, b) => a - b);
    const width = (2 * h.range) / h.bins;
    for (const q of [0.0001, 0.01, 0.5, 0.99, 0.9999]) {
      const got = histogramQuantile(h, q);
      assert.ok(Math.abs(got - exactQuantile(sorted, q)) <= width, `q ${q}: ${got} vs ${exactQuantile(sorted, q)} (bin ${width})`);
    }
    const p = activationRange(h, 'percentile', 99.9);
    const m = activationRange(h, 'minmax');
    assert.deepEqual(m, { min: sorted[0], max: sorted[sorted.length - 1] });
    assert.ok(p.max < m.max && p.min > m.min, 'the percentile range leaves the outliers out');
    assert.ok(p.max > 2 && p.min < -2, `but keeps the bulk: ${p.min} ${p.max}`);
    assert.deepEqual(activationRange(h, 'percentile', 100), m);
  });
});

describe('uint8 activation parameters', () => {
  it('scale = (max − min) / 255, zero point = round(−min / scale), 0 exact', () => {
    const p = uint8Params({ min: -1, max: 3 });
    assert.equal(p.scale, Math.fround(4 / 255));
    assert.equal(p.zeroPoint, 64);
    assert.equal(quantizeUint8(0, p), p.zeroPoint);
    assert.equal(quantizeUint8(-1, p), 0);
    assert.equal(quantizeUint8(3, p), 255);
    assert.equal(quantizeUint8(100, p), 255, 'saturates');
  });

  it('widens a range to hold 0: all-positive (after Relu) gives zero point 0, all-negative 255', () => {
    assert.deepEqual(uint8Params({ min: 0.5, max: 2.55 }), { scale: Math.fround(0.01), zeroPoint: 0 });
    assert.equal(uint8Params({ min: -5.1, max: -1 }).zeroPoint, 255);
    assert.deepEqual(uint8Params({ min: 0, max: 0 }), { scale: 1, zeroPoint: 0 });
  });

  it('rounds half to even, as QuantizeLinear does', () => {
    assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, -0, -2, 2, 3]);
  });
});

describe('int8 weights and int32 biases', () => {
  it('per tensor: one scale max|w| / 127, values in [-127, 127]', () => {
    const q = quantizeWeights(Float32Array.of(0.5, -1.27, 0.01, 0), [2, 2]);
    assert.deepEqual(Array.from(q.scales), [Math.fround(0.01)]);
    assert.deepEqual(Array.from(q.values), [50, -127, 1, 0]);
  });

  it('per channel along axis 0 (Conv, Gemm transB) and axis 1 (MatMul [K, N])', () => {
    // [2 channels, 3]: channel 0 max 1, channel 1 max 0.01.
    const w = Float32Array.of(1, -0.6, 0.25, 0.01, 0.006, -0.01);
    const q0 = quantizeWeights(w, [2, 3], 0);
    assert.deepEqual(Array.from(q0.scales), [Math.fround(1 / 127), Math.fround(0.01 / 127)]);
    assert.deepEqual(Array.from(q0.values), [127, -76, 32, 127, 76, -127]);
    // [K 2, N 3]: columns' maxima 1, 0.5, 0.25.
    const q1 = quantizeWeights(Float32Array.of(1, 0.5, -0.25, -0.6, 0.3, 0.15), [2, 3], 1);
    assert.deepEqual(
      Array.from(q1.scales),
      [1, 0.5, 0.25].map((m) => Math.fround(m / 127)),
    );
    assert.deepEqual(Array.from(q1.values), [127, 127, -127, -76, 76, 76]);
  });

  it('an all-zero channel gets scale 1, not a division by zero', () => {
    assert.equal(int8WeightScale(0), 1);
    const q = quantizeWeights(Float32Array.of(0, 0, 2, -2), [2, 2], 0);
    assert.deepEqual(Array.from(q.values), [0, 0, 127, -127]);
  });

  it('biases: int32 codes at scale x_scale × w_scale[c], zero point 0', () => {
    const b = quantizeBias(Float64Array.of(0.5, -0.25), 0.1, Float32Array.of(0.01, 0.02));
    assert.deepEqual(Array.from(b.scales), [Math.fround(0.1 * Math.fround(0.01)), Math.fround(0.1 * Math.fround(0.02))]);
    assert.deepEqual(Array.from(b.values), [500, -125]);
    const shared = quantizeBias(Float64Array.of(1, 2), 0.5, Float32Array.of(0.5));
    assert.deepEqual(Array.from(shared.values), [4, 8]);
  });
});
