// Browser tests: Playwright drives Debian's Chromium against code-server with the extension loaded
// from source. Screenshots go to .test-artifacts/screenshots (git-ignored).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { browserTestSkip, openWorkbench, shots } from '../harness/browserSession.mjs';

const skip = browserTestSkip();

let session;
let page;

before(async () => {
  if (skip) return;
  session = await openWorkbench('browser', { models: false });
  page = session.page;
});

after(async () => {
  await session?.close();
});

test('the ML Workbench container shows Runs, Models and Deployments with welcome content', { skip, timeout: 120_000 }, async () => {
  await page.locator('.activitybar [aria-label^="ML Workbench"]').first().click();
  const sidebar = page.locator('.part.sidebar');
  for (const name of ['Runs', 'Models', 'Deployments']) {
    await sidebar.locator('.pane-header', { hasText: name }).first().waitFor({ timeout: 30_000 });
  }
  // Welcome content of each empty view, with its button.
  await sidebar.getByText('No experiment runs in this workspace yet.').waitFor({ timeout: 30_000 });
  await sidebar.getByText('No model files found in this workspace.').waitFor();
  // Deployments: with a Docker engine, the empty-view welcome; without one (as in CI), the no-engine
  // welcome with Retry and Open Settings. Both offer Serve a Model.
  await sidebar
    .getByText(/^(No model servers or containers yet\.|Docker engine not found: containers cannot be built or listed\.)/)
    .first()
    .waitFor();
  await sidebar.locator('.welcome-view-content .monaco-button', { hasText: 'Serve a Model' }).first().waitFor();
  const buttons = await sidebar.locator('.welcome-view-content a.monaco-button, .welcome-view-content .monaco-button').allInnerTexts();
  assert.ok(buttons.length >= 3, `expected a button per view, got ${JSON.stringify(buttons)}`);
  await page.screenshot({ path: join(shots, '01-views-welcome.png') });
});

test('ML: Check Environment from the palette opens the report webview', { skip, timeout: 120_000 }, async () => {
  await session.runCommand('ML: Check Environment');
  const tab = page.locator('.tabs-container .tab', { hasText: 'ML Environment' });
  await tab.waitFor({ timeout: 30_000 });
  const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  await frame.getByRole('heading', { name: 'ML Workbench environment' }).waitFor({ timeout: 60_000 });
  const rows = await frame.locator('tr[data-check]').count();
  assert.ok(rows >= 5, `expected at least 5 checks, got ${rows}`);
  const onnx = await frame.locator('tr[data-check="onnxruntime"]').innerText();
  assert.match(onnx, /ok/, 'onnxruntime-node should load in the extension host');
  await page.screenshot({ path: join(shots, '02-environment.png') });
});
