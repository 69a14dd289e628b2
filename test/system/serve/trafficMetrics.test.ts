/**
 * The request metrics count model traffic only: the monitor's own /stats polls, health and metadata requests
 * must not show up as requests/s or latency in the monitor.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { startServer, type RunningServer } from '../../../src/core/serve/startServer';
import { metricsTotals, monitorPoint, parsePrometheusText, type MetricsTotals } from '../../../src/core/serve/metricsText';
import { silentLogger } from '../../../src/core/logger';
import { CORPUS_DIR, hasCorpus, needs } from '../../support/requires';
import { corpusCases, destroyAgent, postJson, request } from './fixtures';

let server: RunningServer | undefined;

after(async () => {
  await server?.close();
  destroyAgent();
});

async function totals(url: string): Promise<MetricsTotals> {
  const m = await request(`${url}/metrics`);
  assert.equal(m.status, 200);
  return metricsTotals(parsePrometheusText(m.body.toString()));
}

test('polls of /stats, health and metadata are not model traffic; inference is', async (t) => {
  if (!needs(t, 'libonnx-testdata', hasCorpus(), 'apt-get install libonnx-testdata')) return;
  server = await startServer({ models: [{ name: 'add', path: path.join(CORPUS_DIR, 'node/test_add/model.onnx') }], port: 0 }, silentLogger);
  const { url } = server;
  const before = await totals(url);
  // What the monitor and health checks do while nobody sends traffic.
  for (let i = 0; i < 5; i++) {
    assert.equal((await request(`${url}/v2/models/add/stats`)).status, 200);
    assert.equal((await request(`${url}/v2/models/add/ready`)).status, 200);
    assert.equal((await request(`${url}/v2/models/add`)).status, 200);
    assert.equal((await request(`${url}/v2/health/ready`)).status, 200);
  }
  const idle = await totals(url);
  assert.equal(idle.requests, 0, 'an idle server has no model requests');
  const point = monitorPoint(before, idle, 1, Date.now());
  assert.equal(point.requestsPerSecond, 0);
  assert.equal(point.p50, null, 'no latency points without traffic');

  const [x, y] = corpusCases(['node/test_add'])['node/test_add'].inputs;
  const ok = await postJson(`${url}/v2/models/add/infer`, {
    inputs: [
      { name: 'x', shape: x.shape, datatype: 'FP32', data: x.data },
      { name: 'y', shape: y.shape, datatype: 'FP32', data: y.data },
    ],
  });
  assert.equal(ok.status, 200);
  assert.equal((await postJson(`${url}/v2/models/add/infer`, '{')).status, 400);
  const busy = await totals(url);
  assert.equal(busy.requests, 2, 'both inference requests count');
  assert.equal(busy.errors, 1, 'the malformed one is an error');
  const p = monitorPoint(idle, busy, 1, Date.now());
  assert.equal(p.requestsPerSecond, 2);
  assert.ok(p.p50 !== null && p.p50 > 0);
});
