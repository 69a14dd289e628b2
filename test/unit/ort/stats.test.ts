/** Latency statistics, benchmark comparison, top-k and tensor comparison: pure functions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareBenchmarks, compareTensors, latencyStats, percentile, topKOfRow, type BenchmarkResult } from '../../../src/core/ort';
import { DataType } from '../../../src/core/onnx';

test('percentile interpolates like NumPy and stats are ordered', () => {
  const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.equal(percentile(sorted, 50), 5.5);
  assert.equal(percentile(sorted, 90), 9.1);
  assert.ok(Math.abs(percentile(sorted, 99) - 9.91) < 1e-12);
  assert.equal(percentile([4], 99), 4);
  assert.ok(Number.isNaN(percentile([], 50)));
  const s = latencyStats([5, 1, 4, 2, 3]);
  assert.deepEqual([s.min, s.p50, s.max, s.mean], [1, 3, 5, 3]);
  assert.ok(Math.abs(s.stddev - Math.sqrt(2)) < 1e-12);
  assert.ok(s.p50 <= s.p90 && s.p90 <= s.p99);
});

const result = (p50: number, throughput: number, runs = 100): BenchmarkResult =>
  ({
    model: { path: '/m.onnx', sizeBytes: 1 },
    startedAt: 't',
    sessionCreateMs: 10,
    firstRunMs: 2,
    latenciesMs: [],
    p50,
    p90: p50 * 2,
    p99: p50 * 3,
    mean: p50,
    min: p50,
    max: p50 * 3,
    stddev: 0,
    throughput,
    peakRssBytes: 100,
    config: {
      warmup: 10,
      runs,
      batchSize: 1,
      dims: {},
      intraOpThreads: 'default',
      interOpThreads: 'default',
      graphOptimizationLevel: 'all',
      executionProviders: ['cpu'],
      inputs: [],
      outputs: [],
      skippedOutputs: [],
      onnxruntime: '1',
      node: 'v20',
      cpu: 'x',
      cores: 2,
    },
  }) as BenchmarkResult;

test('compareBenchmarks gives deltas, ratios, speed-up and config differences', () => {
  const c = compareBenchmarks(result(4, 250), result(2, 500, 200));
  assert.equal(c.figures.p50.delta, -2);
  assert.equal(c.figures.p50.ratio, 0.5);
  assert.equal(c.figures.p50.percent, -50);
  assert.equal(c.figures.throughput.ratio, 2);
  assert.equal(c.speedup, 2);
  assert.equal(c.faster, 'b');
  assert.deepEqual(c.configDifferences, ['runs: 100 → 200']);
  assert.equal(compareBenchmarks(result(2, 1), result(2, 1)).faster, 'same');
  assert.ok(Number.isNaN(compareBenchmarks({ ...result(2, 1), peakRssBytes: 0 }, result(2, 1)).figures.peakRssBytes.ratio));
});

test('topKOfRow: softmax of logits, probabilities kept, NaN skipped, ties by index', () => {
  const top = topKOfRow([1, 3, 2, 3], 3, false);
  assert.deepEqual(
    top.map((e) => e.index),
    [1, 3, 2],
  );
  const denom = Math.exp(1) + 2 * Math.exp(3) + Math.exp(2);
  assert.ok(Math.abs(top[0].prob - Math.exp(3) / denom) < 1e-12);
  assert.deepEqual(topKOfRow([0.1, 0.7, 0.2], 1, true), [{ index: 1, value: 0.7, prob: 0.7 }]);
  assert.deepEqual(
    topKOfRow([NaN, 1], 5, false).map((e) => e.index),
    [1],
  );
});

test('compareTensors: tolerance, NaN equals NaN, infinities, shapes, strings, float16', () => {
  const exp = (values: Float32Array | string[] | Uint16Array, dims: number[], dataType: number = DataType.FLOAT) => ({
    name: 'y',
    dataType,
    dtype: '',
    dims,
    values,
  });
  assert.equal(
    compareTensors(exp(new Float32Array([1, NaN, Infinity]), [3]), {
      type: 'float32',
      dims: [3],
      data: new Float32Array([1.0005, NaN, Infinity]),
    }).equal,
    true,
  );
  assert.equal(
    compareTensors(exp(new Float32Array([1]), [1]), { type: 'float32', dims: [1], data: new Float32Array([1.01]) }).equal,
    false,
  );
  assert.equal(compareTensors(exp(new Float32Array([0]), [1]), { type: 'float32', dims: [1], data: new Float32Array([NaN]) }).equal, false);
  assert.equal(
    compareTensors(exp(new Float32Array([Infinity]), [1]), { type: 'float32', dims: [1], data: new Float32Array([-Infinity]) }).equal,
    false,
  );
  assert.match(
    (
      compareTensors(exp(new Float32Array([1, 2]), [2]), { type: 'float32', dims: [1, 2], data: new Float32Array([1, 2]) }) as {
        reason: string;
      }
    ).reason,
    /shape/,
  );
  assert.equal(compareTensors(exp(['a'], [1], DataType.STRING), { type: 'string', dims: [1], data: ['b'] }).equal, false);
  assert.equal(
    compareTensors(exp(new Uint16Array([0x3c00]), [1], DataType.FLOAT16), { type: 'float16', dims: [1], data: new Uint16Array([0x3c00]) })
      .equal,
    true,
  );
  assert.equal(
    compareTensors(
      { ...exp(new Float32Array(0), [1]), dataType: DataType.INT64, values: new BigInt64Array([5n]) },
      { type: 'int64', dims: [1], data: new BigInt64Array([5n]) },
    ).equal,
    true,
  );
});
