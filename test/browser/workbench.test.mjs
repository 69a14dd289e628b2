// Browser tests: Playwright drives Debian's Chromium against code-server with the extension loaded
// from source. Screenshots go to .test-artifacts/screenshots (git-ignored).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startCodeServer, launchChromium, hasChromium, artifactsDir } from '../harness/codeServer.mjs';
import { makeWorkspace, hasCorpusModels } from '../harness/workspace.mjs';
import { toolsReady } from '../../scripts/install-tools.mjs';

const shots = join(artifactsDir, 'screenshots');
const missing = [!toolsReady() && 'code-server (npm run tools)', !hasChromium() && 'Chromium (apt-get install chromium)', !hasCorpusModels() && 'libonnx-testdata (apt-get install libonnx-testdata)'].filter(Boolean);
if (missing.length && process.env.CI === 'true') throw new Error(`CI=true and missing: ${missing.join(', ')}`);
const skip = missing.length ? `missing ${missing.join(', ')}` : false;

let server;
let browser;
let page;

async function openWorkbench(workspace) {
  server = await startCodeServer({ workspace, name: 'browser' });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(server.workbenchUrl());
  await page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 60_000 });
}

async function runCommand(title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor();
  await input.fill(`>${title}`);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

before(async () => {
  if (skip) return;
  mkdirSync(shots, { recursive: true });
  await openWorkbench(makeWorkspace('browser', { models: false }));
});

after(async () => {
  await browser?.close();
  await server?.stop();
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
  await sidebar.getByText('No model servers or containers yet.').waitFor();
  const buttons = await sidebar.locator('.welcome-view-content a.monaco-button, .welcome-view-content .monaco-button').allInnerTexts();
  assert.ok(buttons.length >= 3, `expected a button per view, got ${JSON.stringify(buttons)}`);
  await page.screenshot({ path: join(shots, '01-views-welcome.png') });
});

test('ML: Check Environment from the palette opens the report webview', { skip, timeout: 120_000 }, async () => {
  await runCommand('ML: Check Environment');
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
