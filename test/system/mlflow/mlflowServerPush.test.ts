/**
 * `mlw mlflow-server` as a team's tracking server, and `mlw runs push ID --to URL` of a real run
 * (/usr/bin/python3 printing scalars, logging a metric and an artifact through the helper) into it;
 * `mlw runs --json` listing the server's runs through MLFLOW_TRACKING_URI.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { needs, SYSTEM_PYTHON } from '../../support/requires';
import { launchRun } from '../../../src/core/runs/launchRun';
import { RunStore } from '../../../src/core/runs/RunStore';
import { readRunMetrics } from '../../../src/core/runs/listWorkspaceRuns';
import { MlflowClient } from '../../../src/core/mlflow/client/MlflowClient';
import type { Run } from '../../../src/core/runs/runTypes';
import type { RunListJson, RunShowJson } from '../../../src/core/runs/runJson';
import { REPO_ROOT, tempDir } from '../../unit/runs/runsTestSupport';

const MLW = path.resolve(__dirname, '../../../src/cli/mlw.js');
const TOKEN = 'team-secret-token';
const hasPython = () => existsSync(SYSTEM_PYTHON);

function mlw(args: string[], env: Record<string, string | undefined> = {}) {
  const e: NodeJS.ProcessEnv = { ...process.env, MLFLOW_TRACKING_URI: undefined, MLFLOW_TRACKING_TOKEN: undefined, ...env };
  for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
  return spawnSync(process.execPath, [MLW, ...args], { encoding: 'utf8', timeout: 120_000, env: e });
}

const TRAIN = `
import mlw_run as mlw
open("model.bin", "wb").write(bytes(range(256)) * 4096 + b"tail")
for i in range(1500):
    print(f"step={i} loss={1.0 / (i + 1):.6g} lr=0.01")
mlw.log_metric("val_acc", 0.93, step=1499)
mlw.set_tag("stage", "dev")
mlw.log_artifact("model.bin")
`;

let server: ChildProcess | undefined;
let url = '';
let serverWs = '';
let localWs = '';
let local: Run;

before(async () => {
  serverWs = tempDir('mlw-team-server-');
  server = spawn(process.execPath, [MLW, '--workspace', serverWs, 'mlflow-server', '--port', '0', '--token', TOKEN, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    server!.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    server!.once('exit', (code) => reject(new Error(`mlw mlflow-server exited (${code})`)));
  });
  const info = JSON.parse(line) as { url: string; token: string; workspace: string };
  url = info.url;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(info.token, TOKEN);
});

after(() => {
  server?.kill('SIGTERM');
});

describe('mlw runs push to a tracking server', () => {
  it('pushes a real run: identical params, tags, metric history (log-batch chunks) and artifact bytes', async (t) => {
    if (!needs(t, 'python3', hasPython(), 'apt-get install python3')) return;
    localWs = tempDir('mlw-push-local-');
    writeFileSync(path.join(localWs, 'train.py'), TRAIN);
    const store = new RunStore(localWs);
    const handle = await launchRun({
      store,
      script: 'train.py',
      interpreter: SYSTEM_PYTHON,
      params: { epochs: 3, optimizer: 'sgd' },
      experiment: 'shared-exp',
      name: 'push-me',
      helperDir: path.join(REPO_ROOT, 'python'),
      env: { PYTHONDONTWRITEBYTECODE: '1' },
      tags: { owner: 'ana' },
      notes: 'first try',
    });
    local = await handle.done;
    assert.equal(local.status, 'finished', local.outputTail ?? local.error);
    const localSeries = await readRunMetrics(localWs, local, store);
    const localPoints = [...localSeries.values()].reduce((n, s) => n + s.values.length, 0);
    assert.ok(localPoints > 3000, `a run with more than 1,000 points (has ${localPoints})`);

    const r = mlw(['--workspace', localWs, 'runs', 'push', local.id, '--to', url, '--token', TOKEN, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const pushed = JSON.parse(r.stdout) as { runId: string; experimentId: string; url: string; metricPoints: number; batches: number };
    assert.equal(pushed.metricPoints, localPoints);
    assert.ok(pushed.batches >= Math.ceil(localPoints / 1000) + 2, 'params, tags, then metrics at most 1,000 per log-batch');
    assert.equal(pushed.url, `${url}/#/experiments/${pushed.experimentId}/runs/${pushed.runId}`);

    const client = new MlflowClient({ url, auth: { kind: 'token', token: TOKEN } });
    const remote = await client.getRun(pushed.runId);
    assert.equal(remote.info.status, 'FINISHED');
    assert.equal(remote.info.run_name, 'push-me');
    assert.equal((await client.allExperiments()).find((e) => e.experiment_id === pushed.experimentId)?.name, 'shared-exp');
    const params = Object.fromEntries(remote.data.params.map((p) => [p.key, p.value]));
    assert.deepEqual(params, { epochs: '3', optimizer: 'sgd' });
    const tags = Object.fromEntries(remote.data.tags.map((p) => [p.key, p.value]));
    for (const [k, v] of Object.entries(local.tags)) assert.equal(tags[k], v, `tag ${k}`);
    assert.equal(tags['mlflow.note.content'], 'first try');
    assert.equal(tags['mlw.pushedFrom'], local.id);
    for (const [key, s] of localSeries) {
      const history = await client.getMetricHistory(pushed.runId, key, 700);
      assert.deepEqual(
        history.map((p) => [p.step, p.value, p.timestamp]),
        Array.from(s.values, (v, i) => [s.steps[i], v, s.timestamps[i]]),
        `history of ${key}`,
      );
    }
    // The artifact's bytes, downloaded from the server as MLflow's client does, and in the server's run store.
    const res = await fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/${pushed.experimentId}/${pushed.runId}/artifacts/model.bin`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(res.status, 200);
    const sent = Buffer.from(await res.arrayBuffer());
    assert.ok(sent.equals(readFileSync(path.join(localWs, 'model.bin'))));
    const onServer = await new RunStore(serverWs).readRun(pushed.runId);
    assert.equal(onServer?.status, 'finished');
    assert.equal(
      onServer?.artifacts.find((a) => a.path === 'model.bin')?.sha256,
      local.artifacts.find((a) => a.path === 'model.bin')?.sha256,
    );
  });

  it('prints the new run id and URL as text', (t) => {
    if (!local) return t.skip('needs the pushed run of the test before');
    const r = mlw(['--workspace', localWs, 'runs', 'push', local.id, '--to', url, '--experiment', 'other'], {
      MLFLOW_TRACKING_TOKEN: TOKEN,
    });
    assert.equal(r.status, 0, r.stderr);
    const [id, link] = r.stdout.trim().split('\n');
    assert.match(id, /^[\w-]+$/);
    assert.match(link, new RegExp(`^${url.replace(/\./g, '\\.')}/#/experiments/\\d+/runs/${id}$`));
    assert.match(r.stderr, /pushed .* experiment "other"/);
  });

  it('a wrong token is one line naming HTTP 401 and UNAUTHENTICATED, exit 1', (t) => {
    if (!local) return t.skip('needs the pushed run of the test before');
    const r = mlw(['--workspace', localWs, 'runs', 'push', local.id, '--to', url, '--token', 'wrong']);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], new RegExp(`^mlw runs: MLflow server ${url.replace(/\./g, '\\.')}: .* failed with HTTP 401 UNAUTHENTICATED: `));
  });

  it('mlw runs --json with MLFLOW_TRACKING_URI lists the server runs as mlflow-server, with token or basic auth', (t) => {
    if (!local) return t.skip('needs the pushed run of the test before');
    const empty = tempDir('mlw-lister-');
    let mine: RunListJson[] = [];
    for (const env of [
      { MLFLOW_TRACKING_URI: url, MLFLOW_TRACKING_TOKEN: TOKEN },
      { MLFLOW_TRACKING_URI: `${url}/`, MLFLOW_TRACKING_USERNAME: 'ana', MLFLOW_TRACKING_PASSWORD: TOKEN },
    ]) {
      const r = mlw(['--workspace', empty, 'runs', '--json'], env);
      assert.equal(r.status, 0, r.stderr);
      const runs = JSON.parse(r.stdout) as RunListJson[];
      mine = runs.filter((x) => x.name === 'push-me');
      assert.equal(mine.length, 2, 'both pushes');
      for (const x of mine) {
        assert.equal(x.source, 'mlflow-server');
        assert.equal(x.status, 'finished');
        assert.equal(x.metrics.loss.last, local.metrics?.loss.last);
        assert.equal(x.metrics.val_acc.last, 0.93);
      }
      assert.deepEqual(mine.map((x) => x.experiment).sort(), ['other', 'shared-exp']);
    }
    // runs show of a server run: the same shape as a local run's, its series read through metrics/get-history
    const id = mine.find((x) => x.experiment === 'shared-exp')!.id;
    const shown = mlw(['--workspace', empty, 'runs', 'show', id, '--json'], { MLFLOW_TRACKING_URI: url, MLFLOW_TRACKING_TOKEN: TOKEN });
    assert.equal(shown.status, 0, shown.stderr);
    const show = JSON.parse(shown.stdout) as RunShowJson;
    assert.equal(show.source, 'mlflow-server');
    assert.equal(show.experiment, 'shared-exp');
    assert.equal(show.metrics.loss.series.length, 1500);
    assert.equal(show.metrics.loss.min, local.metrics?.loss.min);
    assert.deepEqual(show.params, { epochs: 3, optimizer: 'sgd' });
    const bad = mlw(['--workspace', empty, 'runs', '--json'], { MLFLOW_TRACKING_URI: url, MLFLOW_TRACKING_TOKEN: 'wrong' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /HTTP 401 UNAUTHENTICATED/);
  });
});
