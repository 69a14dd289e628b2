// The benchmark of an ONNX model in the real workbench: run from the inspector's editor title button,
// the benchmark webview shows its figures table and two canvases; a second run adds the comparison.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { browserTestSkip, openWorkbench, shots } from '../harness/browserSession.mjs';

const skip = browserTestSkip();

let session;
let page;

before(async () => {
  if (skip) return;
  session = await openWorkbench('browser-benchmark');
  page = session.page;
});

after(async () => {
  await session?.close();
});

async function benchmarkFromTitleButton(runs) {
  await page.locator('.editor-actions [aria-label="Benchmark Model"]').first().click();
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor();
  await page.keyboard.press('Enter'); // batch size 1
  await page.locator('.quick-input-widget', { hasText: 'Timed runs' }).waitFor();
  await input.fill(String(runs));
  await page.keyboard.press('Enter');
  // Then: run now, or set threads, optimisation level and symbolic dims first.
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'More options' }).waitFor();
  // "Run" is the first, focused row: Enter picks it (a click can land while the list is still re-rendering).
  await page
    .locator('.quick-input-widget .monaco-list-row.focused', { hasText: /^\s*Run\s*$/ })
    .first()
    .waitFor();
  await page.keyboard.press('Enter');
}

test('benchmarking a model shows its figures, histogram and runs over time, then a comparison', { skip, timeout: 180_000 }, async () => {
  await page.keyboard.press('Control+P');
  const quick = page.locator('.quick-input-widget .quick-input-box input');
  await quick.waitFor();
  await quick.fill('conv2d.onnx');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'conv2d.onnx' }).first().waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab', { hasText: 'conv2d.onnx' }).waitFor({ timeout: 30_000 });

  await benchmarkFromTitleButton(50);
  await page.locator('.tabs-container .tab', { hasText: 'Benchmark: conv2d.onnx' }).waitFor({ timeout: 60_000 });
  const frame = page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
  const figures = frame.getByRole('table', { name: 'Benchmark figures' });
  await figures.waitFor({ timeout: 60_000 });
  assert.match(await figures.innerText(), /p50[\s\S]*ms[\s\S]*Throughput/);
  await frame.getByRole('img', { name: 'Latency histogram' }).waitFor();
  await frame.getByRole('img', { name: 'Latency of each run over time' }).waitFor();
  await page.screenshot({ path: join(shots, '20-benchmark.png') });

  await frame.getByText('Run Again').click();
  await frame.getByRole('columnheader', { name: 'Previous' }).waitFor({ timeout: 60_000 });
  assert.match(await figures.innerText(), /Change/);
  await page.screenshot({ path: join(shots, '21-benchmark-compare.png') });
});
