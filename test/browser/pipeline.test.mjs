// The pipeline view in the real workbench (code-server + Chromium) on a project made from the tabular-classifier
// template, with real /usr/bin/python3 torch training: the CodeLens on dvc.yaml opens the stage graph, every stage
// never run; Run Pipeline makes them all fresh (each stage a tracked run); an edit of params.yaml's epochs turns
// train, evaluate and export stale (prepare stays fresh) with the reason shown; Run Stage on evaluate makes train
// and evaluate fresh and leaves export stale; Run Stage on export, all fresh; a run cancelled while train runs leaves
// it stale. Keyboard moves along the graph.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { browserTestSkip, openWorkbench, shots } from '../harness/browserSession.mjs';
import { repoRoot } from '../harness/codeServer.mjs';

const PYTHON = process.env.MLW_TEST_PYTHON ?? '/usr/bin/python3';

function pythonSkip() {
  const ok =
    existsSync(PYTHON) &&
    spawnSync(PYTHON, ['-c', 'import torch, sklearn, onnx, yaml, numpy'], { encoding: 'utf8', timeout: 120_000 }).status === 0;
  const missing = ok
    ? undefined
    : `${PYTHON} with torch, sklearn, onnx, yaml (apt-get install python3-torch python3-sklearn python3-onnx python3-yaml)`;
  if (missing && process.env.CI === 'true') throw new Error(`CI=true and missing ${missing}`);
  return missing ? `missing ${missing}` : false;
}
const skip = browserTestSkip() || pythonSkip();

let session;
let page;
let workspace;
const STAGES = ['prepare', 'train', 'evaluate', 'export'];

/** Empties the harness's workspace and makes the tabular-classifier project in it, with the system Python chosen. */
function scaffold(ws) {
  for (const f of readdirSync(ws)) rmSync(join(ws, f), { recursive: true, force: true });
  const r = spawnSync(
    process.execPath,
    [join(repoRoot, 'dist', 'mlw.js'), 'new', 'tabular-classifier', ws, '--no-git', '--force', '--python', PYTHON],
    { encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  mkdirSync(join(ws, '.vscode'), { recursive: true });
  const file = join(ws, '.vscode', 'settings.json');
  const settings = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  writeFileSync(file, JSON.stringify({ ...settings, 'mlWorkbench.pythonPath': PYTHON }, null, 2));
}

before(async () => {
  if (skip) return;
  session = await openWorkbench('browser-pipeline', { models: false, prepare: (ws) => ((workspace = ws), scaffold(ws)) });
  page = session.page;
});

after(async () => {
  await session?.close();
  await untrusted?.close();
});

let untrusted;

const frame = (p = page) => p.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
const stage = (name) => frame().locator(`button.pl-stage[data-stage="${name}"]`);
const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`) });

/** Waits until each named stage's line reads as `expected` says (a RegExp on its aria-label). */
async function waitStates(expected, timeout) {
  for (const [name, re] of Object.entries(expected)) {
    await frame()
      .getByRole('button', { name: new RegExp(`^${name}: ${re.source}`) })
      .waitFor({ timeout });
  }
  const labels = {};
  for (const name of Object.keys(expected)) labels[name] = await stage(name).getAttribute('aria-label');
  return labels;
}

test(
  'pipeline view: never run, Run Pipeline, a param edit makes exactly the downstream stages stale, Run Stage',
  { skip, timeout: 900_000 },
  async () => {
    await page.keyboard.press('Control+P');
    const quick = page.locator('.quick-input-widget .quick-input-box input');
    await quick.waitFor();
    await quick.fill('dvc.yaml');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'dvc.yaml' }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
    await page.locator('.tabs-container .tab', { hasText: 'dvc.yaml' }).waitFor({ timeout: 30_000 });
    await page.locator('.editor-actions [aria-label="Show Pipeline"]').first().waitFor({ timeout: 30_000 });
    const lens = page.locator('.monaco-editor .codelens-decoration a', { hasText: 'Show Pipeline' });
    await lens.first().waitFor({ timeout: 60_000 });
    await lens.first().click();
    await page.locator('.tabs-container .tab', { hasText: 'Pipeline: browser-pipeline' }).waitFor({ timeout: 60_000 });

    const never = Object.fromEntries(STAGES.map((s) => [s, /never run$/]));
    await waitStates(never, 60_000);
    assert.match(await frame().locator('.pl-summary').innerText(), /4 never run/);
    // Keyboard: Tab reaches the stages, arrow down follows an edge from prepare to a stage that reads its outs.
    await stage('prepare').focus();
    await page.keyboard.press('Enter');
    assert.equal(await stage('prepare').getAttribute('aria-pressed'), 'true');
    await page.keyboard.press('ArrowDown');
    const down = await frame().locator('button.pl-stage[aria-pressed="true"]').getAttribute('data-stage');
    assert.ok(['train', 'evaluate', 'export'].includes(down), `arrow down from prepare selected ${down}`);
    assert.match(await frame().getByRole('complementary', { name: 'Stage details' }).innerText(), /Command[\s\S]*python/i);
    await shot('70-pipeline-never-run');

    await frame().getByRole('button', { name: 'Run Pipeline' }).click();
    await frame().getByRole('button', { name: 'Cancel' }).waitFor({ timeout: 30_000 });
    await frame()
      .getByRole('button', { name: /: running…$/ })
      .first()
      .waitFor({ timeout: 60_000 });
    await shot('71-pipeline-running');
    await waitStates(Object.fromEntries(STAGES.map((s) => [s, /fresh$/])), 600_000);
    await frame().getByRole('button', { name: 'Cancel' }).waitFor({ state: 'hidden', timeout: 30_000 });
    assert.ok(existsSync(join(workspace, 'model.onnx')) && existsSync(join(workspace, 'metrics.json')));
    const runs = readdirSync(join(workspace, '.mlw', 'runs')).filter((d) => existsSync(join(workspace, '.mlw', 'runs', d, 'run.json')));
    const stageRuns = runs.map(
      (d) => JSON.parse(readFileSync(join(workspace, '.mlw', 'runs', d, 'run.json'), 'utf8')).tags?.['mlw.pipeline.stage'],
    );
    assert.deepEqual(stageRuns.filter(Boolean).sort(), [...STAGES].sort(), 'each stage a tracked run');
    assert.ok(!existsSync(join(workspace, 'dvc.lock')), 'without DVC, dvc.lock is not written');
    assert.match(await frame().locator('.pl-summary').innerText(), /4 fresh/);
    await shot('72-pipeline-fresh');

    // A dep edit from outside the editor: epochs feeds train only; train and what reads model.pt turn stale.
    const params = join(workspace, 'params.yaml');
    writeFileSync(params, readFileSync(params, 'utf8').replace(/^epochs: \d+/m, 'epochs: 12'));
    const stale = await waitStates({ prepare: /fresh$/, train: /stale/, evaluate: /stale/, export: /stale/ }, 60_000);
    assert.equal(stale.train, 'train: stale: param epochs changed');
    assert.match(stale.evaluate, /^evaluate: stale: /);
    await stage('train').click();
    const details = frame().getByRole('complementary', { name: 'Stage details' });
    assert.match(await details.innerText(), /Why stale[\s\S]*param epochs changed/i);
    await shot('73-pipeline-stale-after-edit');

    // Run Stage on evaluate: it and the stale stage it depends on (train) run; export stays stale.
    await stage('evaluate').click();
    await frame().getByRole('button', { name: 'Run Stage' }).click();
    await waitStates({ prepare: /fresh$/, train: /fresh$/, evaluate: /fresh$/, export: /stale: dep model\.pt modified/ }, 600_000);
    await frame().getByRole('button', { name: 'Cancel' }).waitFor({ state: 'hidden', timeout: 30_000 });
    await shot('74-pipeline-run-stage');
    await stage('export').click();
    await frame().getByRole('button', { name: 'Run Stage' }).click();
    await waitStates(Object.fromEntries(STAGES.map((s) => [s, /fresh$/])), 600_000);
    await frame().getByRole('button', { name: 'Cancel' }).waitFor({ state: 'hidden', timeout: 30_000 });
    await shot('75-pipeline-fresh-again');

    // train.py edited and a long training asked for: Run Pipeline, then Cancel while train runs; it stays stale.
    const trainPy = join(workspace, 'train.py');
    writeFileSync(trainPy, `${readFileSync(trainPy, 'utf8')}\n# edited by the test\n`);
    writeFileSync(params, readFileSync(params, 'utf8').replace(/^epochs: \d+/m, 'epochs: 100000'));
    const edited = await waitStates({ prepare: /fresh$/, train: /stale/ }, 60_000);
    assert.equal(edited.train, 'train: stale: dep train.py modified');
    await frame().getByRole('button', { name: 'Run Pipeline' }).click();
    await frame().getByRole('button', { name: 'train: running…' }).waitFor({ timeout: 120_000 });
    await frame().getByRole('button', { name: 'Cancel' }).click();
    await frame().getByRole('status').filter({ hasText: 'Cancelled: stage train was stopped.' }).waitFor({ timeout: 60_000 });
    await waitStates({ prepare: /fresh$/, train: /stale: dep train\.py modified/, evaluate: /stale/, export: /stale/ }, 60_000);
    await frame().getByRole('button', { name: 'Cancel' }).waitFor({ state: 'hidden', timeout: 30_000 });
    await shot('76-pipeline-cancelled');
  },
);

test('Restricted Mode: ML: Show Pipeline shows the status, running is disabled', { skip, timeout: 300_000 }, async () => {
  await session?.close();
  session = undefined;
  untrusted = await openWorkbench('browser-pipeline-untrusted', { models: false, trusted: false, prepare: scaffold });
  const p = untrusted.page;
  await p.locator('.part.statusbar', { hasText: 'Restricted Mode' }).waitFor({ timeout: 60_000 });
  // The palette lists a command once the extension host has loaded: wait for the CodeLens of dvc.yaml first.
  await p.keyboard.press('Control+P');
  await p.locator('.quick-input-widget .quick-input-box input').fill('dvc.yaml');
  await p.locator('.quick-input-widget .monaco-list-row', { hasText: 'dvc.yaml' }).first().waitFor({ timeout: 30_000 });
  await p.keyboard.press('Enter');
  await p.locator('.monaco-editor .codelens-decoration a', { hasText: 'Show Pipeline' }).first().waitFor({ timeout: 60_000 });
  await untrusted.runCommand('ML: Show Pipeline');
  await p.locator('.tabs-container .tab', { hasText: 'Pipeline: browser-pipeline-untrusted' }).waitFor({ timeout: 60_000 });
  const f = frame(p);
  await f.getByRole('button', { name: /^train: never run$/ }).waitFor({ timeout: 60_000 });
  await f.getByText('Restricted Mode: the status is shown, running is disabled until you trust this workspace.').waitFor();
  assert.equal(await f.getByRole('button', { name: 'Run Pipeline' }).isDisabled(), true);
  await f.getByRole('button', { name: /^train: / }).click();
  assert.equal(await f.getByRole('button', { name: 'Run Stage' }).isDisabled(), true);
  await p.screenshot({ path: join(shots, '77-pipeline-restricted.png') });
});
