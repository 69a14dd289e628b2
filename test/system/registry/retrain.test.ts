/**
 * Retrain on recent data, for real: a project from the tabular-classifier template trains a champion with the system
 * /usr/bin/python3 (torch), registered as champion and served as clf@champion by the model server with capture on;
 * DRIFTED traffic (every row of the data set with its six size features scaled ×1.6, request ids set, single and
 * batched requests) is answered and captured; ground truth arrives for all but one request; `mlw registry retrain clf`
 * (the built CLI) reruns the champion's train.py with --recent_data, registers the challenger, evaluates both on the
 * same held-out captured rows through onnxruntime, and the gate "accuracy > champion + 0.01" passes via
 * `mlw registry promote`. Errors: no captures (the one-line message, exit 1), a crashing script (its run kept).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { RetrainOutcome } from '../../../src/core/registry/retrain/retrainOnCaptures';
import type { Run } from '../../../src/core/runs/runTypes';
import { scaffoldProject } from '../../../src/core/scaffold/scaffoldProject';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { HELPER_DIR, MLW, mlwIn, readModel, sendDriftedTraffic } from '../../support/retrainSupport';
import { tempDir } from '../../unit/runs/runsTestSupport';

const mlw = (ws: string, args: string[]) => mlwIn(ws, args, { MLW_PYTHON: SYSTEM_PYTHON });

function ok(ws: string, args: string[]): string {
  const r = mlw(ws, args);
  assert.equal(r.code, 0, `mlw ${args.join(' ')}: ${r.err}`);
  return r.out;
}

describe('mlw registry retrain', () => {
  it('retrains the champion on drifted captured traffic: the challenger beats it on the same held-out rows and passes the gate', async (t) => {
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
    const ws = path.join(tempDir('mlw-retrain-'), 'proj');
    await scaffoldProject({ template: 'tabular-classifier', dir: ws, git: false, helperDir: HELPER_DIR });

    // The champion: the template's training as it ships.
    const champion = JSON.parse(ok(ws, ['run', 'train.py', '--python', SYSTEM_PYTHON, '--no-git', '--json'])) as Run;
    assert.equal(champion.status, 'finished', champion.outputTail);
    ok(ws, ['registry', 'register', '--run', champion.id, '--name', 'clf', '--alias', 'champion']);
    ok(ws, ['registry', 'register', '--run', champion.id, '--name', 'other', '--alias', 'champion']);

    // No captures yet: one line naming the folder and the way to get them, exit 1.
    const none = mlw(ws, ['registry', 'retrain', 'other']);
    assert.equal(none.code, 1);
    assert.equal(
      none.err,
      'mlw registry: No captured requests for other in .mlw/captures/other: serve it with --capture 0.1 (or the Capture setting) first\n',
    );

    // Drifted traffic to clf@champion with every request captured: 20 one-row requests, then batches of 10.
    // Labels arrive later, for every request but the first.
    await sendDriftedTraffic(ws, { rowsAt: (start) => (start < 20 ? 1 : 10), labelled: (k) => k > 0 });
    writeFileSync(path.join(ws, 'mlw.yaml'), 'registry:\n  clf:\n    gates: ["accuracy > champion + 0.01"]\n');

    const r = mlw(ws, ['registry', 'retrain', 'clf', '--python', SYSTEM_PYTHON, '--json']);
    assert.equal(r.code, 0, r.err);
    const o = JSON.parse(r.out) as RetrainOutcome;
    t.diagnostic(
      `rows: ${JSON.stringify(o.rows)}; challenger v${o.candidate.version} accuracy ${o.candidate.metrics.accuracy} roc_auc ${o.candidate.metrics.roc_auc}; champion v${o.champion.version} accuracy ${o.champion.metrics.accuracy} roc_auc ${o.champion.metrics.roc_auc}`,
    );
    // 569 rows captured; the first request (1 row) has no ground truth; 30 % of the other 568 held out.
    assert.deepEqual(o.rows, { captured: 569, labelled: 568, unlabelled: 1, mismatched: 0, train: 398, holdout: 170 });
    assert.equal(o.candidate.metrics.rows, 170);
    assert.equal(o.champion.metrics.rows, 170);
    // The drift costs the champion; training on the recent rows wins it back, by a clear margin.
    assert.ok(o.champion.metrics.accuracy < 0.9, `champion on drifted rows: ${o.champion.metrics.accuracy}`);
    assert.ok(o.candidate.metrics.accuracy > 0.93, `challenger: ${o.candidate.metrics.accuracy}`);
    assert.ok(o.candidate.metrics.accuracy > o.champion.metrics.accuracy + 0.08);
    assert.deepEqual(
      o.gates.map((g) => [g.gate, g.passed]),
      [['accuracy > champion + 0.01', true]],
    );
    assert.match(o.gates[0].detail, new RegExp(`on the same 170 held-out captured rows \\(${o.dataset.path}/holdout\\)`));
    assert.match(r.err, /recent data: 398 rows from \.mlw\/retrain\/clf\/\d{8}T\d{6}Z\/train/, 'the script trained on them');

    // The registry: challenger registered from the new run, both evaluations on the same holdout recorded.
    const m = readModel(ws);
    assert.deepEqual(m.aliases, { challenger: 2, champion: 1 });
    const [v1, v2] = m.versions;
    assert.equal(v2.source.runId, o.runId);
    assert.equal(v1.evaluations!.length, 1);
    assert.equal(v2.evaluations!.length, 1);
    assert.deepEqual(v1.evaluations![0].data, v2.evaluations![0].data);
    assert.equal(v1.evaluations![0].data.path, `${o.dataset.path}/holdout`);
    assert.deepEqual(v2.evaluations![0].metrics, o.candidate.metrics);
    assert.deepEqual(v1.evaluations![0].metrics, o.champion.metrics);
    const manifest = JSON.parse(readFileSync(path.join(ws, o.dataset.path, 'manifest.json'), 'utf8'));
    assert.equal(manifest.holdoutSha256, v2.evaluations![0].data.sha256);
    // The run: the champion's script, the same params plus recent_data, the dataset recorded as its data input.
    const run = JSON.parse(readFileSync(path.join(ws, '.mlw', 'runs', o.runId, 'run.json'), 'utf8')) as Run;
    assert.deepEqual(run.command.slice(1), ['train.py', `--recent_data=${o.dataset.path}/train`]);
    assert.equal(run.params.recent_data, `${o.dataset.path}/train`);
    assert.equal(run.params.epochs, champion.params.epochs);
    assert.ok(run.dataInputs.some((d) => d.path === `${o.dataset.path}/manifest.json`));

    // Text mode side by side (a second retrain: a new dataset folder, version 3, the first folder untouched).
    const before = readFileSync(path.join(ws, o.dataset.path, 'holdout', 'labels.npy'));
    const text = mlw(ws, ['registry', 'retrain', 'clf']);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /^clf: 568 of 569 captured rows have ground truth \(1 without\): 398 trained on, 170 held out/);
    assert.match(text.out, /METRIC +CHALLENGER v3 +CHAMPION v1\n/);
    assert.match(text.out, /accuracy +0\.9\d* +0\.[0-8]\d*\n/);
    assert.match(text.out, /registered clf version 3 as challenger/);
    assert.match(text.out, /accuracy > champion \+ 0\.01 +pass +accuracy 0\.9/);
    assert.deepEqual(readFileSync(path.join(ws, o.dataset.path, 'holdout', 'labels.npy')), before);

    // The gate passes through promote: champion moves to the first challenger.
    const promoted = ok(ws, ['registry', 'promote', 'clf', '2']);
    assert.match(promoted, /accuracy > champion \+ 0\.01 +pass .*on the same 170 held-out captured rows/);
    assert.match(promoted, /clf@champion -> version 2 \(was 1\)/);
    assert.equal(readModel(ws).aliases.champion, 2);

    // A crashing script: the run is kept with its log, and the error names it.
    const script = path.join(ws, 'train.py');
    writeFileSync(script, 'raise SystemExit("boom: the data loader broke")\n' + readFileSync(script, 'utf8'));
    const crash = mlw(ws, ['registry', 'retrain', 'clf']);
    assert.equal(crash.code, 1);
    const line = crash.err.trim().split('\n').at(-1)!;
    const failed =
      /^mlw registry: retraining run (\S+) failed \(exit 1\); its log is \.mlw\/runs\/\1\/stdout\.log: boom: the data loader broke$/.exec(
        line,
      );
    assert.ok(failed, line);
    const kept = JSON.parse(readFileSync(path.join(ws, '.mlw', 'runs', failed[1], 'run.json'), 'utf8')) as Run;
    assert.equal(kept.status, 'failed');
    assert.match(readFileSync(path.join(ws, '.mlw', 'runs', failed[1], 'stdout.log'), 'utf8'), /boom: the data loader broke/);
    assert.equal(readModel(ws).versions.length, 3, 'nothing registered');
    t.diagnostic(`retrain system test: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});
