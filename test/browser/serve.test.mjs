// Serving in the real workbench (code-server + Chromium), as a user does it: serve a small torch-exported scoring
// model (8 features -> 2 logits, dynamic batch; exported here with the system Python) from the Models view, see it
// ready under Deployments → Local servers, send a test request, open the server monitor and watch requests and latency
// move. The drift section first explains how to get a reference profile; its "Build Reference Profile…" button then
// builds one from a data file picked in the file dialog and writes it beside the model, the server is restarted from
// the notification, shifted inputs are sent, and the drift table shows the shifted feature over the threshold,
// highlighted, with the one-time warning in the notification centre.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { browserTestSkip, openWorkbench, runPaletteCommand, shots } from '../harness/browserSession.mjs';
import { artifactsDir } from '../harness/codeServer.mjs';

const PYTHON = process.env.MLW_TEST_PYTHON ?? '/usr/bin/python3';

function torchSkip() {
  const ok = spawnSync(PYTHON, ['-c', 'import torch, onnx'], { stdio: 'ignore' }).status === 0;
  if (!ok && process.env.CI === 'true') throw new Error(`CI=true and ${PYTHON} cannot import torch and onnx`);
  return ok ? false : `${PYTHON} with torch and onnx is missing (apt-get install python3-torch python3-onnx)`;
}

const skip = browserTestSkip() || torchSkip();
const NAME = 'browser-serve';
const FEATURES = 8;
const workspace = join(artifactsDir, 'workspaces', NAME);

let session;
let page;

/** A small scoring MLP with a dynamic batch axis: input "features" [batch, 8] -> "logits" [batch, 2]. */
function exportModel(file) {
  const code = [
    'import sys, torch',
    'torch.manual_seed(0)',
    `m = torch.nn.Sequential(torch.nn.Linear(${FEATURES}, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))`,
    `torch.onnx.export(m, (torch.randn(2, ${FEATURES}),), sys.argv[1], input_names=['features'], output_names=['logits'],`,
    "                  dynamic_axes={'features': {0: 'batch'}, 'logits': {0: 'batch'}}, opset_version=13)",
  ].join('\n');
  execFileSync(PYTHON, ['-c', code, file], { timeout: 120_000, stdio: ['ignore', 'ignore', 'pipe'] });
}

before(async () => {
  if (skip) return;
  session = await openWorkbench(NAME);
  page = session.page;
  mkdirSync(join(workspace, 'models'), { recursive: true });
  exportModel(join(workspace, 'models', 'scorer.onnx'));
});

after(async () => {
  await session?.close();
});

/** The URL the journey served scorer.onnx at. */
let servedUrl;

const sidebarRow = (text) => page.locator('.part.sidebar [role="treeitem"]', { hasText: text }).first();
const monitor = () => page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`) });

/** Deterministic uniform values in [-1, 1), like the test request's random data. */
function uniform(seed) {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return (s / 2147483647) * 2 - 1;
  };
}

/** Requests of 4 rows of uniform features; `shift` is added to feature 2 of every row. */
async function sendRequests(url, count, shift, seed) {
  const next = uniform(seed);
  for (let i = 0; i < count; i++) {
    const data = Array.from({ length: 4 * FEATURES }, (_, k) => Math.round((next() + (k % FEATURES === 2 ? shift : 0)) * 1e4) / 1e4);
    const res = await fetch(`${url}/v2/models/scorer/infer`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'features', shape: [4, FEATURES], datatype: 'FP32', data }] }),
    });
    assert.equal(res.status, 200, await res.text());
  }
}

/** Clicks one of a tree row's inline action buttons (shown on hover). */
async function rowAction(row, label) {
  await row.hover();
  const button = row.locator(`.action-label[aria-label="${label}"]`);
  await button.waitFor({ timeout: 10_000 });
  await button.click();
}

function runCommand(title) {
  return runPaletteCommand(page, title);
}

/** Waits until `read()` satisfies `ok`, polling; fails with the last value. */
async function until(what, read, ok, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}

test(
  'serve from the Models view, test request, live monitor, then drift against a reference profile',
  { skip, timeout: 300_000 },
  async () => {
    try {
      await servingJourney();
    } catch (e) {
      await shot('69-serve-failure').catch(() => undefined);
      throw e;
    }
  },
);

async function servingJourney() {
  // 1. Serve scorer.onnx with the Models view's inline Serve Model button.
  await page.locator('.activitybar [aria-label^="ML Workbench"]').first().click();
  const modelRow = sidebarRow('scorer.onnx');
  try {
    await modelRow.waitFor({ timeout: 15_000 });
  } catch {
    await runCommand('ML: Refresh Models'); // the file watcher missed the file written after start
    await modelRow.waitFor({ timeout: 30_000 });
  }
  await rowAction(modelRow, 'Serve Model');

  // 2. Ready under Deployments → Local servers, with its URL; the model is listed under it.
  const serverRow = sidebarRow(/scorer\.onnx[\s\S]*http:\/\/127\.0\.0\.1:\d+/);
  await serverRow.waitFor({ timeout: 60_000 });
  const firstUrl = /http:\/\/127\.0\.0\.1:\d+/.exec(await serverRow.innerText())[0];
  servedUrl = firstUrl;
  await sidebarRow(/^\s*scorer\s*dynamic batching\s*$/).waitFor();
  assert.equal((await fetch(`${firstUrl}/v2/health/ready`)).status, 200);

  // 3. Send Test Request (the server row's inline button): the request and the answer open as JSON.
  await rowAction(serverRow, 'Send Test Request');
  const doc = page.locator('.editor-instance .view-lines', { hasText: '/v2/models/scorer/infer' }).first();
  await doc.waitFor({ timeout: 30_000 });
  await shot('60-serve-test-request');

  // 4. The monitor: live counts and latency move while requests come in.
  await runCommand('View: Close All Editors');
  await page.locator('.monaco-dialog-box .monaco-button', { hasText: "Don't Save" }).click(); // the answer is an untitled document
  await rowAction(serverRow, 'Open Server Monitor');
  await page.locator('.tabs-container .tab', { hasText: 'Monitor: scorer.onnx' }).waitFor({ timeout: 30_000 });
  const frame = monitor();
  await frame.getByRole('img', { name: 'Requests / s' }).waitFor({ timeout: 30_000 });
  const rate = frame.locator('section', { has: frame.getByRole('heading', { name: /^Requests \/ s/ }) }).locator('h2 .mono');
  const latency = frame.locator('section', { has: frame.getByRole('heading', { name: /^Latency/ }) }).locator('h2 .mono');
  let stop = false;
  const sending = (async () => {
    for (let seed = 7; !stop; seed++) await sendRequests(firstUrl, 10, 0, seed); // uniform like the reference: no drift
  })();
  // The test request alone makes 1 req/s: wait for the loop's traffic, then keep it up a little for the charts.
  const busy = await until(
    'more than 20 requests per second',
    () => rate.innerText(),
    (t) => Number(/req\/s (\d+\.\d)/.exec(t)?.[1] ?? 0) > 20,
  );
  await new Promise((r) => setTimeout(r, 2500));
  stop = true;
  await sending;
  assert.match(await latency.innerText(), /p50 \d+\.\d\d ms · p95 \d+\.\d\d ms · p99 \d+\.\d\d ms/);
  console.log(`monitor: ${busy}; ${await latency.innerText()}`);
  // Idle again: the monitor's own /metrics and /stats polls are not traffic, so the rate drops to 0 and stays there.
  await until(
    '0 requests per second once the traffic stops',
    () => rate.innerText(),
    (t) => /req\/s 0\.0\b/.test(t),
  );
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    assert.match(await rate.innerText(), /req\/s 0\.0\b/, 'no requests/s while idle');
  }

  // 5. No reference profile yet: the drift section says how to make one instead of empty charts.
  const noRef = frame.getByRole('note', { name: 'No reference profile for scorer' });
  await noRef.waitFor({ timeout: 30_000 });
  assert.match(await noRef.innerText(), /mlw profile train\.npy -o scorer\.profile\.json/);
  assert.match(await noRef.innerText(), /Build Reference Profile…/);
  await noRef.scrollIntoViewIfNeeded();
  await shot('61-serve-monitor-no-reference');

  // 6. Build the profile from the panel: pick the reference data in the file dialog, then restart from the notification.
  const next = uniform(3);
  const rows = Array.from({ length: 500 }, () => Array.from({ length: FEATURES }, () => next()));
  const dataFile = join(workspace, 'reference.json');
  writeFileSync(dataFile, JSON.stringify(rows));
  await frame.getByRole('button', { name: 'Build Reference Profile…' }).click();
  const quick = page.locator('.quick-input-widget');
  const input = quick.locator('.quick-input-box input');
  await quick.locator('.quick-input-title', { hasText: 'Reference (training) data for scorer' }).waitFor({ timeout: 30_000 });
  await quick.locator('.monaco-list-row').first().waitFor({ timeout: 30_000 }); // the listing has loaded
  const wrote = page
    .locator('.notifications-center .notification-list-item', { hasText: 'Wrote scorer.profile.json beside the model' })
    .first();
  for (let attempt = 1; ; attempt++) {
    // Code-server's simple file dialog fills in its own path while it lists a folder: type again until ours stays.
    await input.fill(dataFile);
    await page.waitForTimeout(700);
    if ((await input.inputValue()) === dataFile) {
      await page.keyboard.press('Enter');
      if (
        await quick.waitFor({ state: 'hidden', timeout: 10_000 }).then(
          () => true,
          () => false,
        )
      )
        break;
    }
    if (attempt === 5) assert.fail(`the file dialog did not take ${dataFile} (it shows ${await input.inputValue()})`);
  }
  await runCommand('Notifications: Show Notifications');
  await wrote.waitFor({ timeout: 30_000 });
  const profile = JSON.parse(readFileSync(join(workspace, 'models', 'scorer.profile.json'), 'utf8'));
  assert.equal(profile.inputs['*'].rows, 500);
  assert.equal(profile.inputs['*'].features.length, FEATURES);
  await wrote.locator('.monaco-button', { hasText: 'Restart Server' }).click();
  await runCommand('Notifications: Clear All Notifications');
  // The restarted server keeps its port (clients keep their URL), and has read the profile.
  await until(
    'the restarted server on the same URL, with the reference profile',
    () =>
      fetch(`${firstUrl}/v2/models/scorer/stats`).then(
        (r) => r.json(),
        () => undefined,
      ),
    (stats) => stats?.drift?.reference === true,
    60_000,
  );
  const url = firstUrl;
  assert.match(await sidebarRow(/scorer\.onnx[\s\S]*http:/).innerText(), new RegExp(firstUrl.replace(/\./g, '\\.')));

  // 7. In-distribution traffic, then inputs with feature 2 shifted by +3: only that row goes over the threshold.
  await sendRequests(url, 60, 0, 11);
  await sendRequests(url, 60, 3, 13);
  const table = frame.getByRole('table', { name: 'Drift of scorer' });
  await table.waitFor({ timeout: 30_000 });
  const drifted = table.locator('tr[data-drifted="true"]');
  // The monitor reads /stats every 2 s: wait for the read that has seen all 120 requests x 4 rows.
  const cells = await until(
    'one drifted row that has seen every request',
    async () => ((await drifted.count()) === 1 ? drifted.first().locator('td').allInnerTexts() : []),
    (c) => c[3] === '480',
  );
  assert.equal(cells[0], 'features[2]');
  assert.ok(Number(cells[1]) > 0.2, `PSI ${cells[1]}`);
  assert.equal(cells[3], '480'); // 120 requests x 4 rows
  assert.equal(cells[6], '500'); // reference values
  assert.match(cells[7], /drift \(PSI > 0\.2\)/);
  const others = await table.locator('tr[data-drifted="false"]').count();
  assert.equal(others, FEATURES - 1);
  const background = await drifted.first().evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.notEqual(background, 'rgba(0, 0, 0, 0)', 'the drifted row is highlighted');
  await frame.getByRole('img', { name: 'PSI per feature of scorer' }).waitFor();
  await frame.getByRole('table', { name: 'Drift of scorer' }).scrollIntoViewIfNeeded();
  await shot('62-serve-monitor-drift');

  // 8. The one-time warning, in the notification centre (toasts are hidden under the smoke-test driver).
  await runCommand('Notifications: Show Notifications');
  const warning = page.locator('.notifications-center .notification-list-item', { hasText: 'Input drift on model scorer' }).first();
  await warning.waitFor({ timeout: 30_000 });
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  assert.match(await warning.innerText(), /feature features\[2\] PSI \d+\.\d\d > 0\.2/);
  assert.match(await warning.innerText(), /Open Monitor/);
  await shot('63-serve-drift-warning');
  assert.equal(await page.locator('.notifications-center .notification-list-item', { hasText: 'Input drift on model scorer' }).count(), 1);
}

test(
  'a window reload leaves the server running on its port, and the reloaded window reattaches to it',
  { skip, timeout: 180_000 },
  async () => {
    try {
      assert.ok(servedUrl, 'needs the server of the first test');
      await runCommand('Developer: Reload Window');
      // The server answers while the window reloads: it is not the extension host's to take down.
      await until(
        'the server answering during the reload',
        () =>
          fetch(`${servedUrl}/v2/health/ready`).then(
            (r) => r.status,
            () => 0,
          ),
        (status) => status === 200,
      );
      await page.locator('.activitybar [aria-label^="ML Workbench"]').first().waitFor({ timeout: 60_000 });
      await runCommand('Notifications: Show Notifications');
      const offer = page
        .locator('.notifications-center .notification-list-item', { hasText: 'from before the reload is still running' })
        .first();
      await offer.waitFor({ timeout: 60_000 });
      assert.match(await offer.innerText(), new RegExp(`scorer\\.onnx at ${servedUrl.replace(/\./g, '\\.')}`));
      await shot('64-serve-reattach-offer');
      await offer.locator('.monaco-button', { hasText: 'Reattach' }).click();
      await runCommand('Notifications: Clear All Notifications');
      // The reloaded window shows the ML Workbench sidebar again; a click on its icon would hide it.
      if (!(await page.locator('.part.sidebar').isVisible()))
        await page.locator('.activitybar [aria-label^="ML Workbench"]').first().click();
      const row = sidebarRow(/scorer\.onnx[\s\S]*http:\/\/127\.0\.0\.1:\d+/);
      await row.waitFor({ timeout: 30_000 });
      assert.match(await row.innerText(), new RegExp(servedUrl.replace(/\./g, '\\.')));
      await sidebarRow(/^\s*scorer\s*dynamic batching\s*$/).waitFor();
      // Reattached for real: Stop Server ends the process.
      await rowAction(row, 'Stop Server');
      await until(
        'the server gone after Stop Server',
        () =>
          fetch(`${servedUrl}/v2/health/live`, { signal: AbortSignal.timeout(2_000) }).then(
            () => 'up',
            () => 'down',
          ),
        (s) => s === 'down',
      );
    } catch (e) {
      await shot('69-serve-reattach-failure').catch(() => undefined);
      throw e;
    }
  },
);
