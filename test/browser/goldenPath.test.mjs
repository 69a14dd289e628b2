// The golden path in the real workbench (code-server + Chromium), as a new user walks it: New ML
// Project from the empty Runs view (template, folder typed into the simple file dialog, name,
// interpreter), open the project, run its training as an experiment, see the run finish in the Runs
// view, open its dashboard with the metrics charted, find model.onnx in the Models view and open the
// inspector, serve the model and send test requests, containerize it on a real Docker engine when
// that feature and engine are here, run a second training with other params and compare the two runs.
// Then create and train the other three templates in the same session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserTestSkip, chooseFromContextMenu, openWorkbenchPage, runPaletteCommand, shots } from '../harness/browserSession.mjs';
import { startCodeServer, artifactsDir, repoRoot } from '../harness/codeServer.mjs';

const PYTHON = process.env.MLW_TEST_PYTHON ?? '/usr/bin/python3';

function pythonSkip() {
  const missing = existsSync(PYTHON) ? undefined : `${PYTHON} (apt-get install python3-torch python3-sklearn python3-onnx)`;
  if (missing && process.env.CI === 'true') throw new Error(`CI=true and missing ${missing}`);
  return missing ? `missing ${missing}` : false;
}
const skip = browserTestSkip() || pythonSkip();

/** Containerizing needs another feature (mlWorkbench.containerizeModel) and a real engine: both optional here. */
async function containerizeSupport() {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  if (!pkg.contributes.commands.some((c) => c.command === 'mlWorkbench.containerizeModel'))
    return { reason: 'the command mlWorkbench.containerizeModel is not contributed' };
  if (!existsSync(join(repoRoot, 'test', 'harness', 'dockerEngine.mjs'))) return { reason: 'test/harness/dockerEngine.mjs is missing' };
  const docker = await import('../harness/dockerEngine.mjs');
  const missing = docker.dockerEngineMissing({ needRegistry: false });
  if (missing) {
    if (process.env.CI === 'true') throw new Error(`CI=true and ${missing}`);
    return { reason: missing };
  }
  return { docker };
}

let server;
let browser;
let page;
let engine;
let containerize;
/** Projects go outside any git repository (the checkout is one), so each gets its own git init. */
let parent;
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`) });

before(async () => {
  if (skip) return;
  mkdirSync(shots, { recursive: true });
  containerize = await containerizeSupport();
  const settings = {};
  if (containerize.docker) {
    engine = await containerize.docker.startDockerEngine({ needRegistry: false });
    process.env.DOCKER_HOST = engine.dockerHost; // code-server and the extension host inherit it
    settings['mlWorkbench.docker.baseImage'] = engine.baseImage; // no image can be pulled here
  } else {
    console.log(`golden path: the containerize step will be skipped: ${containerize.reason}`);
  }
  parent = mkdtempSync(join(tmpdir(), 'mlw-golden-'));
  const start = join(artifactsDir, 'workspaces', 'golden-start');
  rmSync(start, { recursive: true, force: true });
  mkdirSync(start, { recursive: true });
  server = await startCodeServer({ workspace: start, name: 'golden-path', settings });
  ({ browser, page } = await openWorkbenchPage(server));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await engine?.stop();
  if (parent) rmSync(parent, { recursive: true, force: true });
});

const quickInput = () => page.locator('.quick-input-widget');
const quickRow = (text) => quickInput().locator('.monaco-list-row', { hasText: text }).first();
const sidebarRow = (text) => page.locator('.part.sidebar [role="treeitem"]', { hasText: text }).first();
const webview = () => page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');

const runCommand = (title) => runPaletteCommand(page, title);

/** Shows the ML Workbench side bar (a click on its icon while it is shown would hide it). */
async function showMlWorkbench() {
  const runsHeader = page.locator('.part.sidebar .pane-header', { hasText: 'Runs' }).first();
  const icon = page.locator('.activitybar [aria-label^="ML Workbench"]').first();
  await icon.waitFor({ timeout: 60_000 });
  if (!(await runsHeader.isVisible())) await icon.click();
  await runsHeader.waitFor({ timeout: 30_000 });
}

/**
 * The notification with `text` in the notification centre (toasts are hidden under the smoke-test
 * driver). The centre is (re)opened while waiting: an editor opening at the same moment can close it.
 */
async function notification(text, timeout = 60_000) {
  const center = page.locator('.notifications-center');
  const item = center.locator('.notification-list-item', { hasText: text }).first();
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (!(await center.isVisible())) await runCommand('Notifications: Show Notifications').catch(() => undefined);
    if (await item.isVisible()) return item;
    await page.waitForTimeout(500);
  }
  await shot('zz-golden-notification-timeout');
  const shown = (await center.isVisible()) ? await center.locator('.notification-list-item').allInnerTexts() : ['(the centre is closed)'];
  throw new Error(`no notification matching ${text} within ${timeout} ms; the centre shows: ${JSON.stringify(shown)}`);
}

async function clearNotifications() {
  await runCommand('Notifications: Clear All Notifications');
}

/** Polls the project's run store until `count` runs have ended; fails at once on a failed run. */
async function waitForRuns(dir, count, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const root = join(dir, '.mlw', 'runs');
    const runs = existsSync(root)
      ? readdirSync(root)
          .filter((n) => existsSync(join(root, n, 'run.json')))
          .map((n) => JSON.parse(readFileSync(join(root, n, 'run.json'), 'utf8')))
      : [];
    const failed = runs.find((r) => r.status === 'failed');
    if (failed) assert.fail(`run ${failed.name} failed: ${failed.error ?? ''}\n${failed.outputTail ?? ''}`);
    const ended = runs.filter((r) => r.status === 'finished').sort((a, b) => a.startTime - b.startTime);
    if (ended.length >= count) return ended;
    if (Date.now() > deadline)
      assert.fail(`timed out waiting for ${count} finished runs in ${dir}: ${JSON.stringify(runs.map((r) => r.status))}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** New ML Project through its quick picks; `fromWelcome` starts it from the empty Runs view's button. Returns the project folder. */
async function newProject(templateTitle, name, { fromWelcome = false, shotPrefix } = {}) {
  if (fromWelcome) {
    await showMlWorkbench();
    const button = page.locator('.part.sidebar .welcome-view-content .monaco-button', { hasText: 'New ML Project' }).first();
    await button.waitFor({ timeout: 30_000 });
    if (shotPrefix) await shot(`${shotPrefix}-welcome`);
    await button.click();
  } else {
    await runCommand('ML: New ML Project…');
  }
  await quickRow(templateTitle).waitFor({ timeout: 30_000 });
  assert.match(
    await quickInput().innerText(),
    /Tabular classifier[\s\S]*Image classifier[\s\S]*Text sentiment classifier[\s\S]*Recommender/,
  );
  if (shotPrefix) await shot(`${shotPrefix}-templates`);
  await quickRow(templateTitle).click();

  // Code-server's simple file dialog: type the parent folder, Enter accepts it.
  const input = quickInput().locator('.quick-input-box input');
  await quickInput().locator('.quick-input-title', { hasText: 'the folder to create the project in' }).waitFor({ timeout: 30_000 });
  await quickInput().locator('.monaco-list-row').first().waitFor({ timeout: 30_000 }); // the listing has loaded
  const nameStep = quickInput().locator('.quick-input-title', { hasText: 'project name' });
  for (let attempt = 1; ; attempt++) {
    // The dialog fills in its own path while it lists a folder: type again until ours stays.
    await input.fill(`${parent}/`);
    await page.waitForTimeout(700);
    if ((await input.inputValue()) === `${parent}/`) {
      await page.keyboard.press('Enter');
      if (
        await nameStep.waitFor({ timeout: 10_000 }).then(
          () => true,
          () => false,
        )
      )
        break;
    }
    if (attempt === 5) assert.fail(`the folder dialog did not take ${parent}/ (it shows ${await input.inputValue()})`);
  }
  await input.fill(`${name} x`);
  await quickInput().getByText('no spaces').first().waitFor({ timeout: 10_000 }); // the name is validated as typed
  await input.fill(name);
  if (shotPrefix) await shot(`${shotPrefix}-name`);
  await page.keyboard.press('Enter');

  // System Python in a fresh window; once a project set mlWorkbench.pythonPath, the setting's entry names the same interpreter.
  await quickRow(PYTHON).waitFor({ timeout: 30_000 });
  if (shotPrefix) await shot(`${shotPrefix}-interpreter`);
  await quickRow(PYTHON).click();

  const ready = await notification(`Project ${name} is ready`);
  const dir = join(parent, name);
  assert.ok(existsSync(join(dir, 'train.py')) && existsSync(join(dir, '.git')), 'the project is written, with its git repository');
  if (shotPrefix) await shot(`${shotPrefix}-ready`);
  await ready.locator('.monaco-button', { hasText: 'Open Folder' }).click();
  await page.waitForURL((url) => decodeURIComponent(url.toString()).includes(`folder=${dir}`), { timeout: 60_000 });
  await page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 60_000 });
  await showMlWorkbench(); // the extension's views are back: its commands are in the palette again
  await page.locator('.part.sidebar .welcome-view-content', { hasText: 'No experiment runs' }).first().waitFor({ timeout: 60_000 });
  return dir;
}

/** Run Experiment from the palette on train.py; `edit` changes the params text offered from params.yaml. */
async function runExperiment(edit = (text) => text) {
  await runCommand('ML: Run Experiment…');
  const input = quickInput().locator('.quick-input-box input');
  await quickInput().locator('.quick-input-title', { hasText: 'pick the training script' }).waitFor({ timeout: 60_000 });
  await input.fill('train.py');
  await quickRow('train.py').waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
  await quickInput().locator('.quick-input-title', { hasText: 'params' }).waitFor({ timeout: 60_000 });
  const offered = await input.inputValue();
  assert.match(offered, /seed=42/, 'params come from params.yaml');
  await input.fill(edit(offered));
  await page.keyboard.press('Enter');
}

test(
  'golden path: new project, train, dashboard, inspect, serve, containerize, compare; then the other templates',
  { skip, timeout: 480_000 },
  async () => {
    try {
      await goldenPath();
    } catch (e) {
      await shot('zz-golden-failure').catch(() => undefined);
      throw e;
    }
  },
);

async function goldenPath() {
  // 0. The Getting Started walkthrough lists the five steps of this path.
  await runCommand('Welcome: Open Walkthrough...');
  await quickRow('Get Started with ML Workbench').waitFor({ timeout: 30_000 });
  await quickRow('Get Started with ML Workbench').click();
  const walkthrough = page.locator('.gettingStartedContainer');
  await walkthrough.getByText('Create a project', { exact: true }).first().waitFor({ timeout: 30_000 });
  const stepsText = await walkthrough.innerText();
  for (const step of ['Run an experiment', 'Inspect the model', 'Serve it', 'Containerize it'])
    assert.ok(stepsText.includes(step), `walkthrough step "${step}"`);
  await shot('49-golden-walkthrough');
  await runCommand('View: Close All Editors');

  // 1. Create the project from the empty Runs view, open it.
  const dir = await newProject('Tabular classifier', 'fraud-model', { fromWelcome: true, shotPrefix: '50-golden-new' });
  const firstCommit = readFileSync(join(dir, '.git', 'HEAD'), 'utf8');
  assert.match(firstCommit, /ref: refs\/heads\//);
  assert.match(readFileSync(join(dir, '.vscode', 'settings.json'), 'utf8'), new RegExp(`"mlWorkbench.pythonPath": "${PYTHON}"`));
  await showMlWorkbench();
  await shot('51-golden-opened');
  console.log(`golden path: project created and opened at ${elapsed()}`);

  // 2. Train as an experiment; the run finishes in the Runs view.
  const trainStart = Date.now();
  await runExperiment();
  const [run1] = await waitForRuns(dir, 1);
  console.log(
    `golden path: first training run finished ${((Date.now() - trainStart) / 1000).toFixed(1)} s after Run Experiment (recorded duration ${(run1.durationMs / 1000).toFixed(1)} s)`,
  );
  assert.equal(run1.git?.dirty, false, 'the run starts from the first commit with a clean tree');
  const run1Row = sidebarRow(run1.name);
  await run1Row.waitFor({ timeout: 30_000 });
  await page.waitForFunction((el) => !/running/.test(el.textContent ?? ''), await run1Row.elementHandle(), { timeout: 30_000 });
  await shot('52-golden-run-finished');

  // 3. Its dashboard: loss charted per epoch, the final metrics listed.
  await runCommand('ML: Open Run Dashboard');
  await quickRow(run1.name)
    .waitFor({ timeout: 30_000 })
    .catch(() => undefined);
  if (await quickInput().isVisible()) await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab', { hasText: `Run: ${run1.name}` }).waitFor({ timeout: 30_000 });
  const dash = webview();
  await dash.locator('section.runs-chart[data-metric="loss"] canvas').first().waitFor({ timeout: 60_000 });
  await dash.locator('section.runs-chart[data-metric="val_accuracy"]').first().waitFor();
  const finals = await dash.getByRole('table', { name: 'Final metrics' }).innerText();
  for (const m of ['accuracy', 'precision', 'recall', 'f1', 'roc_auc']) assert.match(finals, new RegExp(m));
  await shot('53-golden-dashboard');

  // 4. model.onnx in the Models view opens in the inspector, whose metadata names the run.
  const modelRow = sidebarRow('model.onnx');
  await modelRow.waitFor({ timeout: 60_000 });
  await modelRow.click();
  await page.locator('.tabs-container .tab', { hasText: 'model.onnx' }).waitFor({ timeout: 30_000 });
  const inspector = webview();
  await inspector.getByRole('table', { name: 'Inputs and outputs' }).waitFor({ timeout: 60_000 });
  assert.match(await inspector.getByRole('table', { name: 'Inputs and outputs' }).innerText(), /features[\s\S]*probability/);
  const metadata = await inspector.getByRole('table', { name: 'Metadata properties' }).innerText();
  assert.match(metadata, new RegExp(`mlw\\.run_id\\s+${run1.id}`));
  await shot('54-golden-inspector');

  // 5. Serve it (the inspector's model is the active one), send a test request, then the project's sample request.
  await runCommand('ML: Serve Model');
  const serverRow = sidebarRow(/http:\/\/127\.0\.0\.1:\d+/);
  await serverRow.waitFor({ timeout: 60_000 });
  const url = /http:\/\/127\.0\.0\.1:\d+/.exec(await serverRow.innerText())[0];
  await clearNotifications();
  await runCommand('ML: Send Test Request');
  // The request and its answer open beside as JSON (the answer is further down: checked through the same URL below).
  await page.locator('.editor-instance .view-lines', { hasText: '/v2/models/model/infer' }).first().waitFor({ timeout: 30_000 });
  const sample = readFileSync(join(dir, 'sample_request.json'), 'utf8');
  const answer = await (
    await fetch(`${url}/v2/models/model/infer`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: sample })
  ).json();
  const probability = answer.outputs.find((o) => o.name === 'probability');
  assert.deepEqual(probability.shape, [2, 1]);
  assert.ok(
    probability.data[0] > 0.5 && probability.data[1] < 0.5,
    `the sample's first row is flagged, its second not: ${probability.data}`,
  );
  await shot('55-golden-served');
  console.log(`golden path: served at ${url}, test request answered at ${elapsed()}`);

  // 6. Containerize on the real engine, and see the container healthy in the Deployments view.
  if (containerize.docker) {
    await clearNotifications();
    await chooseFromContextMenu(page, modelRow, 'Containerize Model');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 60_000 });
    assert.match(await dialog.innerText(), /model\.onnx/);
    await shot('56-golden-containerize-review');
    await dialog.locator('.monaco-button', { hasText: /^Build$/ }).click();
    const built = await notification(/Built \S+:latest/, 240_000);
    await built.locator('.monaco-button', { hasText: 'Run Locally' }).click();
    const healthy = sidebarRow(/healthy · \S+:latest · :\d+/);
    await healthy.waitFor({ timeout: 90_000 });
    const port = Number(/· :(\d+)/.exec((await healthy.innerText()).replace(/\s+/g, ' '))[1]);
    assert.equal((await fetch(`http://127.0.0.1:${port}/v2/health/ready`)).status, 200);
    await clearNotifications();
    await shot('57-golden-container-healthy');
    console.log(`golden path: container healthy at ${elapsed()}`);
  } else {
    console.log(`golden path: containerize step skipped: ${containerize.reason}`);
  }

  // 7. A second run with other params, then compare the two.
  await clearNotifications();
  await runExperiment((text) =>
    text
      .replace(/lr=[^,]+/, 'lr=0.02')
      .replace(/epochs=\d+/, 'epochs=12')
      .replace(/hidden=\d+/, 'hidden=8'),
  );
  const [, run2] = await waitForRuns(dir, 2);
  assert.equal(run2.params.lr, 0.02);
  assert.equal(run2.params.epochs, 12);
  await sidebarRow(run2.name).waitFor({ timeout: 30_000 });
  const experiment = sidebarRow('Default');
  await experiment.hover();
  await experiment.locator('.action-label[aria-label^="Compare Runs"]').click();
  await page.locator('.tabs-container .tab', { hasText: 'Compare 2 Runs' }).waitFor({ timeout: 30_000 });
  const compare = webview();
  const table = compare.getByRole('table', { name: 'Runs compared' });
  await table.waitFor({ timeout: 60_000 });
  const compared = await table.innerText();
  assert.ok(compared.includes(run1.name) && compared.includes(run2.name), compared);
  assert.match(compared, /0\.02/);
  await compare.locator('section.runs-chart[data-metric="loss"] canvas').first().waitFor({ timeout: 30_000 });
  // The test scores are logged once per run: bars with their values, not lone dots on a step axis.
  const rocBars = compare.locator('section.runs-chart[data-metric="roc_auc"]').getByRole('listitem');
  await rocBars.first().waitFor({ timeout: 30_000 });
  const bars = await rocBars.evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label')));
  for (const run of [run1, run2]) {
    const bar = bars.find((b) => b.startsWith(`${run.name}: `));
    assert.ok(bar, `a roc_auc bar for ${run.name}: ${bars}`);
    assert.ok(Math.abs(Number(bar.split(': ')[1]) - run.metrics.roc_auc.last) < 1e-5, `${bar} vs ${run.metrics.roc_auc.last}`);
  }
  await shot('58-golden-compare');
  console.log(`golden path: tabular-classifier done at ${elapsed()}`);

  // 8. The other templates: create through the same quick picks, open, train.
  for (const [title, name] of [
    ['Image classifier', 'digits'],
    ['Text sentiment classifier', 'reviews'],
    ['Recommender', 'recs'],
  ]) {
    const projectDir = await newProject(title, name);
    const started = Date.now();
    await runExperiment();
    const [run] = await waitForRuns(projectDir, 1);
    await showMlWorkbench();
    await sidebarRow(run.name).waitFor({ timeout: 30_000 });
    await sidebarRow('model.onnx').waitFor({ timeout: 60_000 });
    await shot(`59-golden-${name}-trained`);
    console.log(
      `golden path: ${title} created and trained (${((Date.now() - started) / 1000).toFixed(1)} s from Run Experiment) at ${elapsed()}`,
    );
  }
}
