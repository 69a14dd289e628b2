// The Runs view with every run source in one workspace, in the real workbench: two ML Workbench runs
// made with `mlw run` (Debian's python3 writing model.onnx, the second overwriting the first's), an
// MLflow file store (mlruns/), an MLflow SQLite store (mlflow.db), TensorBoard event files, and a team's
// tracking server (`mlw mlflow-server` over a folder of its own, connected through the palette with a
// token). Checks what a user checks: every run with its source and a metric, no Rename on read-only runs,
// Rename, Push to MLflow (then the server's REST API holds the run's params and metrics), and that Open Run
// Artifacts opens the first run's snapshot, not the file the second run wrote. Screenshots go to
// .test-artifacts/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { browserTestSkip, chooseFromContextMenu, openWorkbenchPage, runPaletteCommand, shots } from '../harness/browserSession.mjs';
import { repoRoot, startCodeServer } from '../harness/codeServer.mjs';
import { makeWorkspace } from '../harness/workspace.mjs';

const PYTHON = process.env.MLW_TEST_PYTHON ?? '/usr/bin/python3';
const MLW = join(repoRoot, 'dist', 'mlw.js');
/** Compiled by `npm run compile-tests` (npm test's pretest): writes mlflow.db from MLflow's schema with Python's sqlite3. */
const WRITE_MLFLOW_DB = join(repoRoot, 'out', 'test', 'support', 'writeMlflowDb.js');
const WRITE_TFEVENTS = join(repoRoot, 'test', 'fixtures', 'python', 'write_tfevents.py');
const TOKEN = 'team-token-7f3a';

function componentsSkip() {
  const missing = [];
  try {
    execFileSync(PYTHON, ['-c', 'import onnx, google.protobuf'], { stdio: 'ignore', timeout: 60_000 });
  } catch {
    missing.push(`${PYTHON} with onnx and protobuf (apt-get install python3-onnx python3-protobuf)`);
  }
  if (!existsSync(WRITE_MLFLOW_DB)) missing.push(`${WRITE_MLFLOW_DB} (npm run compile-tests)`);
  if (!existsSync(MLW)) missing.push(`${MLW} (npm run build)`);
  if (missing.length && process.env.CI === 'true') throw new Error(`CI=true and missing: ${missing.join(', ')}`);
  return missing.length ? `missing ${missing.join(', ')}` : false;
}

const skip = browserTestSkip() || componentsSkip();

// A training script that writes model.onnx (one Mul by the weight `--weight`: a different file per weight)
// and prints its loss and accuracy per epoch, which mlw records as printed scalars.
const TRAIN = `"""Writes model.onnx, y = x * weight, and prints a loss curve."""
import argparse
import onnx
from onnx import TensorProto, helper

p = argparse.ArgumentParser()
p.add_argument("--weight", type=float, default=1.0)
p.add_argument("--epochs", type=int, default=3)
a = p.parse_args()
for epoch in range(a.epochs):
    print(f"epoch={epoch} loss={1.0 / (epoch + 1 + a.weight):.4f} accuracy={0.5 + 0.1 * epoch:.2f}")
w = helper.make_tensor("weight", TensorProto.FLOAT, [1], [a.weight])
graph = helper.make_graph(
    [helper.make_node("Mul", ["x", "weight"], ["y"])],
    "scale",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    [w],
)
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), "model.onnx")
`;

let server;
let browser;
let page;
let workspace;
let teamWorkspace;
let mlflowServer;
/** {url, token} of the team's tracking server. */
let team;
/** ML Workbench runs by name, as `mlw run --json` printed them. */
const runs = new Map();

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
const put = (file, text) => {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
};

function train(ws, experiment, name, weight) {
  const args = [MLW, 'run', 'train.py', '--experiment', experiment, '--name', name, '--param', `weight=${weight}`, '--param', 'epochs=3'];
  args.push('--python', PYTHON, '--no-git', '--json');
  const out = execFileSync(process.execPath, args, { cwd: ws, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
  const run = JSON.parse(out);
  assert.equal(run.status, 'finished', `run ${name} should finish: ${out.slice(-500)}`);
  return run;
}

/** An MLflow file store as MLflow lays it out: experiment and run meta.yaml, params/, metrics/, tags/. */
function writeMlruns(ws) {
  const root = join(ws, 'mlruns');
  const experiment = (id, name) =>
    put(
      join(root, id, 'meta.yaml'),
      `artifact_location: file://${root}/${id}\ncreation_time: 1700000000000\nexperiment_id: '${id}'\nlast_update_time: 1700000000000\nlifecycle_stage: active\nname: ${name}\n`,
    );
  experiment('0', 'Default');
  experiment('7', 'filestore');
  const id = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  const dir = join(root, '7', id);
  put(
    join(dir, 'meta.yaml'),
    [
      `artifact_uri: file://${dir}/artifacts`,
      'end_time: 1700000060000',
      "entry_point_name: ''",
      "experiment_id: '7'",
      'lifecycle_stage: active',
      `run_id: ${id}`,
      'run_name: file-run',
      `run_uuid: ${id}`,
      "source_name: ''",
      'source_type: 4',
      "source_version: ''",
      'start_time: 1700000000000',
      'status: 3',
      'tags: []',
      'user_id: alice',
      '',
    ].join('\n'),
  );
  put(join(dir, 'params', 'lr'), '0.01');
  put(join(dir, 'metrics', 'loss'), '1700000001000 0.9 0\n1700000002000 0.5 1\n1700000003000 0.125 2\n');
  put(join(dir, 'tags', 'mlflow.runName'), 'file-run');
}

async function writeSqliteStore(ws) {
  const { writeMlflowDb } = await import(WRITE_MLFLOW_DB);
  writeMlflowDb(join(ws, 'mlflow.db'), {
    experiments: [
      { id: 0, name: 'Default' },
      { id: 1, name: 'sqlstore' },
    ],
    runs: [
      {
        id: 'b'.repeat(32),
        experimentId: 1,
        name: 'sqlite-run',
        status: 'FINISHED',
        start: 1700000000000,
        end: 1700000050000,
        params: { lr: '0.02' },
        metrics: [
          { key: 'loss', value: 0.8, timestamp: 1700000001000, step: 0 },
          { key: 'loss', value: 0.375, timestamp: 1700000002000, step: 1 },
        ],
      },
    ],
  });
}

/** A TensorBoard log folder: the file_version event, then a loss scalar (simple_value) per step. */
function writeTensorboard(ws) {
  const dir = join(ws, 'tb_logs', 'tb-run');
  mkdirSync(dir, { recursive: true });
  const events = [
    { wall_time: 1700000000, file_version: 'brain.Event:2' },
    ...[0.7, 0.4, 0.0625].map((value, step) => ({ wall_time: 1700000001 + step, step, scalars: [{ tag: 'loss', value }] })),
  ];
  const file = join(dir, 'events.out.tfevents.1700000000.host.1.0');
  const r = spawnSync(PYTHON, [WRITE_TFEVENTS, file], {
    input: JSON.stringify({ events, corrupt: [] }),
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `write_tfevents.py: ${r.stderr}`);
  // Logs written long ago: a file written in the last two minutes is a run still going.
  utimesSync(file, 1700000004, 1700000004);
}

/** `mlw mlflow-server` over `ws` on a free port; resolves with the {url, token} it prints once listening. */
function startTeamServer(ws) {
  const child = spawn(process.execPath, [MLW, 'mlflow-server', '--port', '0', '--token', TOKEN, '--json'], {
    cwd: ws,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const listening = new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve(JSON.parse(line)));
    child.once('exit', (code) => reject(new Error(`mlw mlflow-server exited with ${code}: ${err}`)));
    setTimeout(() => reject(new Error(`mlw mlflow-server did not start in 20 s: ${err}`)), 20_000).unref();
  });
  return { child, listening };
}

/** A call of the team server's REST API, with its token. */
async function api(path, body) {
  const r = await fetch(`${team.url}/api/2.0/mlflow/${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await r.json();
  assert.ok(r.ok, `${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

/** The server's runs of experiment `name` (none when the experiment does not exist yet). */
async function serverRuns(name) {
  const r = await fetch(`${team.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  if (r.status === 404) return [];
  const { experiment } = await r.json();
  return (await api('runs/search', { experiment_ids: [experiment.experiment_id], max_results: 100 })).runs ?? [];
}

before(async () => {
  if (skip) return;
  mkdirSync(shots, { recursive: true });
  workspace = makeWorkspace('browser-runs-sources', { models: false });
  teamWorkspace = makeWorkspace('browser-runs-sources-team', { models: false });
  for (const ws of [workspace, teamWorkspace]) writeFileSync(join(ws, 'train.py'), TRAIN);
  runs.set('first', train(workspace, 'scale', 'first', 1));
  runs.set('second', train(workspace, 'scale', 'second', 3));
  train(teamWorkspace, 'team', 'team-baseline', 2);
  writeMlruns(workspace);
  await writeSqliteStore(workspace);
  writeTensorboard(workspace);
  const started = startTeamServer(teamWorkspace);
  mlflowServer = started.child;
  team = await started.listening;
  // No hover tooltips: a run's tooltip, left open by the pointer, would take the next click.
  server = await startCodeServer({ workspace, name: 'browser-runs-sources', settings: { 'workbench.hover.delay': 600_000 } });
  ({ browser, page } = await openWorkbenchPage(server));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  mlflowServer?.kill('SIGTERM');
});

const sidebar = () => page.locator('.part.sidebar');
const row = (name) =>
  sidebar()
    .getByRole('treeitem')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) });

/**
 * Collapses the Models and Deployments views and widens the sidebar, so every row of the Runs view is
 * drawn (its tree draws only the rows in view) and the descriptions are not cut off.
 */
async function giveRunsTheSidebar() {
  for (const view of ['Models', 'Deployments']) {
    const header = sidebar().locator('.pane-header', { has: page.locator('h3.title', { hasText: new RegExp(`^${view}$`) }) });
    if ((await header.getAttribute('aria-expanded')) === 'true') await header.click();
    await sidebar().locator('.pane-header[aria-expanded="false"]', { hasText: view }).waitFor({ timeout: 10_000 });
  }
  const box = await sidebar().boundingBox();
  await page.mouse.move(box.x + box.width + 1, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(720, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
}

/** The quick input titled `title` (an input box or a pick), once it shows. */
async function quickInput(title) {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ timeout: 10_000 });
  return page.locator('.quick-input-widget .quick-input-box input');
}

/** Answers the quick input titled `title` with `text`. */
async function answerInput(title, text) {
  const input = await quickInput(title);
  await input.fill(text);
  await page.keyboard.press('Enter');
}

/** The entries of the open context menu (not the menu bar's). */
const contextMenuItems = () => page.locator('.context-view .monaco-menu').getByRole('menuitem');

/** The entries of the context menu of `target`, then closes it. */
async function contextMenu(target) {
  await target.click({ button: 'right' });
  const items = contextMenuItems();
  await items.first().waitFor({ timeout: 10_000 });
  const names = (await items.allInnerTexts()).map((t) => t.split('\n')[0].trim()).filter(Boolean);
  return names;
}

async function closeMenu() {
  await page.keyboard.press('Escape');
  await contextMenuItems().first().waitFor({ state: 'hidden', timeout: 5_000 });
}

test(
  'the Runs view lists the runs of every source side by side, each with its source and a metric',
  { skip, timeout: 120_000 },
  async () => {
    await page.locator('.activitybar [aria-label^="ML Workbench"]').first().click();
    await row('first').waitFor({ timeout: 60_000 });
    await giveRunsTheSidebar();
    // The team's server, connected as a user does: the palette, its URL, then "Token" and the token.
    await runPaletteCommand(page, 'Connect to MLflow Tracking Server');
    await answerInput('Connect to MLflow Tracking Server', team.url);
    await answerInput(`How does ${team.url} authenticate?`, 'Token');
    await answerInput(`Token for ${team.url}`, TOKEN);
    const host = new URL(team.url).host;
    const teamGroup = row(`team (MLflow server ${host})`);
    await teamGroup.waitFor({ timeout: 30_000 });
    await teamGroup.click(); // server groups open on demand: the runs are read when expanded
    await row('team-baseline').waitFor({ timeout: 30_000 });

    // [experiment group, run, source label in the description (none for ML Workbench's own), its last loss]
    const expected = [
      ['scale', 'first', '', runs.get('first').metrics.loss.last],
      ['scale', 'second', '', runs.get('second').metrics.loss.last],
      ['filestore (MLflow file store)', 'file-run', 'MLflow (file store)', 0.125],
      ['sqlstore (MLflow SQLite)', 'sqlite-run', 'MLflow (SQLite)', 0.375],
      ['tb_logs (TensorBoard)', 'tb-run', 'TensorBoard', 0.0625],
      [`team (MLflow server ${host})`, 'team-baseline', 'MLflow (server)', 0.2],
    ];
    for (const [group, name, label, loss] of expected) {
      await row(group).waitFor({ timeout: 30_000 });
      const r = row(name);
      await r.waitFor({ timeout: 30_000 });
      const description = (await r.locator('.label-description').innerText()).trim();
      const shown = Number(/loss ([\d.]+)/.exec(description)?.[1]);
      assert.ok(Math.abs(shown - loss) < 1e-3, `${name} shows its last loss ${loss}: "${description}"`);
      if (label) assert.ok(description.endsWith(`· ${label}`), `${name} says where it comes from (${label}): "${description}"`);
      else assert.doesNotMatch(description, /MLflow|TensorBoard/, `${name}, ML Workbench's own, carries no other source: "${description}"`);
    }
    await page.screenshot({ path: join(shots, '36-runs-all-sources.png') });
  },
);

test('read-only MLflow and TensorBoard runs offer no Rename; ML Workbench runs do', { skip, timeout: 60_000 }, async () => {
  for (const name of ['file-run', 'sqlite-run', 'tb-run']) {
    const items = await contextMenu(row(name));
    assert.ok(items.includes('Open Run Dashboard'), `${name}: ${items.join(', ')}`);
    for (const editing of ['Rename Run…', 'Edit Run Tags…', 'Delete Run'])
      assert.ok(!items.includes(editing), `${name}, read-only, offers no ${editing}: ${items.join(', ')}`);
    if (name === 'file-run') await page.screenshot({ path: join(shots, '36-runs-readonly-menu.png') });
    await closeMenu();
  }
  const items = await contextMenu(row('first'));
  for (const entry of ['Rename Run…', 'Push Run to MLflow', 'Open Run Artifacts'])
    assert.ok(items.includes(entry), `first offers ${entry}: ${items.join(', ')}`);
  await closeMenu();
});

test('Rename Run… renames an ML Workbench run in the view and in its store', { skip, timeout: 60_000 }, async () => {
  const { id } = runs.get('second');
  await chooseFromContextMenu(page, row('second'), 'Rename Run…');
  const input = await quickInput('Rename run second');
  assert.equal(await input.inputValue(), 'second', 'the input box starts from the current name');
  await answerInput('Rename run second', 'second-heavier');
  await row('second-heavier').waitFor({ timeout: 30_000 });
  assert.equal(await row('second').count(), 0, 'the old name is gone from the view');
  // run.json stays as the run wrote it; the edit lives in meta.json beside it, which every reader applies.
  const dir = join(workspace, '.mlw', 'runs', id);
  assert.equal(JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')).name, 'second-heavier');
  assert.equal(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).name, 'second');
  const shown = JSON.parse(execFileSync(process.execPath, [MLW, 'runs', 'show', id, '--json'], { cwd: workspace, encoding: 'utf8' }));
  assert.equal(shown.name, 'second-heavier', 'mlw runs show reports the new name');
  await page.screenshot({ path: join(shots, '37-runs-renamed.png') });
});

test(
  "Open Run Artifacts opens the first run's snapshot of model.onnx, not the file the second run wrote",
  { skip, timeout: 90_000 },
  async () => {
    const first = runs.get('first');
    const second = runs.get('second');
    const [a] = first.artifacts;
    const [b] = second.artifacts;
    assert.equal(a.path, 'model.onnx');
    assert.equal(b.path, 'model.onnx');
    assert.notEqual(a.sha256, b.sha256, 'the two runs wrote different models');
    assert.equal(sha256(join(workspace, 'model.onnx')), b.sha256, "the workspace's model.onnx is the second run's");
    // Both blobs are in the content-addressed store.
    for (const x of [a, b]) {
      assert.ok(x.stored.startsWith('.mlw/'), x.stored);
      assert.equal(sha256(join(workspace, x.stored)), x.sha256, `${x.stored} holds its bytes`);
    }
    const blobs = readdirSync(join(workspace, '.mlw', 'blobs', 'sha256'), { recursive: true }).filter((f) => f.endsWith('.onnx'));
    assert.equal(blobs.length, 2, `two blobs: ${blobs.join(', ')}`);

    await chooseFromContextMenu(page, row('first'), 'Open Run Artifacts');
    await quickInput('Artifacts of first');
    const item = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'model.onnx' }).first();
    await item.waitFor({ timeout: 10_000 });
    const text = await item.innerText();
    assert.match(text, /snapshot/, `the item says it is the run's snapshot: ${text}`);
    assert.ok(text.includes(`sha256 ${a.sha256.slice(0, 12)}`), `the first run's sha256: ${text}`);
    assert.ok(!text.includes(b.sha256.slice(0, 12)), `not the second run's: ${text}`);
    await page.screenshot({ path: join(shots, '38-run-artifacts-pick.png') });
    await item.click();

    // The model opens in the inspector from the first run's snapshot; its bytes are the first run's.
    await page.locator('.tabs-container .tab', { hasText: 'model.onnx' }).waitFor({ timeout: 30_000 });
    const frame = page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
    const pathShown = frame.locator('p.muted.mono').first();
    await pathShown.waitFor({ timeout: 60_000 });
    const opened = (await pathShown.innerText()).trim();
    assert.ok(opened.includes(join('.mlw', 'runs', first.id)), `opened from the first run's folder: ${opened}`);
    assert.notEqual(opened, join(workspace, 'model.onnx'));
    assert.equal(sha256(opened), a.sha256, "the opened file holds the first run's model");
    await page.screenshot({ path: join(shots, '38-run-artifact-snapshot.png') });
  },
);

test('Push Run to MLflow sends an ML Workbench run to the team server, which then lists it', { skip, timeout: 90_000 }, async () => {
  const local = runs.get('first');
  assert.deepEqual(await serverRuns('scale'), [], 'the server has no run of experiment scale before the push');
  await chooseFromContextMenu(page, row('first'), 'Push Run to MLflow');
  let pushed = [];
  for (let i = 0; i < 100 && !(pushed.length && pushed[0].info.status === 'FINISHED'); i++, await page.waitForTimeout(200))
    pushed = await serverRuns('scale');
  assert.equal(pushed.length, 1, `one run on the server: ${JSON.stringify(pushed)}`);
  const remote = (await api(`runs/get?run_id=${pushed[0].info.run_id}`)).run;
  assert.equal(remote.info.run_name, 'first');
  assert.equal(remote.info.status, 'FINISHED');
  const params = Object.fromEntries(remote.data.params.map((p) => [p.key, p.value]));
  assert.deepEqual(params, Object.fromEntries(Object.entries(local.params).map(([k, v]) => [k, String(v)])));
  const metrics = Object.fromEntries((remote.data.metrics ?? []).map((m) => [m.key, m.value]));
  assert.deepEqual(Object.keys(metrics).sort(), Object.keys(local.metrics).sort());
  for (const [key, m] of Object.entries(local.metrics)) assert.equal(metrics[key], m.last, `${key} on the server`);
  const history = await api(`metrics/get-history?run_id=${remote.info.run_id}&metric_key=loss`);
  assert.equal(history.metrics.length, local.metrics.loss.count, 'the whole loss history was pushed');

  // The view's server group of that experiment shows it, with its source.
  const group = row(`scale (MLflow server ${new URL(team.url).host})`);
  await group.waitFor({ timeout: 30_000 });
  await group.click();
  const onServer = row('first').filter({ has: page.locator('.label-description', { hasText: 'MLflow (server)' }) });
  await onServer.waitFor({ timeout: 30_000 });
  const description = await onServer.locator('.label-description').innerText();
  assert.match(description, new RegExp(`loss ${local.metrics.loss.last}\\b.* · MLflow \\(server\\)$`), description);
  await page.screenshot({ path: join(shots, '39-runs-pushed.png') });
});
