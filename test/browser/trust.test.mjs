// Workspace Trust: in Restricted Mode models can still be inspected, but serving is refused with a
// message that names Restricted Mode and offers the way out, and the workspace's own settings cannot
// make the extension run a program of the workspace's choosing or pick the Docker engine. The same
// workspace, trusted, gets its settings honoured: the check can fail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { browserTestSkip, openWorkbench, shots } from '../harness/browserSession.mjs';

const skip = browserTestSkip();
const ENGINE = 'unix:///nonexistent/engine-the-workspace-chose.sock';

/** What a hostile repository could ship: settings that point the interpreter at its own script, and an engine address. */
function hostileSettings(ws) {
  const script = join(ws, 'not-python.sh');
  writeFileSync(script, `#!/bin/sh\necho ran > "${join(ws, 'the-script-ran.txt')}"\n`, { mode: 0o755 });
  mkdirSync(join(ws, '.vscode'), { recursive: true });
  writeFileSync(
    join(ws, '.vscode', 'settings.json'),
    JSON.stringify({ 'mlWorkbench.pythonPath': script, 'mlWorkbench.docker.host': ENGINE }, null, 2),
  );
}

/** Check Environment's Python and Docker rows, and whether the workspace's script ran. */
async function checkEnvironment(session, ws) {
  await session.runCommand('ML: Check Environment');
  const frame = session.page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
  const python = frame.locator('tr[data-check="python"]');
  await python.waitFor({ timeout: 60_000 });
  return {
    python: await python.innerText(),
    docker: await frame.locator('tr[data-check="docker"]').innerText(),
    ran: existsSync(join(ws, 'the-script-ran.txt')),
  };
}

let session;
let page;
let workspace;

before(async () => {
  if (skip) return;
  session = await openWorkbench('browser-untrusted', { trusted: false, prepare: (ws) => ((workspace = ws), hostileSettings(ws)) });
  page = session.page;
  // No trust prompt (startupPrompt: never): the folder opens in Restricted Mode, as the status bar says.
  await page.locator('.part.statusbar', { hasText: 'Restricted Mode' }).waitFor({ timeout: 60_000 });
});

after(async () => {
  await session?.close();
});

test('Restricted Mode: inspection works, serving is refused with a clear message', { skip, timeout: 180_000 }, async () => {
  await page.locator('.activitybar [aria-label^="ML Workbench"]').first().click();
  // Inspection: the Models view lists the workspace's models.
  await page.locator('.part.sidebar [role="treeitem"]', { hasText: 'conv2d.onnx' }).first().waitFor({ timeout: 60_000 });

  await session.runCommand('ML: Serve Model');
  // Notification toasts are hidden under the smoke-test driver: read the notification centre.
  await session.runCommand('Notifications: Show Notifications');
  const message = page.locator('.notifications-center .notification-list-item-message', { hasText: 'Restricted Mode' }).first();
  await message.waitFor({ timeout: 30_000 });
  assert.match(await message.innerText(), /disabled in Restricted Mode/);
  const item = page.locator('.notifications-center .notification-list-item', { hasText: 'Restricted Mode' }).first();
  assert.match(await item.innerText(), /Manage Workspace Trust/);
  await page.screenshot({ path: join(shots, '04-restricted-mode.png') });
});

test(
  'Restricted Mode: the workspace cannot choose the interpreter Check Environment runs, nor the Docker engine',
  { skip, timeout: 180_000 },
  async () => {
    const seen = await checkEnvironment(session, workspace);
    assert.doesNotMatch(seen.python, /not-python\.sh/);
    assert.equal(seen.ran, false, "the workspace's script was not run");
    assert.doesNotMatch(seen.docker, /engine-the-workspace-chose/);
  },
);

test('the same workspace, trusted: its interpreter and engine settings are used', { skip, timeout: 180_000 }, async () => {
  await session.close();
  session = undefined;
  let ws;
  const trusted = await openWorkbench('browser-trusted-settings', { prepare: (dir) => ((ws = dir), hostileSettings(dir)) });
  try {
    // The extension's contributions are in once its activity-bar icon is: its commands are then in the palette.
    await trusted.page.locator('.activitybar [aria-label^="ML Workbench"]').first().waitFor({ timeout: 60_000 });
    const seen = await checkEnvironment(trusted, ws);
    assert.equal(seen.ran, true, 'the interpreter the workspace names was run');
    assert.match(seen.python, /not-python\.sh/);
    assert.match(seen.docker, /engine-the-workspace-chose\.sock \[setting\]/);
  } finally {
    await trusted.close();
    rmSync(join(ws, '.vscode'), { recursive: true, force: true });
  }
});
