/**
 * The tracking-server client (src/core/mlflow/client) against ML Workbench's own MLflow endpoint started
 * standalone over a run store: listing, server-side search and paging, metric history, auth and errors.
 */
import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { createServer } from 'node:net';
import { RunStore } from '../../../src/core/runs/RunStore';
import { MetricsWriter } from '../../../src/core/runs/MetricsWriter';
import { METRICS_FILE } from '../../../src/core/runs/runTypes';
import { readMetrics } from '../../../src/core/runs/readMetrics';
import { summarizeMetrics } from '../../../src/core/runs/summarizeMetrics';
import { startMlflowEndpoint, type MlflowEndpoint } from '../../../src/core/mlflow/startMlflowEndpoint';
import { MlflowClient } from '../../../src/core/mlflow/client/MlflowClient';
import { MlflowServerError } from '../../../src/core/mlflow/client/MlflowServerError';
import { listServerRuns, serverRunsPage } from '../../../src/core/mlflow/client/listServerRuns';
import { readServerRunMetrics } from '../../../src/core/mlflow/client/readServerRunMetrics';
import { artifactUploadUrl, ArtifactStoreUnreachableError } from '../../../src/core/mlflow/client/artifactUploadUrl';
import { authFromEnv, httpTrackingUri } from '../../../src/core/mlflow/client/mlflowAuth';
import { tempDir } from '../runs/runsTestSupport';

let ep: MlflowEndpoint;
let client: MlflowClient;
const ids: string[] = [];

/** Five finished runs of experiment "team" (lr 0.1 ... 0.5), each with 250 points of loss and one of acc. */
async function teamStore(): Promise<RunStore> {
  const store = new RunStore(tempDir('mlw-client-'));
  for (let i = 1; i <= 5; i++) {
    const t0 = 1_700_000_000_000 + i * 60_000;
    const run = await store.createRun({
      name: `team-${i}`,
      experiment: 'team',
      status: 'finished',
      startTime: t0,
      endTime: t0 + 5_000,
      params: { lr: i / 10, optimizer: 'adam' },
      tags: { owner: 'ana' },
    });
    const w = await MetricsWriter.open(path.join(store.runDir(run.id), METRICS_FILE));
    await w.append(Array.from({ length: 250 }, (_, s) => ({ k: 'loss', v: 1 / (s + i), s, t: t0 + s })));
    await w.append([{ k: 'acc', v: 0.5 + i / 20, s: 249, t: t0 + 249 }]);
    await w.close();
    // As finishRun leaves an ended run: the summary in run.json, which listings read.
    run.metrics = summarizeMetrics((await readMetrics(store.runDir(run.id))).series);
    await store.writeRun(run);
    ids.push(run.id);
  }
  return store;
}

before(async () => {
  ep = await startMlflowEndpoint({ store: await teamStore(), token: 'team-token' });
  client = new MlflowClient({ url: ep.url, auth: { kind: 'token', token: 'team-token' } });
});
after(() => ep.close());

describe('MLflow tracking-server client', () => {
  it('lists the experiments and every run, newest first, with source mlflow-server and the server it came from', async () => {
    const names = (await client.allExperiments()).map((e) => e.name).sort();
    assert.deepEqual(names, ['Default', 'team']);
    const runs = await listServerRuns(client);
    assert.deepEqual(
      runs.map((r) => r.name),
      ['team-5', 'team-4', 'team-3', 'team-2', 'team-1'],
    );
    const r5 = runs[0];
    assert.equal(r5.source, 'mlflow-server');
    assert.equal(r5.experiment, 'team');
    assert.equal(r5.status, 'finished');
    assert.equal(r5.remote?.url, ep.url);
    assert.deepEqual(r5.params, { lr: 0.5, optimizer: 'adam' });
    assert.equal(r5.tags.owner, 'ana');
    assert.equal(r5.metrics?.acc.last, 0.75);
  });

  it('pages runs/search with page tokens until none is left, each run once', async () => {
    const team = (await client.allExperiments()).find((e) => e.name === 'team')!;
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await serverRunsPage(client, { id: team.experiment_id, name: 'team' }, { pageSize: 2, pageToken: token });
      assert.ok(page.runs.length <= 2);
      seen.push(...page.runs.map((r) => r.id));
      token = page.nextPageToken;
      pages++;
    } while (token);
    assert.equal(pages, 3);
    assert.deepEqual([...seen].sort(), [...ids].sort());
  });

  it('searches on the server: a params filter and a metrics filter', async () => {
    const team = (await client.allExperiments()).find((e) => e.name === 'team')!;
    const exp = { id: team.experiment_id, name: 'team' };
    const lr = await serverRunsPage(client, exp, { filter: "params.lr = '0.3'" });
    assert.deepEqual(
      lr.runs.map((r) => r.name),
      ['team-3'],
    );
    const acc = await serverRunsPage(client, exp, { filter: 'metrics.acc >= 0.7' });
    assert.deepEqual(
      acc.runs.map((r) => r.name),
      ['team-5', 'team-4'],
    );
    const byName = await client.searchExperiments({ filter: "name LIKE 'te%'" });
    assert.deepEqual(
      byName.experiments.map((e) => e.name),
      ['team'],
    );
  });

  it('reads a whole metric history through get-history pages, and the series the dashboard charts', async () => {
    const run = (await listServerRuns(client)).find((r) => r.name === 'team-2')!;
    const paged = await client.getMetricHistory(run.id, 'loss', 100);
    assert.equal(paged.length, 250);
    assert.deepEqual(
      paged.slice(0, 3).map((p) => [p.step, p.value]),
      [
        [0, 1 / 2],
        [1, 1 / 3],
        [2, 1 / 4],
      ],
    );
    assert.equal(paged[249].timestamp, run.startTime! + 249);
    const series = await readServerRunMetrics(run, client);
    assert.deepEqual([...series.keys()], ['acc', 'loss']);
    assert.equal(series.get('loss')!.values.length, 250);
    assert.equal(series.get('loss')!.values[249], 1 / 251);
  });

  it('authenticates with a bearer token or basic auth with the token as password; a wrong token is one line with 401', async () => {
    const basic = new MlflowClient({ url: ep.url, auth: { kind: 'basic', username: 'ana', password: 'team-token' } });
    assert.equal((await basic.allExperiments()).length, 2);
    const wrong = new MlflowClient({ url: ep.url, auth: { kind: 'token', token: 'nope' } });
    const err = await wrong.allExperiments().then(
      () => assert.fail('a wrong token was accepted'),
      (e: unknown) => e as MlflowServerError,
    );
    assert.ok(err instanceof MlflowServerError);
    assert.equal(err.status, 401);
    assert.equal(err.errorCode, 'UNAUTHENTICATED');
    assert.doesNotMatch(err.message, /\n/);
    assert.match(err.message, new RegExp(`^MLflow server ${ep.url}: experiments/search failed with HTTP 401 UNAUTHENTICATED: .*token`));
    assert.equal(err.retryable, false);
  });

  it('a server that is not there is a one-line, retryable error naming the address', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const gone = new MlflowClient({ url: `http://127.0.0.1:${port}`, auth: { kind: 'none' } });
    const err = (await gone.getRun('abc').catch((e: unknown) => e)) as MlflowServerError;
    assert.ok(err instanceof MlflowServerError);
    assert.equal(err.retryable, true);
    assert.match(err.message, new RegExp(`^Cannot reach MLflow server http://127.0.0.1:${port} \\(runs/get\\): connection refused.*Retry`));
  });

  it('a server that accepts and never answers times out with a retryable error', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const slow = new MlflowClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 300 });
      const err = (await slow.allExperiments().catch((e: unknown) => e)) as MlflowServerError;
      assert.ok(err instanceof MlflowServerError);
      assert.equal(err.retryable, true);
      assert.match(err.message, /no answer within 0 s|no answer within/);
    } finally {
      silent.close();
    }
  });

  it('maps artifact URIs to the upload path of the server, and refuses a store the server does not proxy', () => {
    assert.equal(
      artifactUploadUrl('http://h:5000', 'mlflow-artifacts:/12/abc/artifacts', 'dir/model one.onnx'),
      'http://h:5000/api/2.0/mlflow-artifacts/artifacts/12/abc/artifacts/dir/model%20one.onnx',
    );
    assert.equal(
      artifactUploadUrl('https://h/prefix', 'mlflow-artifacts://other:8080/12/abc/artifacts', 'm.onnx'),
      'https://other:8080/api/2.0/mlflow-artifacts/artifacts/12/abc/artifacts/m.onnx',
    );
    assert.equal(
      artifactUploadUrl('https://h/prefix', 'mlflow-artifacts:/1/r/artifacts', 'a'),
      'https://h/prefix/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/a',
    );
    assert.throws(() => artifactUploadUrl('http://h', 's3://bucket/1/r/artifacts', 'a'), ArtifactStoreUnreachableError);
  });

  it('takes the server and auth from the environment as MLflow does', () => {
    assert.equal(httpTrackingUri('http://h:5000/'), 'http://h:5000');
    assert.equal(httpTrackingUri('sqlite:///mlflow.db'), undefined);
    assert.equal(httpTrackingUri(undefined), undefined);
    assert.deepEqual(authFromEnv({ MLFLOW_TRACKING_TOKEN: 't' }), { kind: 'token', token: 't' });
    assert.deepEqual(authFromEnv({ MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'p' }), {
      kind: 'basic',
      username: 'u',
      password: 'p',
    });
    assert.deepEqual(authFromEnv({}), { kind: 'none' });
  });
});
