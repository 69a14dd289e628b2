/**
 * A third-party MLflow REST client from npm (`mlflow`, Yuhsak/mlflow, a devDependency) against the
 * endpoint, in standalone mode (no launched run: every run it creates is a new run of the store).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import MLflow from 'mlflow';
import { RunStatus } from 'mlflow/enum';
import { readMetrics } from '../../../src/core/runs/readMetrics';
import { dispose, launchedEndpoint } from './mlflowTestSupport';

describe('the npm mlflow client against the endpoint', () => {
  it('creates an experiment and a run, logs, reads back, ends it; without the token it is refused', async () => {
    const f = await launchedEndpoint({ standalone: true });
    const quiet = console.log; // the client prints every request body
    console.log = () => undefined;
    try {
      const client = new MLflow({ endpoint: f.ep.url, headers: { Authorization: `Bearer ${f.ep.token}` } });
      const { experiment_id } = await client.Experiments.create({ name: 'npm-client', artifact_location: '' });
      const { experiment } = await client.Experiments.get({ experiment_id });
      assert.equal(experiment.name, 'npm-client');
      const { run } = await client.Runs.create({
        experiment_id,
        user_id: 'tester',
        start_time: 1_700_000_000_000,
        tags: [{ key: 'mlflow.runName', value: 'from-node' }],
      });
      const id = run.info.run_id;
      assert.equal(run.info.status, 'RUNNING');
      await client.Runs.logParameter({ run_id: id, key: 'batch', value: '32' });
      await client.Runs.setTag({ run_id: id, key: 'client', value: 'npm' });
      for (let step = 0; step < 4; step++)
        await client.Runs.logMetric({ run_id: id, key: 'loss', value: 1 / (step + 1), timestamp: 1_700_000_000_000 + step, step });
      await client.Runs.logBatch({
        run_id: id,
        metrics: [{ key: 'acc', value: 0.9, timestamp: 1_700_000_000_100, step: 3 }],
        params: [],
        tags: [],
      });
      const history = await client.Metrics.getHistory({ run_id: id, metric_key: 'loss' });
      assert.deepEqual(
        history.metrics.map((m: { step: number }) => m.step),
        [0, 1, 2, 3],
      );
      const searched = await client.Runs.search({ experiment_ids: [experiment_id], filter: "tags.client = 'npm'" });
      assert.deepEqual(
        searched.runs.map((r: { info: { run_id: string } }) => r.info.run_id),
        [id],
      );
      const listed = await client.Artifacts.list({ run_id: id, path: '' });
      assert.deepEqual(listed.files, []);
      await client.Runs.update({ run_id: id, status: RunStatus.FINISHED, end_time: 1_700_000_001_000 });
      const got = await client.Runs.get({ run_id: id });
      assert.equal(got.run.info.status, 'FINISHED');
      assert.equal(got.run.info.end_time, 1_700_000_001_000);

      const stored = await f.store.readRun(id);
      assert.equal(stored?.name, 'from-node');
      assert.equal(stored?.experiment, 'npm-client');
      assert.equal(stored?.status, 'finished');
      assert.equal(stored?.params.batch, '32');
      assert.equal(stored?.tags.client, 'npm');
      assert.equal(stored?.metrics?.loss.count, 4);
      assert.equal(stored?.metrics?.acc.last, 0.9);
      assert.equal((await readMetrics(f.store.runDir(id))).series.get('loss')?.values[3], 0.25);
      await assert.rejects(client.Runs.logMetric({ run_id: id, key: 'late', value: 1, timestamp: 1, step: 0 }), /INVALID_PARAMETER_VALUE/);

      const anonymous = new MLflow({ endpoint: f.ep.url });
      await assert.rejects(anonymous.Experiments.get({ experiment_id }), /401.*UNAUTHENTICATED/);
    } finally {
      console.log = quiet;
      await dispose(f);
    }
  });
});
