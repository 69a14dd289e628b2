/**
 * `mlw registry` through the built CLI (dist/mlw.js): versions registered from real /usr/bin/python3 training runs
 * (sklearn logistic regression on iris, exported as an ONNX Gemm) and from an ONNX file of libonnx-testdata; aliases
 * and their history; promotion gates from mlw.yaml refusing with their numbers, champion-relative gates, --force
 * recorded, rollback.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Run } from '../../../src/core/runs/runTypes';
import type { RegisteredModel } from '../../../src/core/registry/registryTypes';
import { CORPUS_DIR, needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { REPO_ROOT, tempDir } from '../../unit/runs/runsTestSupport';

const MLW = path.join(REPO_ROOT, 'dist', 'mlw.js');
const ADD_MODEL = path.join(CORPUS_DIR, 'node', 'test_add', 'model.onnx');

const TRAIN = `import sys
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
import mlw_run as mlw

args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--"))
c = float(args.get("C", "1.0"))
iters = int(args.get("max_iter", "100"))
X, y = load_iris(return_X_y=True)
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
clf = LogisticRegression(C=c, max_iter=iters).fit(Xtr, ytr)
acc = float(clf.score(Xte, yte))
mlw.log_metric("accuracy", acc)
W = numpy_helper.from_array(clf.coef_.T.astype(np.float32), "W")
B = numpy_helper.from_array(clf.intercept_.astype(np.float32), "B")
node = helper.make_node("Gemm", ["input", "W", "B"], ["logits"])
graph = helper.make_graph([node], "iris_logreg",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 4])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 3])], initializer=[W, B])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.save(model, "model.onnx")
print("accuracy", acc)
`;

function mlw(ws: string, args: string[]): { code: number | null; out: string; err: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
  delete env.MLW_USER;
  const r = spawnSync(process.execPath, [MLW, '--workspace', ws, ...args], { encoding: 'utf8', timeout: 120_000, env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function train(ws: string, params: Record<string, string>): Run {
  // eval.csv stands for the held-out slice: hashed into the run as its data input.
  const flags = [...Object.entries(params).flatMap(([k, v]) => ['--param', `${k}=${v}`]), '--data', 'eval.csv'];
  const r = mlw(ws, ['run', 'train.py', '--python', SYSTEM_PYTHON, '--no-git', ...flags, '--json']);
  assert.equal(r.code, 0, r.err);
  const run = JSON.parse(r.out) as Run;
  assert.equal(run.status, 'finished', run.outputTail);
  return run;
}

function ok(ws: string, args: string[]): string {
  const r = mlw(ws, args);
  assert.equal(r.code, 0, `mlw ${args.join(' ')}: ${r.err}`);
  return r.out;
}

const readModel = (ws: string, name: string) =>
  JSON.parse(readFileSync(path.join(ws, '.mlw', 'registry', `${name}.json`), 'utf8')) as RegisteredModel;
const gates = (ws: string, list: string[]) =>
  writeFileSync(path.join(ws, 'mlw.yaml'), `registry:\n  clf:\n    gates: ${JSON.stringify(list)}\n`);

describe('mlw registry', () => {
  it('registers real runs, moves aliases through the gates, records --force, rolls back', (t) => {
    if (
      !needs(
        t,
        'python3 with sklearn and onnx',
        existsSync(SYSTEM_PYTHON) && pythonHas('sklearn') && pythonHas('onnx'),
        'apt-get install python3-sklearn python3-onnx',
      )
    )
      return;
    if (!needs(t, 'dist/mlw.js', existsSync(MLW), 'npm run build')) return;
    const ws = tempDir('mlw-registry-');
    execFileSync('git', ['init', '-q'], { cwd: ws });
    execFileSync('git', ['config', 'user.name', 'Reg Tester'], { cwd: ws });
    writeFileSync(path.join(ws, 'train.py'), TRAIN);
    writeFileSync(path.join(ws, 'eval.csv'), 'x,y\n1,0\n');
    const weak = train(ws, { C: '0.01', max_iter: '5' });
    const strong = train(ws, { C: '1', max_iter: '200' });
    const weakAcc = weak.metrics!.accuracy.last;
    const strongAcc = strong.metrics!.accuracy.last;
    assert.ok(strongAcc >= 0.9 && weakAcc < 0.8, `accuracies ${weakAcc} ${strongAcc}`);

    // Version 1 from the weak run, as challenger: the run's snapshot, its metrics and the ONNX signature.
    assert.match(
      ok(ws, ['registry', 'register', '--run', weak.id, '--name', 'clf', '--alias', 'challenger']),
      /^registered clf version 1 as challenger/,
    );
    let m = readModel(ws, 'clf');
    const v1 = m.versions[0];
    assert.equal(v1.source.runId, weak.id);
    assert.equal(v1.sha256, weak.artifacts.find((a) => a.path === 'model.onnx')!.sha256);
    assert.equal(v1.path, weak.artifacts.find((a) => a.path === 'model.onnx')!.stored);
    assert.deepEqual(v1.metrics, { accuracy: weakAcc });
    assert.deepEqual(v1.signature, {
      inputs: [{ name: 'input', type: 'tensor(float)', shape: ['batch', 4] }],
      outputs: [{ name: 'logits', type: 'tensor(float)', shape: ['batch', 3] }],
    });
    assert.deepEqual(m.aliases, { challenger: 1 });
    assert.deepEqual(
      m.aliasHistory.map((h) => [h.alias, h.from, h.to, h.action, h.by]),
      [['challenger', null, 1, 'register', 'Reg Tester']],
    );

    // A failing absolute gate refuses with its numbers; nothing moves.
    gates(ws, ['accuracy >= 0.8', 'accuracy > champion + 0.01', 'p99_ms <= 50', 'size_mb <= 1']);
    const refused = mlw(ws, ['registry', 'promote', 'clf', '1']);
    assert.equal(refused.code, 1);
    const errLines = refused.err.trim().split('\n');
    assert.equal(errLines.length, 1, refused.err);
    assert.match(
      errLines[0],
      /refused: 2 of 4 gates failed: accuracy >= 0\.8 \(accuracy 0\.\d+ < 0\.8\); p99_ms <= 50 \(p99_ms is missing: no benchmark recorded/,
    );
    assert.match(refused.out, /accuracy >= 0\.8 +FAIL +accuracy 0\.\d+ < 0\.8/);
    assert.match(refused.out, /accuracy > champion \+ 0\.01 +pass +no champion yet/);
    assert.match(refused.out, /size_mb <= 1 +pass +size_mb 0\.000\d+ <= 1/);
    assert.equal(readModel(ws, 'clf').aliases.champion, undefined);

    // --force moves it, and the move records that it was forced, with the gates' results.
    assert.match(
      ok(ws, ['registry', 'promote', 'clf', '1', '--force']),
      /clf@champion -> version 1 \(forced past failing gates: recorded\)/,
    );
    m = readModel(ws, 'clf');
    const forced = m.aliasHistory.at(-1)!;
    assert.deepEqual([forced.alias, forced.to, forced.action, forced.forced, forced.by], ['champion', 1, 'promote', true, 'Reg Tester']);
    assert.equal(forced.gates!.filter((g) => !g.passed).length, 2);

    // Version 2 from the strong run beats the champion by more than 0.01; with the benchmark gate dropped it promotes.
    ok(ws, ['registry', 'register', '--run', strong.id, '--name', 'clf']);
    gates(ws, ['accuracy >= 0.8', 'accuracy > champion + 0.01']);
    const promoted = ok(ws, ['registry', 'promote', 'clf', '2']);
    assert.match(
      promoted,
      new RegExp(
        `accuracy > champion \\+ 0\\.01 +pass +accuracy ${strongAcc} > [0-9.]+ \\(champion version 1: [0-9.]+ \\+ 0\\.01; same evaluation data\\)`,
      ),
    );
    assert.match(promoted, /clf@champion -> version 2 \(was 1\)/);
    m = readModel(ws, 'clf');
    assert.equal(m.aliasHistory.at(-1)!.forced, false);

    // The same strong model again (version 3) does not beat the champion (version 2) by 0.01.
    assert.match(
      ok(ws, ['registry', 'register', '--run', strong.id, '--name', 'clf']),
      /^registered clf version 3 .*; the same bytes as version 2\)$/m,
    );
    const notBetter = mlw(ws, ['registry', 'promote', 'clf', '3', '--json']);
    assert.equal(notBetter.code, 1);
    const outcome = JSON.parse(notBetter.out) as { moved: boolean; gates: Array<{ gate: string; passed: boolean; detail: string }> };
    assert.equal(outcome.moved, false);
    assert.deepEqual(outcome.gates[1], {
      gate: 'accuracy > champion + 0.01',
      passed: false,
      detail: `accuracy ${strongAcc} <= ${strongAcc + 0.01} (champion version 2: ${strongAcc} + 0.01; same evaluation data)`,
    });

    // Custom aliases; champion only through promote.
    assert.equal(ok(ws, ['registry', 'alias', 'clf', '3', 'staging']).trim(), 'clf@staging -> version 3');
    assert.equal(ok(ws, ['registry', 'alias', 'clf', '2', 'challenger']).trim(), 'clf@challenger -> version 2 (was 1)');
    assert.equal(mlw(ws, ['registry', 'alias', 'clf', '3', 'champion']).code, 2);
    assert.match(
      mlw(ws, ['registry', 'alias', 'clf', '9', 'staging']).err.trim(),
      /^mlw registry: clf has no version 9 \(versions: 1, 2, 3\)$/,
    );

    // Rollback: champion back to version 1, then nothing before it.
    assert.equal(ok(ws, ['registry', 'rollback', 'clf']).trim(), 'clf@champion -> version 1 (rolled back from 2)');
    const noMore = mlw(ws, ['registry', 'rollback', 'clf']);
    assert.equal(noMore.code, 1);
    assert.equal(noMore.err.trim(), 'mlw registry: clf@champion (version 1) has no previous champion in its history to roll back to');
    m = readModel(ws, 'clf');
    assert.deepEqual(m.aliases, { challenger: 2, champion: 1, staging: 3 });
    assert.deepEqual(
      m.aliasHistory.filter((h) => h.alias === 'champion').map((h) => [h.from, h.to, h.action]),
      [
        [null, 1, 'promote'],
        [1, 2, 'promote'],
        [2, 1, 'rollback'],
      ],
    );

    // A gate that does not parse: the gate text and the column.
    gates(ws, ['accuracy >= 0.8', 'accuracy >> 0.8']);
    const bad = mlw(ws, ['registry', 'promote', 'clf', '2']);
    assert.equal(bad.code, 1);
    assert.equal(
      bad.err.trim(),
      'mlw registry: mlw.yaml: registry.clf.gates[1]: gate "accuracy >> 0.8": expected one of >=, >, <=, <, found ">>" at column 11',
    );

    // A file some run logged: its source run is found by sha256, with that run's metrics.
    const byFile = JSON.parse(
      ok(ws, ['registry', 'register', 'model.onnx', '--name', 'clf-file', '--json']),
    ) as RegisteredModel['versions'][number];
    assert.deepEqual([byFile.source.kind, byFile.source.runId, byFile.path], ['file', strong.id, 'model.onnx']);
    assert.deepEqual(byFile.metrics, { accuracy: strongAcc });

    // A candidate evaluated on other data than the champion is not compared with it.
    writeFileSync(path.join(ws, 'eval.csv'), 'x,y\n2,1\n');
    const otherData = train(ws, { C: '0.5', max_iter: '200' });
    ok(ws, ['registry', 'register', '--run', otherData.id, '--name', 'clf']);
    gates(ws, ['accuracy > champion - 1']);
    const incomparable = mlw(ws, ['registry', 'promote', 'clf', '4']);
    assert.equal(incomparable.code, 1);
    assert.match(
      incomparable.err,
      /accuracy > champion - 1 \(not comparable: version 4 was evaluated on other data \(eval\.csv [0-9a-f]{12}\) than champion version 1 \(eval\.csv [0-9a-f]{12}\)\)/,
    );

    // list
    const list = JSON.parse(ok(ws, ['registry', 'list', '--json'])) as RegisteredModel[];
    assert.deepEqual(
      list.map((x) => [x.name, x.versions.length]),
      [
        ['clf', 4],
        ['clf-file', 1],
      ],
    );
    assert.match(ok(ws, ['registry', 'list']), /clf +2 +challenger +\S+ +[0-9a-f]{12} +accuracy=/);
  });

  it('registers an ONNX file of libonnx-testdata and gates on the recorded drift state', (t) => {
    if (!needs(t, 'the ONNX corpus', existsSync(ADD_MODEL), 'apt-get install libonnx-testdata')) return;
    if (!needs(t, 'dist/mlw.js', existsSync(MLW), 'npm run build')) return;
    const ws = tempDir('mlw-registry-file-');
    const out = ok(ws, ['registry', 'register', ADD_MODEL, '--name', 'add', '--notes', 'from the corpus', '--json']);
    const v = JSON.parse(out) as RegisteredModel['versions'][number];
    assert.equal(v.version, 1);
    assert.equal(v.source.kind, 'file');
    assert.equal(v.source.runId, null);
    assert.equal(v.path, ADD_MODEL);
    assert.equal(v.notes, 'from the corpus');
    assert.deepEqual(
      v.signature!.inputs.map((i) => i.name),
      ['x', 'y'],
    );
    assert.equal(v.sha256, execFileSync('sha256sum', [ADD_MODEL], { encoding: 'utf8' }).split(' ')[0]);

    writeFileSync(path.join(ws, 'mlw.yaml'), 'registry:\n  add:\n    gates: ["no_drift", "size_mb < 1"]\n');
    const noState = mlw(ws, ['registry', 'promote', 'add', '1']);
    assert.equal(noState.code, 1);
    assert.match(noState.err, /no_drift \(no drift state recorded: \.mlw\/drift\/add\.json does not exist/);

    // A recorded /stats answer with a drifted feature, then a calm one.
    const stats = (psi: number) =>
      JSON.stringify({
        model_name: 'add',
        drift: {
          reference: true,
          inputs: [{ name: 'x', observed: 500, skipped: 0, reference: true, features: [{ index: 0, count: 500, psi }] }],
        },
      });
    execFileSync('mkdir', ['-p', path.join(ws, '.mlw', 'drift')]);
    writeFileSync(path.join(ws, '.mlw', 'drift', 'add.json'), stats(0.7));
    assert.match(mlw(ws, ['registry', 'promote', 'add', '1']).err, /no_drift \(drift: x\[0\] PSI 0\.7 > 0\.2/);
    writeFileSync(path.join(ws, '.mlw', 'drift', 'add.json'), stats(0.01));
    assert.match(ok(ws, ['registry', 'promote', 'add', '1']), /no_drift +pass +no feature over PSI 0\.2/);

    // A benchmark recorded beside the model (what mlw bench --json prints) gives p50_ms and p99_ms.
    copyFileSync(ADD_MODEL, path.join(ws, 'add.onnx'));
    writeFileSync(path.join(ws, 'add.bench.json'), ok(ws, ['bench', 'add.onnx', '--runs', '20', '--warmup', '2', '--json']));
    const benched = JSON.parse(
      ok(ws, ['registry', 'register', 'add.onnx', '--name', 'add', '--json']),
    ) as RegisteredModel['versions'][number];
    assert.equal(benched.version, 2);
    assert.equal(benched.benchmark!.file, 'add.bench.json');
    assert.ok(benched.benchmark!.p50_ms > 0 && benched.benchmark!.p99_ms >= benched.benchmark!.p50_ms);
    writeFileSync(path.join(ws, 'mlw.yaml'), 'registry:\n  add:\n    gates: ["p99_ms <= 10000", "p50_ms < 0.000001"]\n');
    const slow = mlw(ws, ['registry', 'promote', 'add', '2']);
    assert.equal(slow.code, 1);
    assert.match(slow.out, /p99_ms <= 10000 +pass +p99_ms [0-9.e-]+ <= 10000/);
    assert.match(slow.err, /refused: 1 of 2 gates failed: p50_ms < 0\.000001 \(p50_ms [0-9.e-]+ >= 0\.000001\)/);

    // register --alias champion goes through the same gates: the version is registered, champion does not move.
    const asChampion = mlw(ws, ['registry', 'register', 'add.onnx', '--name', 'add', '--alias', 'champion']);
    assert.equal(asChampion.code, 1);
    assert.match(asChampion.out, /^registered add version 3/);
    assert.match(asChampion.err, /promotion of add version 3 to champion refused: 1 of 2 gates failed/);
    assert.match(ok(ws, ['registry', 'promote', 'add', '3', '--to', 'staging', '--force']), /add@staging -> version 3 \(forced/);
    const add = readModel(ws, 'add');
    assert.deepEqual(add.aliases, { champion: 1, staging: 3 });
    assert.deepEqual(
      add.aliasHistory.map((h) => [h.alias, h.to, h.action, h.forced]),
      [
        ['champion', 1, 'promote', false],
        ['staging', 3, 'promote', true],
      ],
    );
  });
});
