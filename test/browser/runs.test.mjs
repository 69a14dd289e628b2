// Experiment runs in the real workbench: two real training runs (test/fixtures/python/train_iris.py, a
// torch MLP on sklearn's iris, run with Debian's python3 through `mlw run`) appear in the Runs view
// with their metrics; the dashboard draws their charts; Compare Runs sorts and filters the table and
// draws the scatter of a param against a metric. Screenshots go to .test-artifacts/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { browserTestSkip, openWorkbenchPage, shots } from '../harness/browserSession.mjs';
import { repoRoot, startCodeServer } from '../harness/codeServer.mjs';
import { makeWorkspace } from '../harness/workspace.mjs';

const PYTHON = process.env.MLW_TEST_PYTHON ?? '/usr/bin/python3';

function pythonSkip() {
  try {
    execFileSync(PYTHON, ['-c', 'import torch, sklearn'], { stdio: 'ignore', timeout: 60_000 });
    return false;
  } catch {
    const reason = `${PYTHON} with torch and sklearn is missing (apt-get install python3-torch python3-sklearn)`;
    if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
    return reason;
  }
}

const skip = browserTestSkip() || pythonSkip();

let server;
let workspace;
let browser;
let page;
/** The two runs as the store holds them: name -> run.json. */
const runs = new Map();

function train(ws, name, params) {
  const args = [
    join(repoRoot, 'dist', 'mlw.js'),
    'run',
    'train_iris.py',
    '--experiment',
    'iris',
    '--name',
    name,
    '--python',
    PYTHON,
    '--no-git',
    '--json',
  ];
  for (const [k, v] of Object.entries(params)) args.push('--param', `${k}=${v}`);
  const out = execFileSync(process.execPath, args, { cwd: ws, encoding: 'utf8', timeout: 180_000, stdio: ['ignore', 'pipe', 'pipe'] });
  const run = JSON.parse(out);
  assert.equal(run.status, 'finished', `run ${name} should finish: ${out.slice(-500)}`);
  return run;
}

before(async () => {
  if (skip) return;
  const ws = makeWorkspace('browser-runs', { models: false });
  copyFileSync(join(repoRoot, 'test', 'fixtures', 'python', 'train_iris.py'), join(ws, 'train_iris.py'));
  copyFileSync(join(repoRoot, 'test', 'fixtures', 'python', 'slow.py'), join(ws, 'slow.py'));
  workspace = ws;
  train(ws, 'iris-fast', { lr: 0.05, epochs: 30, hidden: 16 });
  train(ws, 'iris-slow', { lr: 0.005, epochs: 30, hidden: 8 });
  const dir = join(ws, '.mlw', 'runs');
  for (const id of readdirSync(dir).filter((d) => !d.startsWith('.'))) {
    const run = JSON.parse(readFileSync(join(dir, id, 'run.json'), 'utf8'));
    runs.set(run.name, run);
  }
  assert.equal(runs.size, 2);
  // The lineage log the deploy commands append to: an image built from iris-fast's model, then pushed.
  const lineage = (r) => appendFileSync(join(ws, '.mlw', 'lineage.jsonl'), `${JSON.stringify(r)}\n`);
  const model = { modelPath: 'model.onnx', modelHash: 'ab'.repeat(32), runId: runs.get('iris-fast').id };
  lineage({
    ...model,
    at: '2026-11-28T10:00:00.000Z',
    kind: 'image',
    image: 'iris:1',
    imageId: `sha256:${'c'.repeat(64)}`,
    digest: `sha256:${'d'.repeat(64)}`,
  });
  lineage({
    ...model,
    at: '2026-11-28T10:01:00.000Z',
    kind: 'push',
    reference: '127.0.0.1:5000/iris:1',
    digest: `sha256:${'e'.repeat(64)}`,
  });
  server = await startCodeServer({ workspace: ws, name: 'browser-runs' });
  ({ browser, page } = await openWorkbenchPage(server));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The newest webview (panels keep their context when hidden, so older ones stay in the DOM before it). */
const webview = () => page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');

test('the Runs view lists both real runs with their metrics in the description', { skip, timeout: 240_000 }, async () => {
  await page.locator('.activitybar [aria-label^="ML Workbench"]').first().click();
  const sidebar = page.locator('.part.sidebar');
  await sidebar.getByRole('treeitem', { name: /iris/ }).first().waitFor({ timeout: 60_000 });
  for (const name of ['iris-fast', 'iris-slow']) {
    const row = sidebar.getByRole('treeitem').filter({ hasText: name });
    await row.waitFor({ timeout: 30_000 });
    const text = await row.innerText();
    assert.match(text, /loss \d/, `${name}: ${text}`);
    const shown = Number(/accuracy ([\d.]+)/.exec(text)?.[1]);
    const acc = runs.get(name).metrics.accuracy.last;
    assert.ok(Math.abs(shown - acc) < 0.01, `${name} shows its last accuracy ${acc}: ${text}`);
  }
  await page.screenshot({ path: join(shots, '30-runs-view.png') });
});

test('a run dashboard draws a chart per metric and shows the params', { skip, timeout: 120_000 }, async () => {
  await page.locator('.part.sidebar').getByRole('treeitem').filter({ hasText: 'iris-fast' }).click();
  await page.locator('.tabs-container .tab', { hasText: 'Run: iris-fast' }).waitFor({ timeout: 30_000 });
  const frame = webview();
  await frame.getByRole('heading', { name: /iris-fast/ }).waitFor({ timeout: 60_000 });
  for (const metric of ['loss', 'accuracy']) {
    const chart = frame.locator(`.runs-chart[data-metric="${metric}"] canvas`).first();
    await chart.waitFor({ timeout: 30_000 });
    const box = await chart.boundingBox();
    assert.ok(box && box.width > 150 && box.height > 100, `${metric} chart drawn: ${JSON.stringify(box)}`);
  }
  // val_acc is logged once, at the end: a value in the final metrics table, not a chart with one dot.
  const finals = await frame.getByRole('table', { name: 'Final metrics' }).innerText();
  const valAcc = String(Number(runs.get('iris-fast').metrics.val_acc.last.toPrecision(6))); // as the table shows it
  assert.ok(new RegExp(`val_acc\\s+${valAcc.replace(/\./g, '\\.')}`).test(finals), `val_acc ${valAcc} in the final metrics: ${finals}`);
  assert.equal(await frame.locator('.runs-chart[data-metric="val_acc"]').count(), 0, 'val_acc, logged once, has no chart');
  await page.screenshot({ path: join(shots, '31-run-dashboard-charts.png') });
  const params = await frame.getByRole('table', { name: 'Params' }).innerText();
  assert.match(params, /lr\s+0\.05/);
  assert.match(params, /optimizer\s+adam/);
  // Deployments of the model this run produced, from .mlw/lineage.jsonl, newest first.
  const deployments = frame.getByRole('table', { name: 'Deployments' });
  await deployments.scrollIntoViewIfNeeded();
  const rows = await deployments.locator('tbody tr').allInnerTexts();
  assert.equal(rows.length, 2);
  assert.match(rows[0], /push\s+127\.0\.0\.1:5000\/iris:1\s+digest sha256:e{64}/);
  assert.match(rows[1], /image\s+iris:1\s+digest sha256:d{64}/);
  await page.screenshot({ path: join(shots, '31-run-dashboard-deployments.png') });
});

test('Compare Runs sorts by a metric, filters, highlights differing params and draws the scatter', { skip, timeout: 180_000 }, async () => {
  // The experiment's inline Compare action compares all of its runs.
  const experiment = page.locator('.part.sidebar').getByRole('treeitem').filter({ hasText: '2 runs' });
  await experiment.hover();
  await experiment.locator('.action-label[aria-label="Compare Runs"]').click();
  await page.locator('.tabs-container .tab', { hasText: 'Compare 2 Runs' }).waitFor({ timeout: 30_000 });
  const frame = webview();
  const table = frame.getByRole('table', { name: 'Runs compared' });
  await table.waitFor({ timeout: 60_000 });
  await frame.locator('.runs-chart[data-metric="accuracy"] canvas').first().waitFor();

  // Params that differ are highlighted; the optimizer (adam for both) is not.
  assert.equal(await frame.locator('th.runs-differs', { hasText: 'lr' }).count(), 1);
  assert.equal(await frame.locator('th.runs-differs', { hasText: 'optimizer' }).count(), 0);

  // "Only params that differ" hides the columns that are the same for both runs.
  await frame.getByLabel('Only params that differ').check();
  assert.equal(await table.locator('th', { hasText: 'optimizer' }).count(), 0);
  assert.equal(await table.locator('th', { hasText: 'epochs' }).count(), 0);
  assert.equal(await table.locator('th', { hasText: /^lr/ }).count(), 1);
  await frame.getByLabel('Only params that differ').uncheck();
  await table.locator('th', { hasText: 'optimizer' }).waitFor();

  // Sort by best accuracy (click), then by final loss (keyboard: Enter on the header button).
  const names = async () => (await table.locator('tbody tr th').allInnerTexts()).map((t) => t.trim());
  const bestAcc = (n) => runs.get(n).metrics.accuracy.max;
  const byAcc = ['iris-fast', 'iris-slow'].sort((a, b) => bestAcc(b) - bestAcc(a));
  await table.getByRole('button', { name: /^accuracy/ }).click();
  assert.equal(await table.locator('th', { hasText: /^accuracy/ }).getAttribute('aria-sort'), 'descending');
  assert.deepEqual(await names(), byAcc, 'best accuracy first');
  assert.match(await table.locator('tbody tr').first().locator('td.runs-best').first().innerText(), /\d/, 'the best value is marked');
  await page.screenshot({ path: join(shots, '32-compare-sorted.png') });

  await frame.locator('.runs-filter').fill('lr=0.005');
  await frame.getByText('Showing 1 of 2 runs').waitFor({ timeout: 10_000 });
  assert.deepEqual(await names(), ['iris-slow']);
  await page.screenshot({ path: join(shots, '33-compare-filtered.png') });
  await frame.locator('.runs-filter').fill('');
  await frame.getByText('2 runs', { exact: true }).waitFor({ timeout: 10_000 });

  const loss = table.getByRole('button', { name: /^loss/ });
  await loss.focus();
  await page.keyboard.press('Enter');
  assert.equal(await table.locator('th', { hasText: /^loss/ }).getAttribute('aria-sort'), 'ascending', 'loss sorts lowest first');
  const bestLoss = (n) => runs.get(n).metrics.loss.min;
  assert.deepEqual(
    await names(),
    ['iris-fast', 'iris-slow'].sort((a, b) => bestLoss(a) - bestLoss(b)),
  );

  // Scatter of lr (x) against best accuracy (y): a canvas with a dot per run.
  await frame.locator('#runs-x').selectOption('lr');
  await frame.locator('#runs-y').selectOption('accuracy');
  // The views are drawn when they scroll into view (their label names what they show once drawn).
  await frame.getByRole('region', { name: 'Scatter' }).scrollIntoViewIfNeeded();
  const scatter = frame.getByRole('img', { name: /Scatter of accuracy \(best\) against lr for 2 runs/ });
  await scatter.scrollIntoViewIfNeeded();
  const paintedPixels = () =>
    scatter.evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    });
  let painted = 0;
  for (let i = 0; i < 50 && painted <= 2000; i++, await page.waitForTimeout(100)) painted = await paintedPixels();
  assert.ok(painted > 2000, `scatter has axes and dots drawn (${painted} pixels)`);
  await scatter.focus();
  await page.keyboard.press('ArrowRight');
  assert.match(
    await frame.locator('.runs-canvas-box .runs-readout').first().innerText(),
    /iris-(fast|slow): lr = 0\.0\d+, accuracy \(best\) = 0\.\d+/,
  );
  await frame.getByRole('img', { name: /Parallel coordinates of 2 runs over/ }).waitFor();
  await page.screenshot({ path: join(shots, '34-compare-scatter.png') });
});

test('Compare Runs follows runs that are still going, keeping the filter and its focus', { skip, timeout: 180_000 }, async () => {
  // Two runs of a script that logs "tick" every 50 ms for 40 s, started outside VS Code.
  const live = ['live-a', 'live-b'].map((name) =>
    spawn(
      process.execPath,
      [
        join(repoRoot, 'dist', 'mlw.js'),
        'run',
        'slow.py',
        '--experiment',
        'live',
        '--name',
        name,
        '--python',
        PYTHON,
        '--no-git',
        '--',
        '--seconds',
        '40',
      ],
      { cwd: workspace, stdio: 'ignore' },
    ),
  );
  try {
    const experiment = page.locator('.part.sidebar').getByRole('treeitem').filter({ hasText: 'live' }).filter({ hasText: '2 runs' });
    await experiment.waitFor({ timeout: 60_000 });
    await experiment.hover();
    await experiment.locator('.action-label[aria-label="Compare Runs"]').click();
    const frame = webview();
    const table = frame.getByRole('table', { name: 'Runs compared' });
    await table.locator('th', { hasText: /^tick/ }).waitFor({ timeout: 60_000 });
    const filter = frame.locator('.runs-filter');
    await filter.fill('live');
    const row = table.locator('tbody tr', { hasText: 'live-a' });
    const first = await row.innerText();
    let later = first;
    for (let i = 0; i < 40 && later === first; i++, await page.waitForTimeout(250)) later = await row.innerText();
    assert.notEqual(later, first, 'the compare table updates while the run goes on');
    assert.equal(await filter.inputValue(), 'live', 'a reload keeps the filter');
    assert.ok(await filter.evaluate((el) => el === document.activeElement), 'a reload keeps the focus in the filter');
    await page.screenshot({ path: join(shots, '35-compare-live.png') });
  } finally {
    for (const child of live) child.kill('SIGTERM');
  }
});
