/**
 * pushRun against ML Workbench's endpoint started standalone: chunking within MLflow's limits, what a push refuses,
 * and the remote run it leaves when the server refuses part of it (a real refusal: a metric name MLflow does not take).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { writeFileSync } from 'node:fs';
import { RunStore } from '../../../src/core/runs/RunStore';
import { MetricsWriter } from '../../../src/core/runs/MetricsWriter';
import { readMetrics } from '../../../src/core/runs/readMetrics';
import { summarizeMetrics } from '../../../src/core/runs/summarizeMetrics';
import { fileRecord } from '../../../src/core/runs/hashFile';
import { METRICS_FILE, type Run } from '../../../src/core/runs/runTypes';
import { startMlflowEndpoint, type MlflowEndpoint } from '../../../src/core/mlflow/startMlflowEndpoint';
import { MlflowClient } from '../../../src/core/mlflow/client/MlflowClient';
import { pushRun } from '../../../src/core/mlflow/client/pushRun';
import { MlflowServerError } from '../../../src/core/mlflow/client/MlflowServerError';
import { tempDir } from '../runs/runsTestSupport';

let ep: MlflowEndpoint;
let client: MlflowClient;
let ws: string;
let store: RunStore;

async function localRun(fields: Partial<Run>, points: Array<{ k: string; v: number; s: number }>): Promise<Run> {
  const run = await store.createRun({
    experiment: 'exp',
    status: 'finished',
    startTime: 1_700_000_000_000,
    endTime: 1_700_000_100_000,
    ...fields,
  });
  const w = await MetricsWriter.open(path.join(store.runDir(run.id), METRICS_FILE));
  await w.append(points.map((p) => ({ ...p, t: 1_700_000_000_000 + p.s })));
  await w.close();
  run.metrics = summarizeMetrics((await readMetrics(store.runDir(run.id))).series);
  await store.writeRun(run);
  return run;
}

before(async () => {
  ws = tempDir('mlw-push-');
  store = new RunStore(ws);
  ep = await startMlflowEndpoint({ store: new RunStore(tempDir('mlw-push-server-')), token: 't' });
  client = new MlflowClient({ url: ep.url, auth: { kind: 'token', token: 't' } });
});
after(() => ep.close());

describe('pushRun', () => {
  it('sends 250 params in chunks of 100, 2,500 points in chunks of 1,000, NaN as NaN, and a failed run as FAILED', async () => {
    const params = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`p${i}`, i]));
    const pts = Array.from({ length: 2500 }, (_, s) => ({ k: 'loss', v: s === 7 ? NaN : 1 / (s + 1), s }));
    const run = await localRun({ name: 'wide', params, status: 'failed' }, pts);
    const res = await pushRun(client, run, { workspace: ws, store });
    assert.equal(res.batches, 3 + 1 + 3, 'params 100+100+50, tags 1, metrics 1000+1000+500');
    const remote = await client.getRun(res.runId);
    assert.equal(remote.info.status, 'FAILED');
    assert.equal(remote.info.end_time, run.endTime);
    assert.equal(remote.data.params.length, 250);
    const h = await client.getMetricHistory(res.runId, 'loss');
    assert.equal(h.length, 2500);
    assert.equal(h[7].value as unknown, 'NaN');
    assert.equal(h[2499].value, 1 / 2500);
  });

  it('refuses a run still running, and a run of the server itself', async () => {
    const running = await localRun({ name: 'live', status: 'running' }, []);
    await assert.rejects(pushRun(client, running, { workspace: ws, store }), /is running: push it when it has ended/);
    await assert.rejects(
      pushRun(client, { ...running, status: 'finished', source: 'mlflow-server' }, { workspace: ws, store }),
      /already on the MLflow server/,
    );
  });

  it('refuses names MLflow does not take before anything is made on the server', async () => {
    const run = await localRun({ name: 'bad-name', experiment: 'never-made' }, [{ k: 'top@1', v: 0.5, s: 0 }]);
    await assert.rejects(
      pushRun(client, run, { workspace: ws, store }),
      /cannot be pushed as it is: Invalid metric name: 'top@1'\. Names may only contain .* Nothing was sent\./,
    );
    assert.equal(await client.getExperimentByName('never-made'), undefined, 'not even the experiment was made');
  });

  it('when the server refuses a batch, the remote run is marked FAILED and the error says so in one line', async () => {
    // The server's own limit on a param value (6,000 characters here, as MLflow 2.x): left to the server, whose version decides.
    const run = await localRun({ name: 'long-param', params: { prompt: 'x'.repeat(7000) } }, [{ k: 'loss', v: 0.5, s: 0 }]);
    const err = (await pushRun(client, run, { workspace: ws, store }).catch((e: unknown) => e)) as MlflowServerError;
    assert.ok(err instanceof MlflowServerError);
    assert.equal(err.status, 400);
    assert.match(err.message, /runs\/log-batch failed with HTTP 400 INVALID_PARAMETER_VALUE: Param value .* exceeded length limit of 6000/);
    assert.match(err.message, /the remote run (\S+) is marked FAILED; push again/);
    assert.doesNotMatch(err.message, /\n/);
    const remoteId = /the remote run (\S+) is marked/.exec(err.message)![1];
    assert.equal((await client.getRun(remoteId)).info.status, 'FAILED');
  });

  it('skips an artifact whose file changed since the run and has no snapshot, saying why, and sends the others', async () => {
    writeFileSync(path.join(ws, 'a.txt'), 'kept');
    writeFileSync(path.join(ws, 'b.txt'), 'before');
    const run = await localRun({ name: 'arts', cwd: ws }, [{ k: 'loss', v: 1, s: 0 }]);
    run.artifacts = [await fileRecord('a.txt', ws), await fileRecord('b.txt', ws)];
    writeFileSync(path.join(ws, 'b.txt'), 'after');
    const res = await pushRun(client, run, { workspace: ws, store });
    assert.deepEqual(res.artifacts, [{ path: 'a.txt', size: 4 }]);
    assert.equal(res.skippedArtifacts.length, 1);
    assert.match(res.skippedArtifacts[0].reason, /changed since the run \(sha256 differs\)/);
    const got = await fetch(`${ep.url}/api/2.0/mlflow-artifacts/artifacts/${res.experimentId}/${res.runId}/artifacts/a.txt`, {
      headers: { Authorization: 'Bearer t' },
    });
    assert.equal(await got.text(), 'kept');
  });
});
