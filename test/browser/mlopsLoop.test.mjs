// The MLOps loop in the real workbench (code-server + Chromium) on a real Docker engine (issue 16), as a user walks
// it: a tabular-classifier project from the template, a champion trained with the system Python (torch) and
// registered, a drift reference profile from its training features; `mlw deploy local clf@champion --capture 1`
// puts it in a container behind a stable endpoint, and the Deployments view says it captures. Drifted traffic (rows
// of the held-out split with four features doubled, each with an OIP request id) raises the drift warning; the labels
// of those ids arrive later in ground-truth.jsonl. The warning's Retrain on Recent Data reruns the champion's training
// with the labelled captures, registers the candidate as challenger and evaluates both on the same held-out captured
// rows. Promote… with a gate it cannot pass
// is refused with the gate's numbers; with "accuracy > champion + 0.01" Promote to Champion… passes and the container
// rolls blue/green under a steady load generator with zero failed requests, the endpoint now answering the
// challenger's outputs (computed here with onnxruntime-node from the registered file); a rollback brings the
// champion's outputs back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserTestSkip, openWorkbenchPage, runPaletteCommand, shots, widenSidebar } from '../harness/browserSession.mjs';
import { repoRoot, startCodeServer } from '../harness/codeServer.mjs';
import { dockerEngineMissing, engineRequest, startDockerEngine } from '../harness/dockerEngine.mjs';

const PYTHON = process.env.MLW_TEST_PYTHON ?? '/usr/bin/python3';
const MLW = join(repoRoot, 'dist', 'mlw.js');

function skipReason() {
  const browser = browserTestSkip();
  if (browser) return browser;
  const missing = [
    dockerEngineMissing({ needRegistry: false }),
    spawnSync(PYTHON, ['-c', 'import torch, sklearn, onnx, yaml'], { stdio: 'ignore' }).status !== 0 &&
      `${PYTHON} with torch, sklearn, onnx and yaml (apt-get install python3-torch python3-sklearn python3-onnx python3-yaml)`,
  ].filter(Boolean);
  if (missing.length && process.env.CI === 'true') throw new Error(`CI=true and missing ${missing.join('; ')}`);
  return missing.length ? `missing ${missing.join('; ')}` : false;
}

const skip = skipReason();
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

let engine;
let server;
let browser;
let page;
let parent;
let project;
let deployed = false;
/** The champion's run, its held-out rows (x, y) as the template splits them. */
let championRun;
let heldout;

/** Runs the built CLI in the project without blocking this event loop (the load generator keeps going). */
function mlw(args, timeoutMs = 240_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MLW, '--workspace', project, ...args], {
      cwd: project,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DOCKER_HOST: engine.dockerHost },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mlw ${args.join(' ')} did not finish within ${timeoutMs} ms\n${out}\n${err}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

async function mlwOk(args, timeoutMs) {
  const r = await mlw(args, timeoutMs);
  assert.equal(r.code, 0, `mlw ${args.join(' ')} exited ${r.code}\n${r.out}\n${r.err}`);
  return r.out;
}

/** Trains the template's classifier as a tracked run with the system Python; returns the run record. */
async function train(params) {
  const out = await mlwOk(['run', 'train.py', '--python', PYTHON, '--no-git', '--json', ...params.flatMap((p) => ['--param', p])]);
  const run = JSON.parse(out);
  assert.equal(run.status, 'finished', out);
  return run;
}

before(async () => {
  if (skip) return;
  mkdirSync(shots, { recursive: true });
  engine = await startDockerEngine({ needRegistry: false });
  process.env.DOCKER_HOST = engine.dockerHost; // code-server and the extension host inherit it
  // Outside the checkout (a git repository): the project gets its own git init from mlw new.
  parent = mkdtempSync(join(tmpdir(), 'mlw-mlops-'));
  project = join(parent, 'clf');
  const created = spawnSync(process.execPath, [MLW, 'new', 'tabular-classifier', project, '--python', PYTHON], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(created.status, 0, created.stderr);
  mkdirSync(join(project, '.vscode'), { recursive: true });
  // The test engine cannot pull the default base image: images are built FROM the locally imported one. The
  // project's interpreter is the system Python (torch), as a user sets it.
  writeFileSync(
    join(project, '.vscode', 'settings.json'),
    JSON.stringify({ 'mlWorkbench.docker.baseImage': engine.baseImage, 'mlWorkbench.pythonPath': PYTHON }, null, 2),
  );
  // The template's own split: training features for the reference profile, the held-out rows for traffic.
  const split = spawnSync(
    PYTHON,
    [
      '-c',
      [
        'import json, numpy as np',
        'from data import load_data',
        'd = load_data()',
        'np.save("reference.npy", d.x_train.astype(np.float32))',
        'json.dump({"x": d.x_test.tolist(), "y": d.y_test.astype(int).tolist()}, open("heldout.json", "w"))',
      ].join('\n'),
    ],
    { cwd: project, encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(split.status, 0, split.stderr);
  heldout = JSON.parse(readFileSync(join(project, 'heldout.json'), 'utf8'));
  server = await startCodeServer({ workspace: project, name: 'browser-mlops-loop' });
  ({ browser, page } = await openWorkbenchPage(server));
});

after(async () => {
  if (deployed) await mlw(['deploy', 'stop', 'clf@champion'], 60_000).catch(() => undefined);
  await browser?.close();
  await server?.stop();
  await engine?.stop();
  if (parent) rmSync(parent, { recursive: true, force: true });
});

const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`) });
const sidebarRow = (text) => page.locator('.part.sidebar [role="treeitem"]', { hasText: text }).first();
const runCommand = (title) => runPaletteCommand(page, title);

/** The notification with `text` in the notification centre (toasts are hidden under the smoke-test driver). */
async function notification(text, timeout = 60_000) {
  const center = page.locator('.notifications-center');
  const item = center.locator('.notification-list-item', { hasText: text }).first();
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (!(await center.isVisible())) await runCommand('Notifications: Show Notifications').catch(() => undefined);
    if (await item.isVisible()) return item;
    await page.waitForTimeout(500);
  }
  const shown = (await center.isVisible()) ? await center.locator('.notification-list-item').allInnerTexts() : ['(closed)'];
  throw new Error(`no notification matching ${text} within ${timeout} ms; the centre shows: ${JSON.stringify(shown)}`);
}

/** Waits until `read()` satisfies `ok`, polling; fails with the last value. */
async function until(what, read, ok, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}

/** Held-out rows as production would send them after the drift: features 0-3 (radius, texture, perimeter, area) x2. */
const DRIFTED = [0, 1, 2, 3];
const drift = (row) => row.map((v, i) => (DRIFTED.includes(i) ? v * 2 : v));

async function infer(endpoint, rows, id) {
  const res = await fetch(`${endpoint}/v2/models/clf/infer`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      ...(id ? { id } : {}),
      inputs: [{ name: 'features', shape: [rows.length, rows[0].length], datatype: 'FP32', data: rows.flat() }],
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const json = await res.json();
  return { status: res.status, data: json.outputs?.[0]?.data, error: json.error };
}

/** The probabilities a registered version's file gives for `rows`, with in-process onnxruntime-node. */
async function expectedOutputs(version, rows) {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(join(project, version.path));
  const r = await session.run({ features: new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, rows[0].length]) });
  const out = Array.from(r.probability.data);
  await session.release();
  return out;
}
const close = (a, b) => !!a && a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) < 1e-4);

/** Requests at a steady rate (one every `everyMs`, not waiting for answers) until stopped; every answer recorded. */
function loadGenerator(endpoint, rows, everyMs = 40) {
  const answers = [];
  const inflight = new Set();
  const timer = setInterval(() => {
    const at = Date.now();
    const p = infer(endpoint, rows).then(
      (a) => answers.push({ at, done: Date.now(), ...a }),
      (e) => answers.push({ at, done: Date.now(), status: 0, error: e.message }),
    );
    inflight.add(p);
    p.finally(() => inflight.delete(p));
  }, everyMs);
  return {
    answers,
    async stop() {
      clearInterval(timer);
      await Promise.all([...inflight]);
    },
  };
}

/** The engine's start and die events of containers since `since` (ms), in order. */
async function containerEvents(since) {
  const filters = encodeURIComponent(JSON.stringify({ type: ['container'], event: ['start', 'die'] }));
  const until = Math.ceil(Date.now() / 1000) + 1;
  const r = await engineRequest(engine.socketPath, 'GET', `/events?since=${Math.floor(since / 1000)}&until=${until}&filters=${filters}`);
  return r.body
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .map((e) => ({
      action: e.Action,
      id: e.Actor?.ID ?? e.id,
      name: e.Actor?.Attributes?.name,
      image: e.Actor?.Attributes?.image,
      ns: BigInt(e.timeNano),
    }));
}

const registry = () => JSON.parse(readFileSync(join(project, '.mlw', 'registry', 'clf.json'), 'utf8'));

test(
  'the MLOps loop: champion, deploy @champion with capture, drift, challenger, gates, blue/green promotion under load, rollback',
  { skip, timeout: 900_000 },
  async () => {
    try {
      await loop();
    } catch (e) {
      await shot('99-mlops-failure').catch(() => undefined);
      throw e;
    }
  },
);

async function loop() {
  // 1. The champion: a short training (2 epochs), registered from its run as champion (no gates yet), and the
  //    drift reference profile of its training features beside the model the run wrote.
  championRun = await train(['epochs=2']);
  const registered = await mlwOk(['registry', 'register', '--run', championRun.id, '--name', 'clf', '--alias', 'champion']);
  assert.match(registered, /clf@champion -> version 1/);
  await mlwOk(['profile', 'reference.npy', '-o', 'model.profile.json']);
  console.log(`champion v1 (accuracy ${registry().versions[0].metrics.accuracy.toFixed(3)}) registered at ${elapsed()}`);

  // 2. Deploy clf@champion on the engine with every request captured; the Deployments view shows it capturing.
  const deploy = JSON.parse(await mlwOk(['deploy', 'local', 'clf@champion', '--capture', '1', '--base-image', engine.baseImage, '--json']));
  deployed = true;
  const endpoint = deploy.endpoint;
  assert.deepEqual([deploy.to.version, deploy.to.image], [1, 'clf:v1']);
  console.log(`clf@champion serves at ${endpoint} (${elapsed()})`);
  await page.locator('.activitybar [aria-label^="ML Workbench"]').first().click();
  await widenSidebar(page);
  const v1Row = sidebarRow(/healthy · clf:v1 · :\d+ · capturing 100 %/);
  await v1Row.waitFor({ timeout: 90_000 });
  // The alias's row names the endpoint clients use (the front proxy's port, stable across rolls).
  const frontPort = new URL(endpoint).port;
  const aliasRow = (version) => sidebarRow(new RegExp(`clf@champion → v${version}\\s*container :${frontPort} · capturing 100 %`));
  await aliasRow(1).waitFor({ timeout: 30_000 });
  await page.mouse.move(1000, 820);
  await shot('90-mlops-deployed-capturing');

  // 3. Drifted traffic through the stable endpoint, one request per held-out row with its id: the workbench watches
  //    the container's drift (no monitor open) and the warning comes up.
  const ids = heldout.x.map((_, i) => `heldout-${i}`);
  for (let i = 0; i < heldout.x.length; i++) {
    const a = await infer(endpoint, [drift(heldout.x[i])], ids[i]);
    assert.equal(a.status, 200, a.error);
  }
  const warning = await notification('Input drift on model clf', 90_000);
  const warningText = await warning.innerText();
  assert.match(warningText, /PSI \d+\.\d\d > 0\.2/);
  assert.match(warningText, /Open Monitor/);
  assert.match(warningText, /Retrain on Recent Data/);
  await shot('91-mlops-drift-warning');
  // Every drifted request was captured with its id; the labels arrive later, as in production.
  const captures = join(project, '.mlw', 'captures', 'clf');
  const capturedIds = await until(
    'every drifted request in the capture',
    () =>
      readdirSync(captures)
        .filter((f) => f.endsWith('.jsonl') && f !== 'ground-truth.jsonl')
        .flatMap((f) => readFileSync(join(captures, f), 'utf8').split('\n').filter(Boolean))
        .map((l) => JSON.parse(l).id),
    (got) => ids.every((id) => got.includes(id)),
  );
  console.log(`${capturedIds.length} captured requests, drift warning at ${elapsed()}`);
  writeFileSync(join(captures, 'ground-truth.jsonl'), ids.map((id, i) => JSON.stringify({ id, label: heldout.y[i] })).join('\n') + '\n');

  // 4. Retrain on Recent Data from the warning: the champion's run again with the labelled captures, the candidate
  //    registered as challenger, both evaluated on the same held-out captured rows.
  writeFileSync(join(project, 'mlw.yaml'), 'registry:\n  clf:\n    gates: ["accuracy >= 0.999"]\n'); // one it cannot pass
  await warning.locator('.monaco-button', { hasText: 'Retrain on Recent Data' }).click();
  const retrained = await notification(/clf v2 registered as challenger/, 300_000);
  const retrainText = (await retrained.innerText()).replace(/\s+/g, ' ');
  assert.match(
    retrainText,
    /clf v2 registered as challenger: accuracy \d\.\d+ vs champion v1 \d\.\d+ on the same \d+ held-out captured rows\./,
  );
  assert.match(retrainText, /Promote…/);
  assert.match(retrainText, /Show Run/);
  await shot('92-mlops-retrained');
  const [champion, challenger] = registry().versions;
  assert.equal(registry().aliases.challenger, 2);
  const onHoldout = (v) => v.evaluations.at(-1).metrics;
  assert.equal(challenger.evaluations.at(-1).data.sha256, champion.evaluations.at(-1).data.sha256, 'evaluated on the same rows');
  assert.ok(onHoldout(challenger).accuracy > onHoldout(champion).accuracy + 0.01, 'the candidate beats the champion on the drifted rows');
  const said = `accuracy ${onHoldout(challenger).accuracy.toFixed(2)} vs champion v1 ${onHoldout(champion).accuracy.toFixed(2)} on the same ${onHoldout(challenger).rows} held-out`;
  assert.ok(retrainText.includes(said), `the message says the recorded evaluations (${said}): ${retrainText}`);
  console.log(
    `challenger v2 accuracy ${onHoldout(challenger).accuracy.toFixed(3)} vs champion v1 ${onHoldout(champion).accuracy.toFixed(3)} on ${onHoldout(challenger).rows} held-out captured rows (${elapsed()})`,
  );

  // 5. The gate it cannot pass: Promote… is refused in a modal that lists it with its numbers.
  const clfRow = sidebarRow(/^\s*clf\s*2 versions/); // the Models view follows .mlw/registry/
  await clfRow.waitFor({ timeout: 30_000 });
  if ((await clfRow.getAttribute('aria-expanded')) !== 'true') await clfRow.locator('.monaco-tl-twistie').click();
  const v2Row = sidebarRow(/^\s*v2\s*challenger/);
  await v2Row.waitFor({ timeout: 30_000 });
  const promote = async () => {
    await v2Row.hover();
    await v2Row.locator('.action-label[aria-label^="Promote to Champion"]').click();
  };
  await retrained.locator('.monaco-button', { hasText: 'Promote…' }).click();
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 30_000 });
  const refusal = (await dialog.innerText()).replace(/\s+/g, ' ');
  assert.match(refusal, /clf v2 was not promoted: 1 of 1 gates failed/);
  const shown = String(Number(challenger.metrics.accuracy.toPrecision(6)));
  assert.ok(refusal.includes(`accuracy >= 0.999: accuracy ${shown} < 0.999`), `the failed gate with its numbers: ${refusal}`);
  await shot('93-mlops-gate-refused');
  await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
  await runCommand('Notifications: Clear All Notifications');
  assert.equal(registry().aliases.champion, 1, 'a refused promotion moves nothing');

  // 6. The gate it passes, and the promotion for real with a steady load on the endpoint: the container rolls
  //    blue/green (the new one started before the old one dies), no request fails, the answers become v2's.
  writeFileSync(join(project, 'mlw.yaml'), 'registry:\n  clf:\n    gates: ["accuracy > champion + 0.01"]\n');
  const probe = [heldout.x[0], drift(heldout.x[1])];
  const [e1, e2] = [await expectedOutputs(champion, probe), await expectedOutputs(challenger, probe)];
  assert.ok(!close(e1, e2), 'champion and challenger must answer differently');
  assert.ok(close((await infer(endpoint, probe)).data, e1), 'before the promotion the endpoint answers with v1');
  const load = loadGenerator(endpoint, probe);
  const promotedAt = Date.now();
  await promote();
  const promoted = await notification('clf v2 is now champion', 240_000);
  const promotedText = (await promoted.innerText()).replace(/\s+/g, ' ');
  assert.match(promotedText, /\(was v1\): all 1 gates passed\. Rolled http:\/\/127\.0\.0\.1:\d+ to v2\./);
  const v2Container = sidebarRow(/healthy · clf:v2 · :\d+ · capturing 100 %/);
  await v2Container.waitFor({ timeout: 60_000 });
  await until(
    'the old container gone from the view',
    () => sidebarRow('clf:v1').count(),
    (n) => n === 0,
    30_000,
  );
  await aliasRow(2).waitFor({ timeout: 30_000 });
  await until(
    'the answers of v2',
    async () => (await infer(endpoint, probe)).data,
    (d) => close(d, e2),
  );
  await new Promise((r) => setTimeout(r, 1000)); // a last second of load on the new container
  await load.stop();
  await runCommand('Notifications: Clear All Notifications');
  await page.mouse.move(1000, 820);
  await shot('94-mlops-deployments-after-roll');
  const failed = load.answers.filter((a) => a.status !== 200);
  assert.equal(failed.length, 0, `failed requests during the roll: ${JSON.stringify(failed.slice(0, 3))}`);
  assert.ok(load.answers.length > 50, `only ${load.answers.length} requests were sent during the roll`);
  for (const a of load.answers) assert.ok(close(a.data, e1) || close(a.data, e2), `an answer of neither version: ${a.data}`);
  assert.ok(close(load.answers.at(-1).data, e2), 'after the promotion the endpoint answers with v2');
  const events = await containerEvents(promotedAt - 2000);
  const started = events.find((e) => e.action === 'start' && e.image === 'clf:v2');
  const died = events.find((e) => e.action === 'die' && e.image === 'clf:v1');
  assert.ok(started && died, `the engine saw clf:v2 start and clf:v1 die: ${events.map((e) => `${e.action} ${e.image}`).join(', ')}`);
  assert.ok(started.ns < died.ns, 'the new container started before the old one stopped');
  // A request sent before the old container died was answered by the new one: the proxy had switched to it first.
  const firstV2 = load.answers.filter((a) => close(a.data, e2)).sort((a, b) => a.at - b.at)[0];
  assert.ok(firstV2.at < Number(died.ns / 1_000_000n), 'the new container served the endpoint before the old one stopped');
  const ms = load.answers.map((a) => a.done - a.at).sort((a, b) => a - b);
  console.log(
    `promotion under load: ${load.answers.length} requests, 0 failed; v2 started ${(died.ns - started.ns) / 1_000_000n} ms and served ${Number(died.ns / 1_000_000n) - firstV2.at} ms before v1 died; latency p50 ${ms[Math.floor(ms.length / 2)]} ms, p99 ${ms[Math.floor(ms.length * 0.99)]} ms, max ${ms.at(-1)} ms (${elapsed()})`,
  );

  // 7. Roll back: champion is v1 again, and the endpoint answers with v1's outputs, still with no failed request.
  const backLoad = loadGenerator(endpoint, probe);
  const back = await mlwOk(['registry', 'rollback', 'clf']);
  assert.match(back, /clf@champion -> version 1 \(rolled back from 2\)/);
  assert.match(back, /rolled http:\/\/127\.0\.0\.1:\d+: clf@champion version 2 -> 1 .*blue\/green/);
  await until(
    'the answers of v1 again',
    async () => (await infer(endpoint, probe)).data,
    (d) => close(d, e1),
  );
  await backLoad.stop();
  assert.equal(backLoad.answers.filter((a) => a.status !== 200).length, 0, 'no failed request during the rollback');
  await sidebarRow(/healthy · clf:v1 · :\d+ · capturing 100 %/).waitFor({ timeout: 60_000 });
  await aliasRow(1).waitFor({ timeout: 30_000 });
  assert.equal(registry().aliases.champion, 1);
  console.log(`rolled back with ${backLoad.answers.length} requests, 0 failed (${elapsed()})`);
  assert.ok(existsSync(join(project, '.mlw', 'deployments')), 'the deployment record is kept while it serves');
}
