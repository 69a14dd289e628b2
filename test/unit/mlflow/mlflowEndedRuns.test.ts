/** A run's files never change after it ends: the endpoint refuses writes to ended runs, and stops only after requests in flight. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { request } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { processIdentity } from '../../../src/core/runs/processLiveness';
import { api, dispose, launchedEndpoint, metric, raw } from './mlflowTestSupport';

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel = '') => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name), `${rel}${e.name}/`);
      else out[rel + e.name] = readFileSync(path.join(d, e.name), 'utf8');
    }
  };
  walk(dir);
  return out;
}

describe('MLflow endpoint: ended runs', () => {
  it('refuses metrics, params, tags, artifacts and a restart on a nested run the script ended', async () => {
    const f = await launchedEndpoint();
    try {
      const created = await api(f.ep, 'runs/create', { experiment_id: '0', tags: [{ key: 'mlflow.parentRunId', value: f.run.id }] });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const childId = (created.body.run as { info: { run_id: string } }).info.run_id;
      assert.equal((await api(f.ep, 'runs/log-metric', { run_id: childId, ...metric('loss', 0.5) })).status, 200);
      const ended = await api(f.ep, 'runs/update', { run_id: childId, status: 'FAILED', end_time: 1_700_000_000_999 });
      assert.equal(ended.status, 200);
      assert.deepEqual(
        [(ended.body.run_info as { status: string }).status, (ended.body.run_info as { end_time: number }).end_time],
        ['FAILED', 1_700_000_000_999],
      );
      const stored = await f.store.readRun(childId);
      assert.equal(stored?.status, 'failed');
      assert.equal(stored?.metrics?.loss.last, 0.5);
      const before = snapshot(f.store.runDir(childId));
      const refusals = [
        await api(f.ep, 'runs/log-metric', { run_id: childId, ...metric('loss', 0.1, 1) }),
        await api(f.ep, 'runs/log-batch', { run_id: childId, metrics: [metric('loss', 0.1, 2)] }),
        await api(f.ep, 'runs/log-parameter', { run_id: childId, key: 'lr', value: '1' }),
        await api(f.ep, 'runs/set-tag', { run_id: childId, key: 'k', value: 'v' }),
        await api(f.ep, 'runs/update', { run_id: childId, status: 'RUNNING' }),
      ];
      for (const r of refusals) {
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.body.error_code, 'INVALID_PARAMETER_VALUE');
        assert.match(r.body.message as string, /must be in the 'active' state\. Current state is failed/);
      }
      const upload = await raw(f.ep, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/0/${childId}/artifacts/late.txt`, 'late');
      assert.equal(upload.status, 400, upload.text);
      assert.deepEqual(snapshot(f.store.runDir(childId)), before, 'not one byte of the ended run changed');
      const got = await api(f.ep, 'runs/get', { run_id: childId });
      assert.equal((got.body.run as { info: { status: string } }).info.status, 'FAILED', 'it can still be read');
    } finally {
      await dispose(f);
    }
  });

  it('refuses writes to runs of the store that ended, or that another process records', async () => {
    const f = await launchedEndpoint();
    try {
      const done = await f.store.createRun({ status: 'finished', startTime: 1, endTime: 2, experiment: 'old' });
      const r = await api(f.ep, 'runs/log-metric', { run_id: done.id, ...metric('x', 1) });
      assert.equal(r.status, 400);
      assert.equal(r.body.error_code, 'INVALID_PARAMETER_VALUE');
      assert.match(r.body.message as string, /Current state is finished/);
      const other = await f.store.createRun({ status: 'running', owner: { launcher: processIdentity(process.ppid) } });
      const r2 = await api(f.ep, 'runs/set-tag', { run_id: other.id, key: 'k', value: 'v' });
      assert.equal(r2.status, 400);
      assert.match(r2.body.message as string, /recorded by another process/);
      const read = await api(f.ep, 'runs/get', { run_id: done.id });
      assert.equal((read.body.run as { info: { status: string; experiment_id: string } }).info.status, 'FINISHED');
      const exp = await api(f.ep, 'experiments/get-by-name', { experiment_name: 'old' });
      assert.equal(exp.status, 200, 'experiments of the store exist');
    } finally {
      await dispose(f);
    }
  });

  it('after the launch ends, the launched run refuses writes; close() waits for an upload in flight', async () => {
    const f = await launchedEndpoint();
    const { hostname, port } = new URL(f.ep.url);
    let answer = '';
    const finished = new Promise<number>((resolve, reject) => {
      const req = request(
        {
          hostname,
          port,
          method: 'PUT',
          path: `/api/2.0/mlflow-artifacts/artifacts/0/${f.run.id}/artifacts/big.bin`,
          headers: { Authorization: `Bearer ${f.ep.token}` },
        },
        (res) => {
          res.on('data', (c) => (answer += c));
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.write(Buffer.alloc(1024, 1));
      setTimeout(() => req.end(Buffer.alloc(1024, 2)), 300);
    });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await f.ep.close();
    assert.ok(Date.now() - t0 >= 150, 'close waited for the request in flight');
    assert.equal(await finished, 200, answer);
    assert.equal(readFileSync(path.join(f.store.runDir(f.run.id), 'artifacts', 'big.bin')).length, 2048);
    await f.ep.session.close({ ok: true });
    await assert.rejects(f.ep.session.writable(f.run.id), /must be in the 'active' state/);
    await assert.rejects(fetch(`${f.ep.url}/api/2.0/mlflow/runs/get?run_id=${f.run.id}`), 'the endpoint is gone');
    await f.writer.close();
  });

  it('runs/create becomes the launched run once, then nests; experiments and search follow', async () => {
    const f = await launchedEndpoint({ experiment: 'base' });
    try {
      const created = await api(f.ep, 'experiments/create', { name: 'lightning_logs' });
      const expId = created.body.experiment_id as string;
      const first = await api(f.ep, 'runs/create', { experiment_id: expId, tags: [{ key: 'mlflow.runName', value: 'x' }] });
      const info = (first.body.run as { info: Record<string, unknown> }).info;
      assert.equal(info.run_id, f.run.id, 'the first run the script creates is the launched run');
      assert.equal(info.run_uuid, f.run.id);
      assert.equal(info.experiment_id, expId);
      assert.equal(info.artifact_uri, `mlflow-artifacts:/${expId}/${f.run.id}/artifacts`);
      assert.equal(info.lifecycle_stage, 'active');
      assert.equal(f.run.experiment, 'lightning_logs', 'the launched run moved to the experiment the script picked');
      const second = await api(f.ep, 'runs/create', { experiment_id: expId });
      const childId = (second.body.run as { info: { run_id: string } }).info.run_id;
      assert.notEqual(childId, f.run.id);
      assert.equal((await f.store.readRun(childId))?.parentId, f.run.id, 'a second top-level run nests under the launched one');
      await api(f.ep, 'runs/log-batch', { run_id: f.run.id, metrics: [metric('acc', 0.9)], params: [{ key: 'lr', value: '0.1' }] });
      await api(f.ep, 'runs/log-batch', { run_id: childId, metrics: [metric('acc', 0.7)] });
      const search = await api(f.ep, 'runs/search', {
        experiment_ids: [expId],
        filter: 'metrics.acc > 0.5',
        order_by: ['metrics.acc ASC'],
      });
      const ids = (search.body.runs as Array<{ info: { run_id: string } }>).map((r) => r.info.run_id);
      assert.deepEqual(ids, [childId, f.run.id]);
      const none = await api(f.ep, 'runs/search', { experiment_ids: [expId], filter: "params.lr = '0.2'" });
      assert.deepEqual(none.body.runs, []);
      const paged = await api(f.ep, 'runs/search', { experiment_ids: [expId], max_results: 1 });
      assert.equal((paged.body.runs as unknown[]).length, 1);
      assert.equal(typeof paged.body.next_page_token, 'string');
      const got = await api(f.ep, 'runs/get', { run_id: f.run.id });
      const data = (got.body.run as { data: { metrics: unknown[]; params: unknown[]; tags: Array<{ key: string }> } }).data;
      assert.deepEqual(data.metrics, [metric('acc', 0.9)]);
      assert.deepEqual(data.params, [{ key: 'lr', value: '0.1' }]);
      assert.ok(data.tags.some((t) => t.key === 'mlflow.runName'));
      assert.equal(f.ep.env.MLFLOW_RUN_ID, f.run.id);
      assert.equal(f.ep.env.MLFLOW_TRACKING_URI, f.ep.url);
      assert.match(f.ep.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await dispose(f);
    }
  });
});
