// A Bayesian sweep in the real workbench: `mlw sweep --method tpe` (Debian's python3 with python3-optuna) runs a
// six-trial study of a tiny script; Compare Runs on its experiment shows the study: what it optimises, the best value
// over trials (a canvas) and each parameter's fANOVA importance. Screenshot in .test-artifacts/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { browserTestSkip, openWorkbenchPage, shots } from '../harness/browserSession.mjs';
import { repoRoot, startCodeServer } from '../harness/codeServer.mjs';
import { makeWorkspace } from '../harness/workspace.mjs';

const PYTHON = process.env.MLW_TEST_PYTHON ?? '/usr/bin/python3';

function optunaSkip() {
  try {
    execFileSync(PYTHON, ['-c', 'import optuna'], { stdio: 'ignore', timeout: 60_000 });
    return false;
  } catch {
    const reason = `${PYTHON} with Optuna is missing (apt-get install python3-optuna)`;
    if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
    return reason;
  }
}

const skip = browserTestSkip() || optunaSkip();
const TRAIN = `import sys, math, mlw_run
args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--"))
lr, layers = float(args["lr"]), int(args["layers"])
for step in range(4):
    mlw_run.log_metric("val_loss", (math.log10(lr) + 3) ** 2 + abs(layers - 4) / 4 + 1.0 / (step + 1), step=step)
`;

let server;
let browser;
let page;

before(async () => {
  if (skip) return;
  const ws = makeWorkspace('browser-study', { models: false });
  writeFileSync(join(ws, 'train.py'), TRAIN);
  execFileSync(
    process.execPath,
    [
      join(repoRoot, 'dist', 'mlw.js'),
      'sweep',
      'train.py',
      '--method',
      'tpe',
      '--space',
      'lr=1e-5:1e-1:log',
      '--space',
      'layers=2,4,8',
      '--trials',
      '6',
      '--objective',
      'val_loss:min',
      '--python',
      PYTHON,
      '--system-metrics-interval',
      '0',
    ],
    { cwd: ws, stdio: 'ignore', timeout: 180_000, input: '' },
  );
  // Compare asks the study's driver for importances: with the interpreter that has Optuna (a machine-overridable setting).
  mkdirSync(join(ws, '.vscode'), { recursive: true });
  writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'mlWorkbench.pythonPath': PYTHON }));
  server = await startCodeServer({ workspace: ws, name: 'browser-study' });
  ({ browser, page } = await openWorkbenchPage(server));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('Compare Runs on a study shows its best value over trials and the parameters importance', { skip, timeout: 240_000 }, async () => {
  await page.locator('.activitybar [aria-label^="ML Workbench"]').first().click();
  const experiment = page.locator('.part.sidebar').getByRole('treeitem').filter({ hasText: 'study-train' });
  await experiment.waitFor({ timeout: 60_000 });
  await experiment.hover();
  await experiment.locator('.action-label[aria-label="Compare Runs"]').click();
  await page.locator('.tabs-container .tab', { hasText: 'Compare 6 Runs' }).waitFor({ timeout: 30_000 });
  const frame = page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
  const study = frame.getByRole('region', { name: 'Study' });
  await study.getByRole('heading', { name: 'Study train' }).waitFor({ timeout: 60_000 });
  await study.locator('.runs-study-summary, .runs-error').first().waitFor({ timeout: 60_000 });
  assert.equal(await study.locator('.runs-error').count(), 0, await study.innerText());
  assert.match(
    await study.locator('.runs-study-summary').innerText(),
    /TPE \(Bayesian\) · minimize val_loss · 6 trials \(6 complete\) · best val_loss/,
  );
  await study.getByRole('img', { name: /Best val_loss:min over 6 trials/ }).waitFor();
  const bars = study.getByRole('listitem');
  assert.deepEqual((await bars.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label').split(':')[0]))).sort(), ['layers', 'lr']);
  await study.getByText(/fANOVA/).waitFor();
  await study.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, '31-compare-study.png') });
});
