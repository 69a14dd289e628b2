/**
 * A real /usr/bin/python3 script that speaks MLflow's REST API exactly as MLflow's client does
 * (test/fixtures/mlflow/train_mlflow_rest.py), launched through launchRun: what it logs lands in
 * the run store as a user sees it in the Runs view, the dashboard and `mlw runs show`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { needs, SYSTEM_PYTHON } from '../../support/requires';
import { launchRun } from '../../../src/core/runs/launchRun';
import { RunStore } from '../../../src/core/runs/RunStore';
import { readMetrics } from '../../../src/core/runs/readMetrics';
import { INPUTS_FILE } from '../../../src/core/mlflow/TrackedRun';
import { REPO_ROOT, tempDir } from '../../unit/runs/runsTestSupport';

const SCRIPT = path.join(REPO_ROOT, 'test', 'fixtures', 'mlflow', 'train_mlflow_rest.py');

describe('MLflow calls from a launched run', () => {
  it('logs params, metrics, tags, datasets, artifacts, a model and a nested run into the launched run', async (t) => {
    if (!needs(t, 'python3', existsSync(SYSTEM_PYTHON), 'apt-get install python3')) return;
    const ws = tempDir('mlw-mlflow-');
    copyFileSync(SCRIPT, path.join(ws, 'train_mlflow_rest.py'));
    const store = new RunStore(ws);
    let output = '';
    const handle = await launchRun({
      store,
      script: 'train_mlflow_rest.py',
      interpreter: SYSTEM_PYTHON,
      params: { lr: 0.1, epochs: 5 },
      git: false,
      env: { PYTHONDONTWRITEBYTECODE: '1' },
      onOutput: (text) => (output += text),
    });
    const run = await handle.done;
    assert.equal(run.status, 'finished', `${run.error ?? ''}\n${output}`);
    const line = output.split('\n').find((l) => l.startsWith('RESULT '));
    assert.ok(line, output);
    const result = JSON.parse(line.slice('RESULT '.length));

    assert.equal(result.env_experiment_matches, true, 'MLFLOW_EXPERIMENT_NAME and MLFLOW_EXPERIMENT_ID name one experiment');
    assert.equal(run.experiment, 'iris-mlflow', 'set_experiment before start_run moves the launched run into that experiment');
    assert.equal(result.resumed_status, 'RUNNING');

    // Metrics: in the run's metrics file (what the dashboard charts), with MLflow's steps.
    const metrics = await readMetrics(handle.dir);
    assert.equal(metrics.skippedLines, 0);
    assert.deepEqual(Array.from(metrics.series.get('loss')?.values ?? []), result.losses);
    assert.deepEqual(Array.from(metrics.series.get('loss')?.steps ?? []), [0, 1, 2, 3, 4]);
    assert.equal(metrics.series.get('acc')?.values.length, 5);
    assert.ok(Number.isNaN(metrics.series.get('final_nan')?.values[0]), 'NaN sent as "NaN" is a NaN point');
    assert.equal(run.metrics?.loss.last, result.losses[4]);
    assert.deepEqual(result.history_steps, [0, 1, 2, 3, 4], 'metrics/get-history reads the same file');

    // Params: launch params stay typed, the script's new ones are added; a changed param is refused.
    assert.equal(run.params.lr, 0.1);
    assert.equal(run.params.epochs, 5);
    assert.equal(run.params.optimizer, 'sgd');
    assert.deepEqual(result.param_change, [400, 'INVALID_PARAMETER_VALUE']);

    // Tags, the logged model's metadata and the dataset input.
    assert.equal(run.tags.stage, 'dev');
    const models = JSON.parse(run.tags['mlflow.log-model.history']);
    assert.equal(models[0].artifact_path, 'model');
    const inputs = readFileSync(path.join(handle.dir, INPUTS_FILE), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(inputs[0].dataset.name, 'iris');

    // Artifacts: uploaded under the run's artifacts folder, recorded with their sha256.
    assert.deepEqual(result.listed, ['MLmodel', 'weights.txt']);
    assert.equal(result.download_matches, true);
    const weights = run.artifacts.find((a) => a.path === 'model/weights.txt');
    assert.ok(weights?.stored, JSON.stringify(run.artifacts));
    const bytes = readFileSync(path.join(handle.dir, 'artifacts', 'model', 'weights.txt'));
    assert.equal(weights.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(weights.size, bytes.length);
    // Where the run keeps its copy (its artifacts folder, or a snapshot): the same bytes.
    const kept = [path.join(handle.dir, weights.stored), path.join(ws, weights.stored)].find((p) => existsSync(p));
    assert.ok(kept, weights.stored);
    assert.equal(createHash('sha256').update(readFileSync(kept)).digest('hex'), weights.sha256);
    assert.ok(run.artifacts.some((a) => a.path === 'model/MLmodel'));

    // The nested run: a run of its own, under the launched one, ended by the script, closed to writes.
    const child = await store.readRun(result.child_id);
    assert.ok(child);
    assert.equal(child.parentId, run.id);
    assert.equal(child.name, 'fold-1');
    assert.equal(child.status, 'finished');
    assert.equal(child.experiment, 'iris-mlflow');
    assert.equal(child.params.fold, '1');
    assert.equal(child.metrics?.val_loss.count, 3);
    assert.ok(Math.abs((child.metrics?.val_loss.last ?? 0) - 0.3) < 1e-12);
    assert.deepEqual(result.ended_write, [400, 'INVALID_PARAMETER_VALUE'], 'an ended run refuses writes');
    assert.deepEqual(result.search_children, [result.child_id]);
    assert.equal(result.end_status, 'FINISHED');
    assert.ok(!run.tags['mlflow.parentRunId'], 'the launched run itself has no parent');
  });

  it('a nested run the script leaves open ends with the launch, and the token is needed', async (t) => {
    if (!needs(t, 'python3', existsSync(SYSTEM_PYTHON), 'apt-get install python3')) return;
    const ws = tempDir('mlw-mlflow-');
    const store = new RunStore(ws);
    const code = `
import json, os, sys, urllib.request, urllib.error
uri = os.environ["MLFLOW_TRACKING_URI"]
def post(ep, body, token=os.environ["MLFLOW_TRACKING_TOKEN"]):
    req = urllib.request.Request(uri + "/api/2.0/mlflow/" + ep, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})})
    try:
        with urllib.request.urlopen(req) as r: return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e: return e.code, json.loads(e.read())
parent = os.environ["MLFLOW_RUN_ID"]
print("NOTOKEN", json.dumps(post("runs/log-metric", {"run_id": parent, "key": "x", "value": 1, "timestamp": 1, "step": 0}, token=None)))
s, child = post("runs/create", {"experiment_id": os.environ["MLFLOW_EXPERIMENT_ID"], "tags": [{"key": "mlflow.parentRunId", "value": parent}]})
print("CHILD", child["run"]["info"]["run_id"])
post("runs/log-metric", {"run_id": child["run"]["info"]["run_id"], "key": "x", "value": 2.5, "timestamp": 1, "step": 0})
sys.exit(3)
`;
    let output = '';
    const handle = await launchRun({
      store,
      command: [SYSTEM_PYTHON, '-c', code],
      git: false,
      experiment: 'nesting',
      onOutput: (text) => (output += text),
    });
    const run = await handle.done;
    assert.equal(run.status, 'failed');
    const noToken = JSON.parse(/NOTOKEN (.*)/.exec(output)?.[1] ?? 'null');
    assert.equal(noToken[0], 401);
    assert.equal(noToken[1].error_code, 'UNAUTHENTICATED');
    const childId = /CHILD (\S+)/.exec(output)?.[1] ?? '';
    const child = await store.readRun(childId);
    assert.equal(child?.status, 'failed', 'left open by a script that failed');
    assert.match(child?.error ?? '', /exit code 3/);
    assert.equal(child?.parentId, run.id);
    assert.equal(child?.name, `${run.name}/1`);
    assert.equal(child?.metrics?.x.last, 2.5);
    assert.equal((await readMetrics(handle.dir)).series.get('x'), undefined, 'the request without the token wrote nothing');
  });
});
