/** MLflow's limits and error bodies at the endpoint, with the messages and status codes MLflow's server gives. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { readMetrics } from '../../../src/core/runs/readMetrics';
import { api, dispose, launchedEndpoint, metric, raw, type Fixture } from './mlflowTestSupport';

describe('MLflow endpoint: limits and errors', () => {
  let f: Fixture;
  before(async () => {
    f = await launchedEndpoint();
  });
  after(() => dispose(f));

  const runId = () => f.run.id;
  const expectError = (r: { status: number; body: Record<string, unknown> }, status: number, code: string, message?: RegExp) => {
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.equal(r.body.error_code, code);
    assert.equal(typeof r.body.message, 'string');
    if (message) assert.match(r.body.message as string, message);
  };

  it('refuses requests without the token, or with another, as 401 UNAUTHENTICATED', async () => {
    expectError(
      await api(f.ep, 'runs/log-metric', { run_id: runId(), ...metric('x', 1) }, null),
      401,
      'UNAUTHENTICATED',
      /MLFLOW_TRACKING_TOKEN/,
    );
    expectError(await api(f.ep, 'runs/get', { run_id: runId() }, 'not-the-token'), 401, 'UNAUTHENTICATED');
    await f.writer.append([]);
    assert.equal((await readMetrics(f.store.runDir(runId()))).series.get('x'), undefined, 'nothing written');
  });

  it('log-batch: at most 1000 metrics, 100 params, 100 tags, 1000 items in all', async () => {
    const metrics = (n: number) => Array.from({ length: n }, (_, i) => metric('m', i, i));
    const kv = (n: number, p: string) => Array.from({ length: n }, (_, i) => ({ key: `${p}${i}`, value: 'v' }));
    expectError(
      await api(f.ep, 'runs/log-batch', { run_id: runId(), metrics: metrics(1001) }),
      400,
      'INVALID_PARAMETER_VALUE',
      /A batch logging request can contain at most 1000 metrics\. Got 1001 metrics\./,
    );
    expectError(
      await api(f.ep, 'runs/log-batch', { run_id: runId(), params: kv(101, 'p') }),
      400,
      'INVALID_PARAMETER_VALUE',
      /at most 100 params\. Got 101/,
    );
    expectError(
      await api(f.ep, 'runs/log-batch', { run_id: runId(), tags: kv(101, 't') }),
      400,
      'INVALID_PARAMETER_VALUE',
      /at most 100 tags\. Got 101/,
    );
    expectError(
      await api(f.ep, 'runs/log-batch', { run_id: runId(), metrics: metrics(950), params: kv(30, 'p'), tags: kv(30, 't') }),
      400,
      'INVALID_PARAMETER_VALUE',
      /at most 1000 metrics, params, and tags\. Got 1010/,
    );
    await f.writer.append([]);
    assert.equal((await readMetrics(f.store.runDir(runId()))).series.get('m'), undefined, 'a refused batch writes nothing');
    assert.equal((await api(f.ep, 'runs/log-batch', { run_id: runId(), metrics: metrics(1000) })).status, 200);
    await f.writer.append([]);
    assert.equal((await readMetrics(f.store.runDir(runId()))).series.get('m')?.values.length, 1000);
  });

  it('log-batch: a body over 1 MB, duplicate param keys and malformed JSON are refused', async () => {
    const big = Array.from({ length: 1000 }, (_, i) => ({ key: 'k'.repeat(200), value: i, timestamp: 1, step: i, pad: 'x'.repeat(900) }));
    expectError(
      await api(f.ep, 'runs/log-batch', { run_id: runId(), metrics: big }),
      400,
      'INVALID_PARAMETER_VALUE',
      /at most 1000000 bytes/,
    );
    expectError(
      await api(f.ep, 'runs/log-batch', {
        run_id: runId(),
        params: [
          { key: 'a', value: '1' },
          { key: 'a', value: '2' },
        ],
      }),
      400,
      'INVALID_PARAMETER_VALUE',
      /Duplicate parameter keys have been submitted: \['a'\]/,
    );
    const r = await fetch(`${f.ep.url}/api/2.0/mlflow/runs/log-batch`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${f.ep.token}` },
      body: '{"run_id":',
    });
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { error_code: string }).error_code, 'BAD_REQUEST');
  });

  it('lengths: param value 6000, tag value 8000, keys 250; names as MLflow allows them', async () => {
    assert.equal((await api(f.ep, 'runs/log-parameter', { run_id: runId(), key: 'ok6000', value: 'v'.repeat(6000) })).status, 200);
    expectError(
      await api(f.ep, 'runs/log-parameter', { run_id: runId(), key: 'long', value: 'v'.repeat(6001) }),
      400,
      'INVALID_PARAMETER_VALUE',
      /Param value 'v+' had length 6001, which exceeded length limit of 6000/,
    );
    assert.equal((await api(f.ep, 'runs/set-tag', { run_id: runId(), key: 'ok8000', value: 't'.repeat(8000) })).status, 200);
    expectError(
      await api(f.ep, 'runs/set-tag', { run_id: runId(), key: 'long', value: 't'.repeat(8001) }),
      400,
      'INVALID_PARAMETER_VALUE',
      /length 8001.*limit of 8000/,
    );
    expectError(
      await api(f.ep, 'runs/log-metric', { run_id: runId(), ...metric('k'.repeat(251), 1) }),
      400,
      'INVALID_PARAMETER_VALUE',
      /length 251.*limit of 250/,
    );
    expectError(
      await api(f.ep, 'runs/log-metric', { run_id: runId(), ...metric('a//b', 1) }),
      400,
      'INVALID_PARAMETER_VALUE',
      /Invalid metric name: 'a\/\/b'/,
    );
    expectError(
      await api(f.ep, 'runs/log-metric', { run_id: runId(), ...metric('bad', 'high') }),
      400,
      'INVALID_PARAMETER_VALUE',
      /valid double/,
    );
    expectError(await api(f.ep, 'runs/log-metric', { run_id: runId(), ...metric('bad', true) }), 400, 'INVALID_PARAMETER_VALUE');
    assert.equal(
      (
        await api(f.ep, 'runs/log-metric', {
          run_id: runId(),
          key: 'train/loss 1.a-b',
          value: '-Infinity',
          timestamp: '1700000000000',
          step: '3',
        })
      ).status,
      200,
    );
    await f.writer.append([]);
    const s = (await readMetrics(f.store.runDir(runId()))).series.get('train/loss 1.a-b');
    assert.deepEqual(
      [s?.values[0], s?.steps[0], s?.timestamps[0]],
      [-Infinity, 3, 1_700_000_000_000],
      'int64 as strings, -Infinity as protobuf writes it',
    );
  });

  it('unknown runs and experiments are RESOURCE_DOES_NOT_EXIST (404); an existing name RESOURCE_ALREADY_EXISTS (400)', async () => {
    expectError(
      await api(f.ep, 'runs/get', { run_id: 'f00dfeedf00dfeedf00dfeedf00dfeed' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      /Run with id=f00dfeed\w+ not found/,
    );
    expectError(await api(f.ep, 'runs/log-metric', { run_id: 'nope', ...metric('x', 1) }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(
      await api(f.ep, 'experiments/get-by-name', { experiment_name: 'never-made' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      /Could not find experiment with name 'never-made'/,
    );
    expectError(
      await api(f.ep, 'experiments/get', { experiment_id: '424242' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      /No Experiment with id=424242 exists/,
    );
    expectError(
      await api(f.ep, 'experiments/create', { name: 'Default' }),
      400,
      'RESOURCE_ALREADY_EXISTS',
      /Experiment 'Default' already exists/,
    );
    expectError(await api(f.ep, 'experiments/create', { name: '' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await api(f.ep, 'runs/delete', { run_id: runId() }), 404, 'ENDPOINT_NOT_FOUND');
    expectError(await api(f.ep, 'runs/log-metric', metric('x', 1)), 400, 'INVALID_PARAMETER_VALUE', /run_id/);
    const wrongMethod = await fetch(`${f.ep.url}/api/2.0/mlflow/runs/get`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${f.ep.token}` },
      body: '{}',
    });
    assert.equal(wrongMethod.status, 404);
  });

  it('artifact paths cannot leave the run folder', async () => {
    const base = `/api/2.0/mlflow-artifacts/artifacts/0/${runId()}/artifacts`;
    for (const p of [
      `${base}/../../escape.txt`,
      `${base}/%2E%2E/%2E%2E/escape.txt`,
      `${base}/a/..%2F..%2F..%2Fescape.txt`,
      `${base}/a\\..\\b`,
    ]) {
      const r = await raw(f.ep, 'PUT', p, 'x');
      assert.ok(r.status === 400 || r.status === 404, `${p}: ${r.status} ${r.text}`);
      assert.match(JSON.parse(r.text).error_code, /INVALID_PARAMETER_VALUE|RESOURCE_DOES_NOT_EXIST/);
    }
    assert.equal(existsSync(path.join(f.store.runDir(runId()), 'escape.txt')), false);
    assert.equal(existsSync(path.join(f.store.dir, 'escape.txt')), false);
    const ok = await raw(f.ep, 'PUT', `${base}/sub/ok.txt`, 'fine');
    assert.equal(ok.status, 200, ok.text);
    assert.equal(readFileSync(path.join(f.store.runDir(runId()), 'artifacts', 'sub', 'ok.txt'), 'utf8'), 'fine');
    const missing = await raw(f.ep, 'GET', `${base}/sub/missing.txt`);
    assert.equal(missing.status, 404);
  });
});
