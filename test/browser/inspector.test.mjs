// The ONNX inspector in the real workbench: a corpus model opens in the custom editor by default,
// shows its signature, and its graph can be searched to a node whose details appear.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { browserTestSkip, openWorkbench, shots } from '../harness/browserSession.mjs';

const skip = browserTestSkip();

let session;
let page;

before(async () => {
  if (skip) return;
  session = await openWorkbench('browser-inspector');
  page = session.page;
});

after(async () => {
  await session?.close();
});

test('opening a .onnx file shows the inspector with its signature, then its graph and a node', { skip, timeout: 180_000 }, async () => {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor();
  await input.fill('conv2d.onnx');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'conv2d.onnx' }).first().waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab', { hasText: 'conv2d.onnx' }).waitFor({ timeout: 30_000 });
  const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  const signature = frame.getByRole('table', { name: 'Inputs and outputs' });
  await signature.waitFor({ timeout: 60_000 });
  const text = await signature.innerText();
  // test_Conv2d: input [2,3,7,5] -> output [2,4,5,4], as python3-onnx reports it.
  assert.match(text, /2\D+3\D+7\D+5/);
  assert.match(text, /2\D+4\D+5\D+4/);
  assert.match(await frame.getByRole('table', { name: 'Opset imports' }).innerText(), /6/);
  await page.screenshot({ path: join(shots, '10-inspector-summary.png') });

  await frame.getByRole('tab', { name: 'Graph' }).click();
  await frame.getByRole('img', { name: /Model graph/ }).waitFor({ timeout: 30_000 });
  // The layout ran in the Web Worker: the page's CSP let the blob: worker start.
  const status = frame.locator('.insp-status', { hasText: /layout \d+ ms/ });
  await status.waitFor({ timeout: 30_000 });
  assert.match(await status.innerText(), /boxes, \d+ edges · layout \d+ ms in a worker/);
  await frame.getByRole('searchbox', { name: 'Find node or tensor' }).fill('Conv');
  const panel = frame.getByRole('complementary', { name: 'Selected node' });
  await panel.getByRole('heading', { name: 'Conv' }).waitFor({ timeout: 30_000 });
  assert.match(await panel.innerText(), /kernel_shape|strides|pads/);
  await page.screenshot({ path: join(shots, '11-inspector-graph.png') });
});
