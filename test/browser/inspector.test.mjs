// The ONNX inspector in the real workbench: a corpus model opens in the custom editor by default,
// shows its signature, and its graph can be searched to a node whose details appear. A 1,000-node
// transformer-like model opens legible on its inputs, folds its weights into the nodes, and its search
// counts nodes and tensors apart; Escape gives the view back. The canvas works from the keyboard: a focus
// ring, arrows along the edges, Enter for a node's details, +/- and 0.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { browserTestSkip, openWorkbench, runPaletteCommand, shots } from '../harness/browserSession.mjs';
import { transformerModel } from '../harness/transformerModel.mjs';

const skip = browserTestSkip();

let session;
let page;

before(async () => {
  if (skip) return;
  session = await openWorkbench('browser-inspector', {
    prepare: (ws) => writeFileSync(join(ws, 'models', 'transformer-1000.onnx'), transformerModel(1000)),
  });
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

test(
  'the graph canvas from the keyboard: focus ring, arrows along the edges, Enter, zoom and fit',
  { skip, timeout: 120_000 },
  async () => {
    // The conv2d graph of the test before, Conv selected by its search: input -> Conv -> output.
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    const canvas = frame.getByRole('img', { name: /Model graph/ });
    const canvasBox = frame.locator('.insp-canvas-box');
    const panel = frame.getByRole('complementary', { name: 'Selected node' });
    // Tab from the last control of the bar lands on the canvas, which shows a focus ring in the theme's focus colour.
    await frame.getByRole('checkbox', { name: 'Constants' }).focus();
    await page.keyboard.press('Tab');
    const ring = await canvas.evaluate((el) => {
      const probe = document.createElement('span');
      probe.style.color = 'var(--vscode-focusBorder)';
      document.body.append(probe);
      const focusColour = getComputedStyle(probe).color;
      probe.remove();
      const style = getComputedStyle(el);
      return {
        focused: document.activeElement === el,
        style: style.outlineStyle,
        width: style.outlineWidth,
        same: style.outlineColor === focusColour,
      };
    });
    assert.deepEqual(ring, { focused: true, style: 'solid', width: '2px', same: true });

    const announced = frame.locator('.insp-sr');
    const details = async (key, heading) => {
      await page.keyboard.press(key);
      await page.keyboard.press('Enter');
      await panel.getByRole('heading', { name: heading, exact: true }).waitFor({ timeout: 10_000 });
    };
    await details('ArrowUp', 'Graph input'); // up: the producer of Conv's input
    assert.match(await announced.innerText(), /^graph input \S+\. Enter shows its details\.$/);
    await details('ArrowDown', 'Conv'); // down: its consumer
    assert.match(await announced.innerText(), /^Conv /);
    await details('ArrowDown', 'Graph output');
    await page.keyboard.press('ArrowDown'); // nothing below the output: the selection stays
    await page.keyboard.press('ArrowLeft'); // alone in its layer
    await page.keyboard.press('Enter');
    await panel.getByRole('heading', { name: 'Graph output', exact: true }).waitFor();

    const scale = async () => Number((await canvasBox.getAttribute('data-view')).split(' ')[0]);
    const settle = async () => {
      let last = await scale();
      for (let i = 0; i < 20; i++) {
        await page.waitForTimeout(100);
        const now = await scale();
        if (now === last) return now;
        last = now;
      }
      return last;
    };
    const start = await settle();
    await page.keyboard.press('+');
    const zoomedIn = await settle();
    assert.ok(zoomedIn > start, `+ zooms in: ${start} -> ${zoomedIn}`);
    await page.keyboard.press('-');
    await page.keyboard.press('-');
    assert.ok((await settle()) < zoomedIn, '- zooms out');
    await page.keyboard.press('0');
    const fitted = await settle();
    await page.keyboard.press('+');
    await settle();
    await page.keyboard.press('0');
    assert.equal(await settle(), fitted, '0 fits the graph again');
    await page.screenshot({ path: join(shots, '11b-inspector-graph-keyboard.png') });
  },
);

test(
  'a 1,000-node model opens legible on its inputs, with weights on its nodes, and search counts nodes and tensors apart',
  { skip, timeout: 180_000 },
  async () => {
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await input.fill('transformer-1000.onnx');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'transformer-1000.onnx' }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
    await page.locator('.tabs-container .tab', { hasText: 'transformer-1000.onnx' }).waitFor({ timeout: 30_000 });
    const frame = page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
    await frame.getByRole('table', { name: 'Inputs and outputs' }).waitFor({ timeout: 60_000 });
    await frame.getByRole('tab', { name: 'Graph' }).click();
    const graph = frame.locator('.insp-graph[data-first-view-ms]');
    await graph.waitFor({ timeout: 60_000 });
    const first = await graph.evaluate((el) => ({ ...el.dataset }));
    assert.equal(first.firstViewLabels, 'true', `labels drawn at the first view (scale ${first.firstViewScale})`);
    assert.ok(Number(first.firstViewScale) >= 0.5, `opened at a readable scale: ${first.firstViewScale}`);
    const status = frame.locator('.insp-status');
    // 58 blocks of 17 nodes, the input and the output; the 986 weights are not boxes.
    assert.match(await status.innerText(), /^988 boxes, [\d,]+ edges · layout \d+ ms in a worker/);
    assert.equal(await frame.locator('.insp-overview:not([hidden])').count(), 1, 'the overview shows: the graph does not fit');
    await page.screenshot({ path: join(shots, '12-inspector-first-view.png') });

    const canvasBox = frame.locator('.insp-canvas-box');
    const view = () => canvasBox.getAttribute('data-view');
    const settled = async () => {
      let last = await view();
      for (let i = 0; i < 20; i++) {
        await page.waitForTimeout(100);
        const now = await view();
        if (now === last) return now;
        last = now;
      }
      return last;
    };
    const before = await settled();
    const search = frame.getByRole('searchbox', { name: 'Find node or tensor' });
    await search.fill('MatMul');
    await status.filter({ hasText: 'node 1 of 464 · 464 nodes, 0 tensors' }).waitFor({ timeout: 10_000 });
    const panel = frame.getByRole('complementary', { name: 'Selected node' });
    await panel.getByRole('heading', { name: 'MatMul' }).waitFor();
    // The weight is folded into the MatMul: its input row shows the initializer's type.
    assert.match(await panel.innerText(), /float \[8, 8\]/);
    await search.fill('matmul_12');
    await status.filter({ hasText: /^node 1 of \d+ · / }).waitFor({ timeout: 10_000 });
    assert.match(await panel.innerText(), /matmul_12\b/, 'the exact name first');
    await search.fill('t5');
    await status.filter({ hasText: /tensor 1 of \d+ \(t5\)/ }).waitFor({ timeout: 10_000 });
    assert.match(await panel.innerText(), /Outputs \(1\)\s+t5\b/, 'the node producing t5');
    await page.screenshot({ path: join(shots, '13-inspector-search.png') });
    await search.press('Escape');
    await status.filter({ hasText: /^988 boxes/ }).waitFor({ timeout: 10_000 });
    assert.equal(await search.inputValue(), '');
    assert.equal(await settled(), before, 'Escape gives back the view from before the search');
  },
);

test(
  'Measure Tensor Shapes runs the model and shows measured shapes and values on the open graph',
  { skip, timeout: 180_000 },
  async () => {
    // The transformer-1000 inspector of the test before is the active editor, on its Graph tab.
    const frame = page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
    const canvasBox = frame.locator('.insp-canvas-box');
    const viewBefore = await canvasBox.getAttribute('data-view');
    await runPaletteCommand(page, 'ML: Measure Tensor Shapes');
    // One box per free dimension (batch, seq), each prefilled and saying why: take 2 and 5.
    for (const [dim, value] of [
      ['batch', '2'],
      ['seq', '5'],
    ]) {
      const box = page.locator('.quick-input-widget .quick-input-box input');
      await page.locator('.quick-input-widget', { hasText: `"${dim}"` }).waitFor({ timeout: 30_000 });
      await box.fill(value);
      await page.keyboard.press('Enter');
    }
    await frame.locator('.insp-header', { hasText: /Measured \d+ tensor shapes/ }).waitFor({ timeout: 60_000 });
    assert.equal(await canvasBox.getAttribute('data-view'), viewBefore, 'the graph keeps its layout and view');
    const search = frame.getByRole('searchbox', { name: 'Find node or tensor' });
    await search.fill('softmax_7');
    const panel = frame.getByRole('complementary', { name: 'Selected node' });
    await panel.getByRole('heading', { name: 'Softmax' }).waitFor({ timeout: 10_000 });
    const text = await panel.innerText();
    // Softmax over [2, 5, 5] attention scores: measured, with values between 0 and 1.
    assert.match(text, /Outputs \(1\)\s+t7\s+tensor\(float\) \[2, 5, 5\] \(measured\)/, text);
    const [, min, max] = /min ([\d.e-]+) · max ([\d.e-]+)/.exec(text.slice(text.indexOf('Outputs (1)'))) ?? [];
    assert.ok(Number(min) >= 0 && Number(max) <= 1 && Number(max) > 0, `softmax values in [0, 1]: ${min}..${max}`);
    await page.screenshot({ path: join(shots, '14-inspector-measured.png') });
  },
);
