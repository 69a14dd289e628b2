import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeLabelValue, formatValue, MetricsRegistry } from '../../../src/core/serve/prometheus';

test('text format 0.0.4: HELP, TYPE, labels, counters, gauges, histograms', () => {
  const r = new MetricsRegistry();
  const c = r.counter('req_total', 'Requests.\nBy code \\ model.', ['model', 'code']);
  const g = r.gauge('inflight', 'In flight.');
  const h = r.histogram('lat_seconds', 'Latency.', ['model'], [0.1, 1, 0.5]);
  c.inc(['m"1', '200']);
  c.inc(['m"1', '200'], 2);
  c.inc(['a\nb\\', '404']);
  g.set([], 3);
  g.dec();
  h.observe(['m'], 0.05);
  h.observe(['m'], 0.7);
  h.observe(['m'], 3);
  h.observe(['m'], 0.1);
  assert.equal(
    r.render(),
    [
      '# HELP req_total Requests.\\nBy code \\\\ model.',
      '# TYPE req_total counter',
      'req_total{model="m\\"1",code="200"} 3',
      'req_total{model="a\\nb\\\\",code="404"} 1',
      '# HELP inflight In flight.',
      '# TYPE inflight gauge',
      'inflight 2',
      '# HELP lat_seconds Latency.',
      '# TYPE lat_seconds histogram',
      'lat_seconds_bucket{model="m",le="0.1"} 2',
      'lat_seconds_bucket{model="m",le="0.5"} 2',
      'lat_seconds_bucket{model="m",le="1"} 3',
      'lat_seconds_bucket{model="m",le="+Inf"} 4',
      'lat_seconds_sum{model="m"} 3.85',
      'lat_seconds_count{model="m"} 4',
      '',
    ].join('\n'),
  );
  assert.equal(c.value(['m"1', '200']), 3);
  assert.deepEqual(h.snapshot(['m']), { count: 4, sum: 3.85, buckets: [2, 0, 1] });
});

test('values, label escaping and registry rules', () => {
  assert.equal(formatValue(NaN), 'NaN');
  assert.equal(formatValue(Infinity), '+Inf');
  assert.equal(formatValue(-Infinity), '-Inf');
  assert.equal(formatValue(1e-7), '1e-7');
  assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  const r = new MetricsRegistry();
  r.counter('x_total', 'x');
  assert.throws(() => r.counter('x_total', 'again'), /registered twice/);
  assert.throws(() => r.gauge('bad-name', 'x'), /bad metric name/);
  assert.throws(() => r.histogram('h', 'x', ['le'], [1]), /bad label name/);
  const c = r.counter('y_total', 'y', ['a']);
  assert.throws(() => c.inc(['1', '2']), /takes labels a/);
  assert.throws(() => c.inc(['1'], -1), /only go up/);
  const g = r.gauge('z', 'z', ['k']);
  let calls = 0;
  r.onCollect(() => {
    calls++;
    g.clear();
    g.set(['fresh'], calls);
  });
  assert.match(r.render(), /z\{k="fresh"\} 1\n/);
  assert.match(r.render(), /z\{k="fresh"\} 2\n/);
});
