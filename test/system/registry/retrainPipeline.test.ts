/**
 * Retrain on recent data through the PIPELINE, for real: a tabular-classifier project's champion is made by
 * `mlw pipeline run --update-lock` (prepare, train, evaluate, export with /usr/bin/python3) and registered from the
 * export stage's model.onnx; served as clf@champion with capture on, it answers drifted traffic (six size features
 * ×1.6) and ground truth arrives; `mlw registry retrain clf` (the built CLI) takes the pipeline path: the stages that
 * list recent_data run again with --recent_data, prepare is skipped as fresh, params.yaml and dvc.lock keep their
 * bytes, ML Workbench's record says train ran with recent_data (status: stale against params.yaml), the challenger
 * gets the pipeline's metrics and beats the champion on the same held-out rows, and both versions point at kept
 * snapshots (the workspace's model.onnx is the challenger's bytes now). --script refuses a stage run's champion.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { PipelineStatus } from '../../../src/core/pipelines/pipelineStatus';
import type { RetrainOutcome } from '../../../src/core/registry/retrain/retrainOnCaptures';
import type { Run } from '../../../src/core/runs/runTypes';
import { scaffoldProject } from '../../../src/core/scaffold/scaffoldProject';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { HELPER_DIR, MLW, mlwIn, readModel, sendDriftedTraffic } from '../../support/retrainSupport';
import { tempDir } from '../../unit/runs/runsTestSupport';

const mlw = (ws: string, args: string[]) => mlwIn(ws, args, { MLW_PYTHON: undefined });

function ok(ws: string, args: string[]): string {
  const r = mlw(ws, args);
  assert.equal(r.code, 0, `mlw ${args.join(' ')}: ${r.err}`);
  return r.out;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('mlw registry retrain (pipeline)', () => {
  it('reruns the pipeline with recent_data as a param override, leaves params.yaml and dvc.lock as they were, and the challenger beats the champion', async (t) => {
    if (
      !needs(
        t,
        'python3 with torch, sklearn and onnx',
        existsSync(SYSTEM_PYTHON) && pythonHas('torch') && pythonHas('sklearn') && pythonHas('onnx'),
        'apt-get install python3-torch python3-sklearn python3-onnx',
      )
    )
      return;
    if (!needs(t, 'dist/mlw.js', existsSync(MLW), 'npm run build')) return;
    const started = Date.now();
    const ws = path.join(tempDir('mlw-retrain-pipeline-'), 'proj');
    await scaffoldProject({ template: 'tabular-classifier', dir: ws, git: false, helperDir: HELPER_DIR });

    // The champion: the template's pipeline as it ships, recorded in dvc.lock, its export registered.
    ok(ws, ['pipeline', 'run', '--update-lock', '--no-dvc', '--python', SYSTEM_PYTHON]);
    ok(ws, ['registry', 'register', 'model.onnx', '--name', 'clf', '--alias', 'champion']);
    const championSha = readModel(ws).versions[0].sha256;
    assert.equal(readModel(ws).versions[0].path, 'model.onnx');

    // Drifted traffic in batches of 20 rows, every request captured; ground truth for all of them.
    await sendDriftedTraffic(ws, { rowsAt: () => 20 });
    writeFileSync(path.join(ws, 'mlw.yaml'), 'registry:\n  clf:\n    gates: ["accuracy > champion + 0.01"]\n');

    const paramsBefore = readFileSync(path.join(ws, 'params.yaml'));
    const lockBefore = readFileSync(path.join(ws, 'dvc.lock'));
    const r = mlw(ws, ['registry', 'retrain', 'clf', '--python', SYSTEM_PYTHON, '--json']);
    assert.equal(r.code, 0, r.err);
    const o = JSON.parse(r.out) as RetrainOutcome;
    t.diagnostic(
      `${o.ran}; challenger v${o.candidate.version} accuracy ${o.candidate.metrics.accuracy}; champion v${o.champion.version} accuracy ${o.champion.metrics.accuracy} on ${o.rows.holdout} rows`,
    );
    assert.equal(o.via, 'pipeline');
    assert.equal(o.ran, 'pipeline: prepare, train, evaluate, export');
    assert.deepEqual(
      o.stages!.map((s) => [s.stage, s.outcome]),
      [
        ['prepare', 'fresh'],
        ['train', 'ran'],
        ['evaluate', 'ran'],
        ['export', 'ran'],
      ],
    );
    assert.deepEqual(o.rows, { captured: 569, labelled: 569, unlabelled: 0, mismatched: 0, train: 398, holdout: 171 });
    assert.ok(o.champion.metrics.accuracy < 0.9, `champion on drifted rows: ${o.champion.metrics.accuracy}`);
    assert.ok(o.candidate.metrics.accuracy > o.champion.metrics.accuracy + 0.05, JSON.stringify(o.candidate.metrics));
    assert.deepEqual(
      o.gates.map((g) => [g.gate, g.passed]),
      [['accuracy > champion + 0.01', true]],
    );

    // params.yaml and dvc.lock keep their bytes; the train stage's run says what it ran with.
    assert.deepEqual(readFileSync(path.join(ws, 'params.yaml')), paramsBefore);
    assert.deepEqual(readFileSync(path.join(ws, 'dvc.lock')), lockBefore);
    const trainRunId = o.stages!.find((s) => s.stage === 'train')!.runId!;
    const trainRun = JSON.parse(readFileSync(path.join(ws, '.mlw', 'runs', trainRunId, 'run.json'), 'utf8')) as Run;
    const recent = `${o.dataset.path}/train`;
    assert.equal(trainRun.command.at(-1), `python train.py --recent_data='${recent}'`);
    assert.equal(trainRun.params.recent_data, recent);
    assert.match(r.err, new RegExp(`recent data: 398 rows from ${recent.replace(/\./g, '\\.')}`));
    // ML Workbench's record: train ran with recent_data, so against params.yaml it is stale now (and what follows it).
    const status = mlw(ws, ['pipeline', 'status', '--json']);
    assert.equal(status.code, 1, 'exit 1: a stage is stale');
    const st = JSON.parse(status.out) as PipelineStatus;
    const train = st.stages.find((s) => s.name === 'train')!;
    assert.equal(train.state, 'stale');
    assert.ok(train.reasons.includes('param recent_data changed'), train.reasons.join('; '));
    assert.equal(st.stages.find((s) => s.name === 'prepare')!.state, 'fresh');

    // The registry: both versions by kept snapshots; the challenger with the pipeline's metrics, from the train run.
    const m = readModel(ws);
    assert.deepEqual(m.aliases, { challenger: 2, champion: 1 });
    const [v1, v2] = m.versions;
    assert.match(v1.path, /^\.mlw\//);
    assert.equal(sha256(path.join(ws, v1.path)), championSha, 'the champion keeps its bytes');
    assert.match(v2.path, /^\.mlw\//);
    assert.equal(sha256(path.join(ws, v2.path)), v2.sha256);
    assert.equal(sha256(path.join(ws, 'model.onnx')), v2.sha256, 'the workspace file is the challenger now');
    assert.notEqual(v2.sha256, championSha);
    assert.equal(v2.source.runId, trainRunId);
    assert.equal(o.runId, trainRunId);
    assert.equal(v2.pipeline?.stage, 'export');
    assert.deepEqual(
      v2.pipeline?.metricsFrom.map((s) => s.file),
      ['metrics.json'],
    );
    const evaluated = JSON.parse(readFileSync(path.join(ws, 'metrics.json'), 'utf8')) as Record<string, number>;
    for (const [k, v] of Object.entries(evaluated)) if (typeof v === 'number') assert.equal(v2.metrics[k], v, k);
    assert.deepEqual(v1.evaluations![0].data, v2.evaluations![0].data);

    // --script forces the bare script: a stage run is no script run, said in one line.
    const forced = mlw(ws, ['registry', 'retrain', 'clf', '--script']);
    assert.equal(forced.code, 1);
    assert.match(forced.err.trim().split('\n').at(-1)!, /^mlw registry: run \S+ was not launched by ML Workbench as a Python script/);
    assert.equal(readModel(ws).versions.length, 2, 'nothing registered');

    // A stage failing after train.py rewrote model.onnx: the champion (kept already) and the registry stay as they were.
    const evaluate = path.join(ws, 'evaluate.py');
    writeFileSync(
      evaluate,
      readFileSync(evaluate, 'utf8').replace('if __name__ == "__main__":\n', '$&    raise SystemExit("boom: evaluate broke")\n'),
    );
    const crash = mlw(ws, ['registry', 'retrain', 'clf', '--python', SYSTEM_PYTHON]);
    assert.equal(crash.code, 1);
    assert.match(
      crash.err.trim().split('\n').at(-1)!,
      /^mlw registry: retraining pipeline \(prepare, train, evaluate\) failed: stage evaluate failed \(exit code 1\): boom: evaluate broke \[run \S+\]$/,
    );
    assert.deepEqual(readModel(ws).versions.length, 2);
    assert.equal(sha256(path.join(ws, readModel(ws).versions[0].path)), championSha);
    assert.deepEqual(readFileSync(path.join(ws, 'params.yaml')), paramsBefore);
    t.diagnostic(`retrain pipeline system test: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});
