// The registry page of the run dashboard and serving a registry alias, in the real workbench (code-server +
// Chromium): two versions of a real model (sklearn logistic regression on iris trained by /usr/bin/python3 through
// `mlw run`, exported as an ONNX Gemm, each benchmarked with `mlw bench`) registered with `mlw registry register`,
// v1 champion and v2 challenger, and promotion gates in mlw.yaml. From a run's dashboard, the Registry button opens
// the page: versions with their aliases, source runs, sha256, sizes, metrics and p50/p99; the gates evaluated for
// the challenger against the champion with their numbers. Promote (by keyboard) moves champion: the alias history
// says who moved it, from v1 to v2, with all gates passed. Then "Serve Registry Alias" on the model in the Models
// view serves clf@champion: the Deployments view shows it under "Registry aliases" (clf@champion → v2, its port,
// capture off) and its endpoint answers an inference request with the v2 model's logits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { browserTestSkip, chooseFromContextMenu, openWorkbench, shots, widenSidebar } from '../harness/browserSession.mjs';
import { repoRoot } from '../harness/codeServer.mjs';
import { dockerEngineMissing, startDockerEngine } from '../harness/dockerEngine.mjs';

const PYTHON = process.env.MLW_TEST_PYTHON ?? '/usr/bin/python3';
const MLW = join(repoRoot, 'dist', 'mlw.js');

function pythonSkip() {
  const ok = spawnSync(PYTHON, ['-c', 'import sklearn, onnx, numpy'], { stdio: 'ignore', timeout: 60_000 }).status === 0;
  if (!ok && process.env.CI === 'true') throw new Error(`CI=true and ${PYTHON} cannot import sklearn, onnx and numpy`);
  return ok ? false : `${PYTHON} with sklearn, onnx and numpy is missing (apt-get install python3-sklearn python3-onnx)`;
}

const skip = browserTestSkip() || pythonSkip();

function dockerSkip() {
  if (skip) return skip;
  const missing = dockerEngineMissing({ needRegistry: false });
  if (missing && process.env.CI === 'true') throw new Error(`CI=true and ${missing}`);
  return missing ? `no Docker engine for Deploy Locally: ${missing}` : false;
}
const noDocker = dockerSkip();
let engine;

const TRAIN = `import sys
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
import mlw_run as mlw

args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--"))
X, y = load_iris(return_X_y=True)
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
clf = LogisticRegression(C=float(args["C"]), max_iter=int(args["max_iter"])).fit(Xtr, ytr)
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
np.save("coef.npy", clf.coef_.astype(np.float32))
np.save("intercept.npy", clf.intercept_.astype(np.float32))
print("accuracy", acc)
`;
const GATES = ['accuracy >= 0.8', 'accuracy > champion + 0.01', 'p99_ms <= 50', 'size_mb <= 1'];

function mlw(ws, args) {
  const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', MLW_USER: 'Regina Tester' };
  return execFileSync(process.execPath, [MLW, '--workspace', ws, ...args], {
    encoding: 'utf8',
    timeout: 180_000,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Trains one version and benchmarks its model (model.bench.json beside it, which register records). */
function train(ws, name, params) {
  const flags = Object.entries(params).flatMap(([k, v]) => ['--param', `${k}=${v}`]);
  const run = JSON.parse(
    mlw(ws, ['run', 'train.py', '--python', PYTHON, '--no-git', '--name', name, '--data', 'eval.csv', ...flags, '--json']),
  );
  assert.equal(run.status, 'finished', run.outputTail);
  writeFileSync(join(ws, 'model.bench.json'), mlw(ws, ['bench', 'model.onnx', '--runs', '50', '--json']));
  const coef = readFileSync(join(ws, 'coef.npy'));
  const intercept = readFileSync(join(ws, 'intercept.npy'));
  return { run, coef: npyFloats(coef), intercept: npyFloats(intercept) };
}

/** The float32 values of a small .npy file (version 1 header). */
function npyFloats(buf) {
  const headerLen = buf.readUInt16LE(8);
  const data = buf.subarray(10 + headerLen);
  return Array.from(new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length)));
}

let session;
let page;
let workspace;
const versions = {};

before(async () => {
  if (skip) return;
  if (!noDocker) {
    engine = await startDockerEngine({ needRegistry: false });
    process.env.DOCKER_HOST = engine.dockerHost; // code-server, the extension host and mlw inherit it
  }
  session = await openWorkbench('browser-registry-page', {
    models: false,
    prepare: (ws) => {
      workspace = ws;
      if (engine) {
        mkdirSync(join(ws, '.vscode'), { recursive: true });
        writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'mlWorkbench.docker.baseImage': engine.baseImage }));
      }
      writeFileSync(join(ws, 'train.py'), TRAIN);
      writeFileSync(join(ws, 'eval.csv'), 'x,y\n1,0\n'); // the held-out slice both runs record as their data input
      versions.v1 = train(ws, 'clf-weak', { C: '0.01', max_iter: '5' });
      mlw(ws, ['registry', 'register', '--run', versions.v1.run.id, '--name', 'clf']);
      mlw(ws, ['registry', 'promote', 'clf', '1']); // no gates yet: v1 becomes champion
      versions.v2 = train(ws, 'clf-strong', { C: '1', max_iter: '200' });
      mlw(ws, ['registry', 'register', '--run', versions.v2.run.id, '--name', 'clf', '--alias', 'challenger']);
      writeFileSync(join(ws, 'mlw.yaml'), `registry:\n  clf:\n    gates: ${JSON.stringify(GATES)}\n`);
    },
  });
  page = session.page;
});

after(async () => {
  // A container deployment the journey did not stop: its proxy and container go with the CLI.
  const left =
    workspace && existsSync(join(workspace, '.mlw', 'deployments'))
      ? readdirSync(join(workspace, '.mlw', 'deployments')).filter((f) => f.endsWith('.container.json'))
      : [];
  if (left.length) spawnSync(process.execPath, [MLW, '--workspace', workspace, 'deploy', 'stop', 'clf@champion'], { timeout: 60_000 });
  await session?.close();
  await engine?.stop();
});

const sidebar = () => page.locator('.part.sidebar');
const sidebarRow = (text) => sidebar().locator('[role="treeitem"]', { hasText: text }).first();
/** The newest webview (a retained panel stays in the DOM behind it). */
const webview = () => page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`) });
const registryFile = () => JSON.parse(readFileSync(join(workspace, '.mlw', 'registry', 'clf.json'), 'utf8'));
const num = (x) => String(Number(x.toPrecision(6)));

async function rowAction(row, label) {
  await row.hover();
  const button = row.locator(`.action-label[aria-label="${label}"]`);
  await button.waitFor({ timeout: 10_000 });
  await button.click();
}

test(
  'registry page: versions, gates with their numbers, promote, alias history; serve clf@champion',
  { skip, timeout: 420_000 },
  async () => {
    try {
      await journey();
    } catch (e) {
      await shot('89-registry-failure').catch(() => undefined);
      throw e;
    }
  },
);

async function journey() {
  const reg = registryFile();
  const [v1, v2] = reg.versions;
  const acc1 = v1.metrics.accuracy;
  const acc2 = v2.metrics.accuracy;
  assert.ok(acc2 >= 0.9 && acc1 < 0.8, `accuracies v1 ${acc1}, v2 ${acc2}`);
  assert.ok(v2.benchmark && v2.benchmark.p99_ms > 0, 'v2 has its benchmark');

  // 1. A run's dashboard, then its Registry button.
  await page.locator('.activitybar [aria-label^="ML Workbench"]').first().click();
  await widenSidebar(page);
  await sidebarRow('clf-strong').waitFor({ timeout: 60_000 });
  await sidebarRow('clf-strong').click();
  await page.locator('.tabs-container .tab', { hasText: 'Run: clf-strong' }).waitFor({ timeout: 30_000 });
  await webview()
    .getByRole('heading', { name: /clf-strong/ })
    .waitFor({ timeout: 60_000 });
  await webview().getByRole('button', { name: 'Registry', exact: true }).click();
  await page.locator('.tabs-container .tab', { hasText: 'Model Registry' }).waitFor({ timeout: 30_000 });
  const frame = webview();
  await frame.getByRole('heading', { name: 'Model Registry' }).waitFor({ timeout: 60_000 });

  // 2. Versions: aliases as badges, the source run, sha256, size, metrics, p50 / p99.
  const versionsTable = frame.getByRole('table', { name: 'Versions of clf' });
  await versionsTable.waitFor({ timeout: 30_000 });
  const rows = versionsTable.locator('tbody tr');
  assert.equal(await rows.count(), 2);
  const row2 = await rows.nth(0).innerText();
  const row1 = await rows.nth(1).innerText();
  assert.match(row2, /^v2\s+challenger/);
  assert.match(row1, /^v1\s+★ champion/);
  assert.ok(row2.includes(versions.v2.run.id) && row2.includes(v2.sha256.slice(0, 12)), row2);
  assert.ok(row2.includes(`accuracy ${String(Number(acc2.toPrecision(4)))}`), row2);
  assert.match(row2, /\d+(\.\d+)? \/ \d+(\.\d+)? ms/);
  assert.match(row2, /\d+ B/);

  // 3. The gates of mlw.yaml for the challenger against the champion, each with its numbers.
  await frame.getByRole('heading', { name: 'Gates for v2 (challenger alias) against champion v1' }).waitFor();
  const gates = await frame.getByRole('table', { name: 'Gates of clf' }).innerText();
  for (const g of GATES) assert.match(gates, new RegExp(`${g.replace(/[+.]/g, (c) => `\\${c}`)}\\s+✓ pass`), gates);
  assert.ok(gates.includes(`accuracy ${num(acc2)} >= 0.8`), gates);
  assert.ok(
    gates.includes(`accuracy ${num(acc2)} > ${num(acc1 + 0.01)} (champion version 1: ${num(acc1)} + 0.01; same evaluation data)`),
    gates,
  );
  assert.ok(gates.includes(`p99_ms ${num(v2.benchmark.p99_ms)} <= 50`), gates);
  await frame.getByRole('status').filter({ hasText: 'all 4 gates pass' }).waitFor();
  await shot('80-registry-page');

  // 4. Promote from the page, with the keyboard: the gates pass, champion moves, the page redraws by itself.
  const promote = frame.getByRole('button', { name: 'Promote v2 to champion' });
  await promote.focus();
  await page.keyboard.press('Enter');
  const history = frame.getByRole('table', { name: 'Alias history of clf' });
  await history.locator('tbody tr').first().filter({ hasText: 'promote' }).filter({ hasText: 'v1 → v2' }).waitFor({ timeout: 30_000 });
  const top = await history.locator('tbody tr').first().innerText();
  const moved = registryFile();
  assert.equal(moved.aliases.champion, 2);
  const by = moved.aliasHistory.at(-1).by; // who the workbench's user is (MLW_USER, git user.name or the OS user)
  assert.ok(top.includes(`champion\tv1 → v2\tpromote\t${by}\t—\tall 4 passed`), top);
  assert.match(await rows.nth(0).innerText(), /^v2\s+★ champion\s+challenger/);
  // Now v1 is the one judged against champion v2, and it fails with its numbers.
  await frame.getByRole('heading', { name: 'Gates for v1 (newest version that is not the champion) against champion v2' }).waitFor();
  assert.ok((await frame.getByRole('table', { name: 'Gates of clf' }).innerText()).includes(`accuracy ${num(acc1)} < 0.8`));
  await frame.getByRole('button', { name: 'Roll back clf@champion to its previous version' }).waitFor();
  await history.scrollIntoViewIfNeeded();
  await shot('81-registry-promoted');

  // 5. Serve clf@champion from the Models view's Registry group (clf has two aliases: pick champion).
  const modelRow = sidebarRow(/^\s*clf\s*2 versions/);
  await modelRow.waitFor({ timeout: 30_000 });
  await rowAction(modelRow, 'Serve Registry Alias (NAME@ALIAS)');
  const quick = page.locator('.quick-input-widget');
  await quick.locator('.monaco-list-row', { hasText: 'clf@champion' }).first().click();

  // 6. Deployments: what serves the alias, and a working endpoint.
  const aliasRow = sidebarRow(/clf@champion → v2[\s\S]*local server :\d+ · capture off/);
  await aliasRow.waitFor({ timeout: 90_000 });
  const serverRow = sidebarRow(/clf@champion[\s\S]*v2 · http:\/\/127\.0\.0\.1:\d+/);
  await serverRow.waitFor({ timeout: 30_000 });
  const url = /http:\/\/127\.0\.0\.1:\d+/.exec(await serverRow.innerText())[0];
  assert.equal(/:(\d+)/.exec(await aliasRow.innerText())[1], new URL(url).port);
  const x = [6.1, 2.8, 4.7, 1.2];
  const res = await fetch(`${url}/v2/models/clf/infer`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: x }] }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const out = (await res.json()).outputs[0];
  assert.deepEqual(out.shape, [1, 3]);
  // v2's logits: x · Wᵀ + b with the coefficients the strong run saved.
  const { coef, intercept } = versions.v2;
  const expected = [0, 1, 2].map((k) => x.reduce((s, xi, i) => s + xi * coef[k * 4 + i], intercept[k]));
  out.data.forEach((v, k) => assert.ok(Math.abs(v - expected[k]) < 1e-3, `logit ${k}: ${v} vs ${expected[k]}`));
  console.log(`clf@champion (v2) at ${url}: logits ${out.data.map((v) => v.toFixed(3)).join(', ')}`);
  await aliasRow.hover();
  await shot('82-registry-alias-served');

  // 7. Stop it from the Registry aliases group: the record goes and the group with it.
  await rowAction(aliasRow, 'Stop Registry Deployment');
  await sidebarRow(/clf@champion → v2/).waitFor({ state: 'detached', timeout: 30_000 });
}

/** x · Wᵀ + b of a version's saved coefficients: the logits its model answers for x. */
const logitsOf = (v, x) => [0, 1, 2].map((k) => x.reduce((s, xi, i) => s + xi * v.coef[k * 4 + i], v.intercept[k]));

async function infer(endpoint, x) {
  const res = await fetch(`${endpoint}/v2/models/clf/infer`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: x }] }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).outputs[0].data;
}

const close = (got, want, what) => got.forEach((v, k) => assert.ok(Math.abs(v - want[k]) < 1e-3, `${what} logit ${k}: ${v} vs ${want[k]}`));

test(
  'Deploy Locally clf@champion from the Models view on a real Docker engine, then Roll Back from the registry page rolls the container',
  { skip: skip || noDocker, timeout: 600_000 },
  async () => {
    try {
      await deployJourney();
    } catch (e) {
      await shot('89-registry-deploy-failure').catch(() => undefined);
      throw e;
    }
  },
);

async function deployJourney() {
  assert.equal(registryFile().aliases.champion, 2, 'the first test promoted v2');
  const x = [5.9, 3.0, 5.1, 1.8];
  // 1. The model's context menu in the Models view: Deploy Registry Alias Locally…, pick clf@champion.
  const modelRow = sidebarRow(/^\s*clf\s*2 versions/);
  await chooseFromContextMenu(page, modelRow, 'Deploy Registry Alias Locally (NAME@ALIAS)…');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'clf@champion' }).first().click();
  // 2. Built, started, behind its front proxy: the Deployments view says what serves the alias.
  const aliasRow = sidebarRow(/clf@champion → v2[\s\S]*container :\d+ · capture off/);
  await aliasRow.waitFor({ timeout: 300_000 });
  const port = /container :(\d+)/.exec(await aliasRow.innerText())[1];
  const endpoint = `http://127.0.0.1:${port}`;
  close(await infer(endpoint, x), logitsOf(versions.v2, x), 'v2');
  await aliasRow.hover();
  await shot('83-registry-alias-container');

  // 3. Roll Back champion from the registry page: confirmed, the CLI moves the alias and rolls the container
  //    blue/green behind the same port; the endpoint answers v1's logits.
  await page.locator('.tabs-container .tab', { hasText: 'Model Registry' }).click();
  const frame = webview();
  await frame.getByRole('button', { name: 'Roll back clf@champion to its previous version' }).click();
  await page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Roll Back' }).click();
  await sidebarRow(/clf@champion → v1[\s\S]*container :\d+/).waitFor({ timeout: 300_000 });
  assert.equal(/container :(\d+)/.exec(await sidebarRow(/clf@champion → v1/).innerText())[1], port, 'the endpoint keeps its port');
  close(await infer(endpoint, x), logitsOf(versions.v1, x), 'v1 after the rollback');
  const history = frame.getByRole('table', { name: 'Alias history of clf' });
  await history.locator('tbody tr').first().filter({ hasText: 'rollback' }).filter({ hasText: 'v2 → v1' }).waitFor({ timeout: 30_000 });
  await shot('84-registry-rolled-back');

  // 4. Stop it from the Deployments view: proxy and container go, and so does the row.
  await rowAction(sidebarRow(/clf@champion → v1/), 'Stop Registry Deployment');
  await sidebarRow(/clf@champion → v1/).waitFor({ state: 'detached', timeout: 60_000 });
  await assert.rejects(fetch(endpoint, { signal: AbortSignal.timeout(5_000) }), 'the endpoint is gone');
}
