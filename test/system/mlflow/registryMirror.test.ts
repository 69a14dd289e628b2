/**
 * `mlw registry` mirrored into a team's tracking server: `mlw mlflow-server` serving workspace B, the CLI working in
 * workspace A with MLFLOW_TRACKING_URI/TOKEN pointing at it. Versions come from a real /usr/bin/python3 run (an ONNX
 * Gemm written by python3-onnx, pushed to the server with mlw runs push) and from a file. A third-party client written
 * from MLflow's published REST reference (test/fixtures/mlflow/registry_client_rest.py, urllib only: MLflow's own
 * client and server cannot be installed here) reads the server back after each move and checks the published shapes;
 * the same client writes a model of its own. Then the server goes away: the local moves stand with a one-line
 * warning, and `mlw registry sync` completes them once it is back.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { RegisteredModel } from '../../../src/core/registry/registryTypes';
import type { Run } from '../../../src/core/runs/runTypes';
import { CORPUS_DIR, needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { REPO_ROOT, tempDir } from '../../unit/runs/runsTestSupport';

const MLW = path.resolve(__dirname, '../../../src/cli/mlw.js');
const CLIENT = path.join(REPO_ROOT, 'test', 'fixtures', 'mlflow', 'registry_client_rest.py');
const ADD_MODEL = path.join(CORPUS_DIR, 'node', 'test_add', 'model.onnx');
const SUB_MODEL = path.join(CORPUS_DIR, 'node', 'test_sub', 'model.onnx');
const TOKEN = 'registry-team-token';

const TRAIN = `import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper
import mlw_run as mlw

W = numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(4, 3) / 10, "W")
B = numpy_helper.from_array(np.zeros(3, dtype=np.float32), "B")
node = helper.make_node("Gemm", ["input", "W", "B"], ["logits"])
graph = helper.make_graph([node], "gemm", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 4])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 3])], initializer=[W, B])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.save(model, "model.onnx")
mlw.log_metric("accuracy", 0.91)
mlw.log_artifact("model.onnx")
`;

interface Result {
  code: number | null;
  out: string;
  err: string;
}

function run(cmd: string, args: string[], env: Record<string, string | undefined>): Result {
  const e: NodeJS.ProcessEnv = { ...process.env, MLFLOW_TRACKING_URI: undefined, MLFLOW_TRACKING_TOKEN: undefined, ...env };
  for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, env: e });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let server: ChildProcess | undefined;
let url = '';
let port = 0;
const wsA = tempDir('mlw-regmirror-a-');
const wsB = tempDir('mlw-regmirror-b-');
const tracking = () => ({ MLFLOW_TRACKING_URI: url, MLFLOW_TRACKING_TOKEN: TOKEN, MLW_USER: 'Ana' });
const mlwA = (args: string[], env: Record<string, string | undefined> = tracking()) =>
  run(process.execPath, [MLW, '--workspace', wsA, ...args], env);
const mlwB = (args: string[]) => run(process.execPath, [MLW, '--workspace', wsB, ...args], { MLW_USER: 'Ben' });

function ok(r: Result, what: string): Result {
  assert.equal(r.code, 0, `${what}: ${r.err}${r.out}`);
  return r;
}

interface ReadVersion {
  version: string;
  source: string;
  run_id: string;
  description: string;
  tags: Record<string, string>;
  aliases: string[];
}
interface ReadBack {
  model: { aliases: Record<string, string>; tags: Record<string, string> };
  versions: ReadVersion[];
  by_alias: Record<string, ReadVersion>;
  download: Record<string, string>;
}

function client<T>(args: string[]): T {
  const r = run(SYSTEM_PYTHON, [CLIENT, ...args], { MLFLOW_TRACKING_URI: url, MLFLOW_TRACKING_TOKEN: TOKEN });
  assert.equal(r.code, 0, `registry_client_rest.py ${args.join(' ')}: ${r.err}`);
  const line = r.out.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, r.out);
  return JSON.parse(line.slice('RESULT '.length)) as T;
}

async function startServer(atPort: number): Promise<void> {
  server = spawn(process.execPath, [MLW, '--workspace', wsB, 'mlflow-server', '--port', String(atPort), '--token', TOKEN, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    server!.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    server!.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    server!.once('exit', (code) => reject(new Error(`mlw mlflow-server exited (${code}): ${err}`)));
  });
  url = (JSON.parse(line) as { url: string }).url;
  port = Number(new URL(url).port);
}

async function stopServer(): Promise<void> {
  const s = server;
  if (!s || s.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    s.once('exit', () => resolve());
    s.kill('SIGTERM');
  });
}

const readA = () => JSON.parse(readFileSync(path.join(wsA, '.mlw', 'registry', 'clf.json'), 'utf8')) as RegisteredModel;
const serverNumber = (m: RegisteredModel, local: number) => m.versions.find((v) => v.version === local)?.mlflow?.version;

const ready = () => existsSync(SYSTEM_PYTHON) && pythonHas('onnx') && existsSync(ADD_MODEL) && existsSync(SUB_MODEL);

before(async () => {
  if (ready()) await startServer(0);
});

after(async () => {
  await stopServer();
});

describe('mlw registry mirrored into an MLflow tracking server', () => {
  let pushed = { localRun: '', serverRun: '', artifactUri: '' };

  it('register, promote and rollback write its Model Registry; a REST client reads versions, tags and aliases back', (t) => {
    if (!needs(t, 'python3 with onnx, and the ONNX test corpus', ready(), 'apt-get install python3-onnx libonnx-testdata')) return;
    // The team server's registry already holds a version of its own: its numbers and A's differ.
    const padBytes = 'the server workspace registered this one itself\n';
    writeFileSync(path.join(wsB, 'pad.bin'), padBytes);
    ok(mlwB(['registry', 'register', 'pad.bin', '--name', 'clf']), 'register in B');

    // A real run in A, pushed to the server: its model becomes the run's artifact there.
    writeFileSync(path.join(wsA, 'train.py'), TRAIN);
    copyFileSync(ADD_MODEL, path.join(wsA, 'add.onnx'));
    writeFileSync(path.join(wsA, 'mlw.yaml'), 'registry:\n  clf:\n    gates: ["accuracy >= 0.9"]\n');
    const trained = JSON.parse(ok(mlwA(['run', 'train.py', '--python', SYSTEM_PYTHON, '--no-git', '--json'], {}), 'mlw run').out) as Run;
    assert.equal(trained.status, 'finished', trained.outputTail);
    const push = JSON.parse(ok(mlwA(['runs', 'push', trained.id, '--to', url, '--token', TOKEN, '--json'], {}), 'push').out) as {
      runId: string;
    };
    pushed = { localRun: trained.id, serverRun: push.runId, artifactUri: '' };

    // v1 from a file (no run on the server: file:// source), as challenger; v2 from the pushed run.
    const r1 = ok(mlwA(['registry', 'register', 'add.onnx', '--name', 'clf', '--alias', 'challenger']), 'register v1');
    assert.match(r1.out, /^registered clf version 1 as challenger/);
    assert.match(r1.err, new RegExp(`^mlw registry: mirrored clf to MLflow server ${url} \\(version 1 -> 2; challenger=2\\)$`, 'm'));
    const r2 = ok(
      mlwA(['registry', 'register', '--run', trained.id, '--name', 'clf', '--notes', 'gemm from the pushed run']),
      'register v2',
    );
    assert.match(r2.err, /\(version 2 -> 3\)/);
    let local = readA();
    assert.deepEqual(
      local.versions.map((v) => v.mlflow),
      [
        { uri: url, version: '2' },
        { uri: url, version: '3' },
      ],
    );

    let seen = client<ReadBack>(['read', 'clf']);
    assert.deepEqual(
      seen.versions.map((v) => v.version),
      ['1', '2', '3'],
    );
    const [own, s1, s2] = seen.versions;
    assert.equal(own.tags['mlw.sha256'], createHash('sha256').update(padBytes).digest('hex'));
    assert.equal(own.source, `file://${path.join(wsB, 'pad.bin')}`);
    assert.equal(s1.source, `file://${path.join(wsA, 'add.onnx')}`);
    assert.equal(s1.run_id, '');
    assert.equal(s1.tags['mlw.sha256'], local.versions[0].sha256);
    assert.equal(s1.tags['mlw.version'], '1');
    assert.match(s2.source, new RegExp(`^mlflow-artifacts:/\\d+/${push.runId}/artifacts/model\\.onnx$`));
    assert.equal(s2.run_id, push.runId);
    assert.equal(s2.description, 'gemm from the pushed run');
    assert.equal(s2.tags['mlw.sha256'], trained.artifacts.find((a) => a.path === 'model.onnx')!.sha256);
    assert.equal(s2.tags['mlw.run'], trained.id);
    assert.deepEqual(seen.model.aliases, { challenger: '2' });
    assert.deepEqual(s1.aliases, ['challenger']);

    // v1 has no accuracy: promoting it needs --force, recorded in its tags; v2 passes the gate.
    assert.equal(mlwA(['registry', 'promote', 'clf', '1']).code, 1);
    ok(mlwA(['registry', 'promote', 'clf', '1', '--force']), 'promote v1 --force');
    const p2 = ok(mlwA(['registry', 'promote', 'clf', '2']), 'promote v2');
    assert.match(p2.err, /champion=3/);
    seen = client<ReadBack>(['read', 'clf']);
    assert.deepEqual(seen.model.aliases, { challenger: '2', champion: '3' });
    assert.equal(seen.by_alias.champion.version, '3');
    assert.equal(seen.by_alias.champion.tags['mlw.forced'], 'false');
    const gates = JSON.parse(seen.by_alias.champion.tags['mlw.gates']) as Array<{ gate: string; passed: boolean; detail: string }>;
    assert.deepEqual(
      gates.map((g) => [g.gate, g.passed]),
      [['accuracy >= 0.9', true]],
    );
    assert.match(gates[0].detail, /0\.91/);
    assert.equal(seen.versions[1].tags['mlw.forced'], 'true');
    assert.equal(JSON.parse(seen.versions[1].tags['mlw.gates'])[0].passed, false);
    assert.equal(seen.download.champion, s2.source);
    pushed.artifactUri = s2.source;

    // rollback: champion goes back to v1 (server 2) there too.
    const rb = ok(mlwA(['registry', 'rollback', 'clf']), 'rollback');
    assert.match(rb.out, /clf@champion -> version 1 \(rolled back from 2\)/);
    seen = client<ReadBack>(['read', 'clf']);
    assert.deepEqual(seen.model.aliases, { challenger: '2', champion: '2' });
    assert.deepEqual(seen.by_alias.champion.aliases, ['challenger', 'champion']);
    assert.equal(seen.download.champion, `file://${path.join(wsA, 'add.onnx')}`);

    // B's own registry file holds what the server was told, moves recorded as alias moves.
    const inB = JSON.parse(readFileSync(path.join(wsB, '.mlw', 'registry', 'clf.json'), 'utf8')) as RegisteredModel;
    assert.deepEqual(inB.aliases, { challenger: 2, champion: 2 });
    assert.deepEqual(
      inB.aliasHistory.map((h) => [h.alias, h.from, h.to, h.action]),
      [
        ['challenger', null, 2, 'alias'],
        ['champion', null, 2, 'alias'],
        ['champion', 2, 3, 'alias'],
        ['champion', 3, 2, 'alias'],
      ],
    );
    assert.equal(inB.versions[2].sha256, s2.tags['mlw.sha256']);

    // list --json shows each version's server number.
    local = JSON.parse(ok(mlwA(['registry', 'list', '--json']), 'list').out)[0] as RegisteredModel;
    assert.deepEqual(
      local.versions.map((v) => [v.version, v.mlflow?.version]),
      [
        [1, '2'],
        [2, '3'],
      ],
    );
  });

  it('takes the writes of an MLflow client: a model and version of its own, tags, an alias set and deleted, MLflow error codes', (t) => {
    if (!needs(t, 'python3 with onnx, and the ONNX test corpus', ready(), 'apt-get install python3-onnx libonnx-testdata')) return;
    assert.ok(pushed.artifactUri, 'the first test pushed a run');
    const w = client<{
      created: ReadVersion;
      staged: ReadVersion;
      final: ReadVersion;
      errors: Record<string, { status: number; error_code: string; message: string }>;
      model: { aliases: Record<string, string>; tags: Record<string, string> };
    }>(['write', 'team-model', pushed.artifactUri]);
    assert.equal(w.created.version, '1');
    assert.equal(w.created.source, pushed.artifactUri);
    assert.equal(w.created.run_id, pushed.serverRun);
    assert.deepEqual(w.staged.aliases, ['staging']);
    assert.equal(w.final.tags.validated, 'yes');
    assert.equal(w.final.tags.origin, 'rest');
    assert.deepEqual(w.model.aliases, {});
    assert.deepEqual(w.model.tags, { team: 'vision' });
    assert.match(w.errors.create_again.message, /Registered Model \(name=team-model\) already exists/);
    assert.match(w.errors.alias_gone.message, /alias staging not found/);
    assert.match(w.errors.bad_source.message, /s3:\/\/bucket/);
    const inB = JSON.parse(ok(mlwB(['registry', 'list', '--json']), 'list in B').out) as RegisteredModel[];
    const team = inB.find((m) => m.name === 'team-model')!;
    assert.equal(team.versions[0].source.runId, pushed.serverRun);
    assert.equal(team.versions[0].notes, 'first');
    assert.deepEqual(
      team.aliasHistory.map((h) => [h.alias, h.action, h.by]),
      [
        ['staging', 'alias', 'mlflow'],
        ['staging', 'delete', 'mlflow'],
      ],
    );
  });

  it('keeps the local move when the server is down, warns in one line, and mlw registry sync completes it', async (t) => {
    if (!needs(t, 'python3 with onnx, and the ONNX test corpus', ready(), 'apt-get install python3-onnx libonnx-testdata')) return;
    assert.ok(pushed.serverRun, 'the first test ran');
    await stopServer();
    const p = mlwA(['registry', 'promote', 'clf', '2']);
    assert.equal(p.code, 0, p.err);
    const warnings = p.err.split('\n').filter((l) => l.includes('warning'));
    assert.equal(warnings.length, 1, p.err);
    assert.match(
      warnings[0],
      new RegExp(`clf changed here but not on MLflow server ${url}: .*connection refused.*Send it later with: mlw registry sync clf$`),
    );
    copyFileSync(SUB_MODEL, path.join(wsA, 'sub.onnx'));
    const r3 = mlwA(['registry', 'register', 'sub.onnx', '--name', 'clf']);
    assert.equal(r3.code, 0, r3.err);
    assert.match(r3.err, /warning: clf changed here but not on MLflow server/);
    let local = readA();
    assert.equal(local.aliases.champion, 2);
    assert.equal(local.versions[2].mlflow, undefined);

    await startServer(port);
    const s = ok(mlwA(['registry', 'sync', 'clf']), 'sync');
    assert.match(s.out, /^clf: version 3 -> 4; champion=3 on /m);
    local = readA();
    assert.equal(serverNumber(local, 3), '4');
    const seen = client<ReadBack>(['read', 'clf']);
    assert.deepEqual(seen.model.aliases, { challenger: '2', champion: '3' });
    assert.equal(seen.versions.length, 4);
    assert.equal(seen.versions[3].tags['mlw.version'], '3');
    // Nothing left to send: a second sync changes nothing.
    assert.match(ok(mlwA(['registry', 'sync', 'clf']), 'sync again').out, /^clf: already in step on /m);
  });
});
