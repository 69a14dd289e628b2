import { test } from 'node:test';
import assert from 'node:assert/strict';
import { histogramQuantile, metricsTotals, monitorPoint, parsePrometheusText } from '../../../src/core/serve/metricsText';
import { buildInferRequest, curlExample, parseModelMetadata, shellQuote } from '../../../src/core/serve/inferExample';
import { MetricsRegistry } from '../../../src/core/serve/prometheus';

test('parsePrometheusText: labels with escapes, +Inf, comments skipped', () => {
  const s = parsePrometheusText('# HELP x y\n# TYPE x counter\nx{a="1",b="q\\"z"} 3\ny_bucket{le="+Inf"} 7\nz 1.5e-3\nbad line here\n');
  assert.deepEqual(s, [
    { name: 'x', labels: { a: '1', b: 'q"z' }, value: 3 },
    { name: 'y_bucket', labels: { le: '+Inf' }, value: 7 },
    { name: 'z', labels: {}, value: 0.0015 },
  ]);
});

test('parsePrometheusText reads what MetricsRegistry writes', () => {
  const reg = new MetricsRegistry();
  const c = reg.counter('mlw_requests_total', 'h', ['model', 'code']);
  c.inc(['m', '200'], 8);
  c.inc(['m', '500'], 2);
  c.inc(['', '200'], 100);
  const hist = reg.histogram('mlw_request_duration_seconds', 'h', ['model'], [0.001, 0.01, 0.1]);
  for (let i = 0; i < 10; i++) hist.observe(['m'], i < 5 ? 0.0005 : 0.05);
  const totals = metricsTotals(parsePrometheusText(reg.render()));
  assert.equal(totals.requests, 10);
  assert.equal(totals.errors, 2);
  assert.equal(totals.durationBuckets.get(Infinity), 10);
  const p = monitorPoint(undefined, totals, 0, 0);
  assert.equal(p.requestsPerSecond, 0);
  assert.equal(p.errorRate, 0.2);
});

test('histogramQuantile interpolates inside the bucket', () => {
  const b = new Map([
    [0.1, 50],
    [0.2, 100],
    [Infinity, 100],
  ]);
  assert.equal(histogramQuantile(0.5, b), 0.1);
  assert.ok(Math.abs(histogramQuantile(0.75, b)! - 0.15) < 1e-12);
  assert.equal(histogramQuantile(0.5, new Map()), undefined);
});

test('monitorPoint differences two scrapes', () => {
  const a = {
    requests: 10,
    errors: 1,
    durationBuckets: new Map([
      [0.01, 10],
      [Infinity, 10],
    ]),
    batchSum: 10,
    batchCount: 10,
    inflight: 0,
  };
  const b = {
    requests: 30,
    errors: 1,
    durationBuckets: new Map([
      [0.01, 30],
      [Infinity, 30],
    ]),
    batchSum: 40,
    batchCount: 20,
    inflight: 2,
  };
  const p = monitorPoint(a, b, 2, 5);
  assert.equal(p.requestsPerSecond, 10);
  assert.equal(p.errorRate, 0);
  assert.equal(p.batchSize, 3);
  assert.ok(p.p50 !== null && p.p50 > 0 && p.p50 <= 10);
});

test('inferExample: -1 becomes 1, zeros, and a shell-safe curl', () => {
  const meta = parseModelMetadata({
    name: "it's",
    inputs: [
      { name: 'x', datatype: 'FP32', shape: [-1, 3] },
      { name: 'k', datatype: 'INT64', shape: [2] },
    ],
    outputs: [],
  });
  const req = buildInferRequest(meta, 'zeros');
  assert.deepEqual(req.inputs[0], { name: 'x', datatype: 'FP32', shape: [1, 3], data: [0, 0, 0] });
  assert.deepEqual(req.inputs[1].data, [0, 0]);
  assert.equal(buildInferRequest(meta, 'random').inputs[0].data.length, 3);
  assert.equal(shellQuote("a'b"), `'a'\\''b'`);
  assert.match(curlExample('http://127.0.0.1:1/', meta), /^curl -sS -X POST 'http:\/\/127\.0\.0\.1:1\/v2\/models\/it'\\''s\/infer'/);
  assert.throws(() => parseModelMetadata({ name: 'x' }));
});
