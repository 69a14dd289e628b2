// Workspace Trust: in Restricted Mode models can still be inspected, but serving is refused with a
// message that names Restricted Mode and offers the way out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { browserTestSkip, openWorkbench, shots } from '../harness/browserSession.mjs';

const skip = browserTestSkip();

let session;
let page;

before(async () => {
  if (skip) return;
  session = await openWorkbench('browser-untrusted', { trusted: false });
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
