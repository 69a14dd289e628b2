/**
 * python/mlw_mlflow_endpoint.py (what job.sh starts on a remote node) for real: the Python process on loopback,
 * called over HTTP with the requests MLflow's Python client sends (paths, methods, fields of MLflow's REST API 2.0:
 * GET runs/get and experiments/get-by-name with query params, POST JSON for the writes, the token as Bearer).
 * MLflow's client itself cannot be installed here, so the calls are written out as it makes them. The files it
 * writes are read with the local side's own readers (readMetrics, readLogged), as sync-back does.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { needs, SYSTEM_PYTHON } from '../../support/requires';
import { readMetrics } from '../../../src/core/runs/readMetrics';
import { readLogged } from '../../../src/core/runs/readLogged';
import { experimentIdOf } from '../../../src/core/mlflow/mlflowExperiments';

const ENDPOINT = path.resolve(__dirname, '../../../../python/mlw_mlflow_endpoint.py');
const havePython = spawnSync(SYSTEM_PYTHON, ['-c', 'import http.server'], { timeout: 10_000 }).status === 0;
let dir: string;
let child: ChildProcess | undefined;
let base = '';
let token = '';
let experimentId = '';

async function waitForFile(file: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(file) && statSync(file).size > 0) return readFileSync(file, 'utf8');
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the endpoint wrote no ${file} in ${timeoutMs} ms`);
}

before(async () => {
  if (!havePython) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'mlw-remote-mlflow-'));
  const out = path.join(dir, 'mlflow-endpoint');
  child = spawn(SYSTEM_PYTHON, [ENDPOINT, dir, out], {
    env: { ...process.env, MLW_RUN_ID: 'r1', MLW_EXPERIMENT: 'vision', MLW_RUN_NAME: 'baseline', MLW_PARAMS: '{"lr":0.01,"layers":2}' },
    stdio: 'ignore',
  });
  const [port, tok, exp] = (await waitForFile(out, 10_000)).trim().split(' ');
  base = `http://127.0.0.1:${port}/api/2.0/mlflow/`;
  token = tok;
  experimentId = exp;
  assert.equal((statSync(out).mode & 0o777).toString(8), '600', 'the token file is private');
});

after(() => {
  child?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ready = (t: TestContext) => needs(t, 'python3', havePython, 'apt-get install python3');

async function call(method: 'GET' | 'POST', endpoint: string, body: Record<string, unknown>, auth = `Bearer ${token}`) {
  const url = method === 'GET' ? `${base}${endpoint}?${new URLSearchParams(body as Record<string, string>)}` : base + endpoint;
  const res = await fetch(url, {
    method,
    headers: { Authorization: auth, 'Content-Type': 'application/json' },
    body: method === 'POST' ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  // MLflow's replies, read field by field as JSON (the asserts check their shape).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

describe('the remote MLflow endpoint (python/mlw_mlflow_endpoint.py)', () => {
  it('answers what mlflow.start_run() with MLFLOW_RUN_ID asks, with the experiment id local runs use', async (t) => {
    if (!ready(t)) return;
    assert.equal(experimentId, experimentIdOf('vision'));
    const byName = await call('GET', 'experiments/get-by-name', { experiment_name: 'vision' });
    assert.equal(byName.status, 200);
    assert.equal(byName.json.experiment.experiment_id, experimentIdOf('vision'));
    const exp = await call('GET', 'experiments/get', { experiment_id: experimentId });
    assert.equal(exp.json.experiment.name, 'vision');
    const got = await call('GET', 'runs/get', { run_id: 'r1', run_uuid: 'r1' });
    assert.equal(got.status, 200);
    assert.equal(got.json.run.info.run_id, 'r1');
    assert.equal(got.json.run.info.experiment_id, experimentId);
    assert.equal(got.json.run.info.status, 'RUNNING');
    assert.equal(got.json.run.info.lifecycle_stage, 'active');
    assert.deepEqual(got.json.run.data.params, [
      { key: 'lr', value: '0.01' },
      { key: 'layers', value: '2' },
    ]);
    const upd = await call('POST', 'runs/update', { run_id: 'r1', run_uuid: 'r1', status: 'RUNNING' });
    assert.equal(upd.json.run_info.status, 'RUNNING');
  });

  it('writes log-metric, log-batch, log-parameter and set-tag into metrics.jsonl and logged.jsonl as the local side reads them', async (t) => {
    if (!ready(t)) return;
    const ok = (r: { status: number; json: unknown }) => assert.equal(r.status, 200, JSON.stringify(r.json));
    ok(await call('POST', 'runs/log-metric', { run_id: 'r1', run_uuid: 'r1', key: 'loss', value: 0.5, timestamp: 1700000000000, step: 0 }));
    ok(
      await call('POST', 'runs/log-batch', {
        run_id: 'r1',
        metrics: [
          { key: 'loss', value: 0.25, timestamp: 1700000000100, step: 1 },
          { key: 'acc', value: 0.9, timestamp: 1700000000100, step: 1 },
        ],
        params: [
          { key: 'optimizer', value: 'adam' },
          { key: 'lr', value: '0.010' }, // the launch value, as MLflow sends it (a string): adds nothing
        ],
        tags: [{ key: 'model', value: 'mlp' }],
      }),
    );
    ok(await call('POST', 'runs/log-parameter', { run_id: 'r1', run_uuid: 'r1', key: 'batch', value: '32' }));
    ok(await call('POST', 'runs/set-tag', { run_id: 'r1', run_uuid: 'r1', key: 'stage', value: 'train' }));
    const metrics = await readMetrics(dir);
    const arr = (a: ArrayLike<number> | undefined) => Array.from(a ?? []);
    assert.deepEqual(arr(metrics.series.get('loss')?.values), [0.5, 0.25]);
    assert.deepEqual(arr(metrics.series.get('loss')?.steps), [0, 1]);
    assert.deepEqual(arr(metrics.series.get('loss')?.timestamps), [1700000000000, 1700000000100]);
    assert.deepEqual(arr(metrics.series.get('acc')?.values), [0.9]);
    const first = readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').split('\n')[0];
    assert.equal(first, '{"k":"loss","v":0.5,"s":0,"t":1700000000000}', 'the line mlw_run.py writes');
    const logged = await readLogged(dir);
    assert.deepEqual(logged.params, { optimizer: 'adam', batch: '32' });
    assert.deepEqual(logged.tags, { model: 'mlp', stage: 'train' });
    const got = await call('GET', 'runs/get', { run_id: 'r1' });
    const latest = Object.fromEntries(got.json.run.data.metrics.map((m: { key: string; value: number }) => [m.key, m.value]));
    assert.deepEqual(latest, { loss: 0.25, acc: 0.9 });
  });

  it('refuses a changed param, an unknown run, a missing token and runs/create with MLflow error codes', async (t) => {
    if (!ready(t)) return;
    const changed = await call('POST', 'runs/log-parameter', { run_id: 'r1', key: 'batch', value: '64' });
    assert.equal(changed.status, 400);
    assert.equal(changed.json.error_code, 'INVALID_PARAMETER_VALUE');
    assert.match(changed.json.message, /Changing param values is not allowed/);
    const unknown = await call('POST', 'runs/log-metric', { run_id: 'nope', key: 'x', value: 1, timestamp: 1, step: 0 });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error_code, 'RESOURCE_DOES_NOT_EXIST');
    const noToken = await call('GET', 'runs/get', { run_id: 'r1' }, 'Bearer wrong');
    assert.equal(noToken.status, 401);
    const basic = await call('GET', 'runs/get', { run_id: 'r1' }, `Basic ${Buffer.from(`me:${token}`).toString('base64')}`);
    assert.equal(basic.status, 200, 'the token as the basic-auth password (MLFLOW_TRACKING_PASSWORD)');
    const create = await call('POST', 'runs/create', { experiment_id: experimentId, start_time: 1 });
    assert.equal(create.status, 400);
    assert.match(create.json.message, /MLFLOW_RUN_ID/);
    assert.equal((await readLogged(dir)).params.batch, '32', 'the refused value was not written');
  });

  it('ends the run as mlflow.end_run() does: runs/update FINISHED with end_time', async (t) => {
    if (!ready(t)) return;
    const r = await call('POST', 'runs/update', { run_id: 'r1', run_uuid: 'r1', status: 'FINISHED', end_time: 1700000009000 });
    assert.equal(r.json.run_info.status, 'FINISHED');
    assert.equal(r.json.run_info.end_time, 1700000009000);
  });
});
