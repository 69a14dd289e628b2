// Editing a model in the ONNX inspector, in the real workbench: the Summary tab renames an input and names
// its batch dimension; the tab shows the dirty marker and the edited, not saved note; Ctrl+Z and Ctrl+Y undo
// and redo through VS Code's history; Ctrl+S writes the file, which Debian's python3-onnx loads, checks and
// reads back with the new name and dim; the inspector then shows the saved model with no pending edits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { browserTestSkip, openWorkbench, shots } from '../harness/browserSession.mjs';

const PYTHON = '/usr/bin/python3';
const havePythonOnnx = () => {
  try {
    execFileSync(PYTHON, ['-c', 'import onnx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const skip = browserTestSkip() || (!existsSync(PYTHON) || !havePythonOnnx() ? 'missing python3-onnx' : false);

let session;
let page;
let workspace;

before(async () => {
  if (skip) return;
  session = await openWorkbench('browser-inspector-edit', { prepare: (ws) => (workspace = ws) });
  page = session.page;
});

after(async () => {
  await session?.close();
});

/** The model's signature and checker verdict, as python3-onnx reads the file (load, then check the object). */
function pythonView(path) {
  const script = [
    'import json, sys, onnx',
    'm = onnx.load(sys.argv[1])',
    'onnx.checker.check_model(m)',
    'dims = lambda v: [d.dim_param if d.HasField("dim_param") else d.dim_value for d in v.type.tensor_type.shape.dim]',
    'inits = {i.name for i in m.graph.initializer}',
    'print(json.dumps({"inputs": [[v.name, dims(v)] for v in m.graph.input if v.name not in inits],',
    '  "outputs": [[v.name, dims(v)] for v in m.graph.output], "nodeInputs": [list(n.input) for n in m.graph.node]}))',
  ].join('\n');
  return JSON.parse(execFileSync(PYTHON, ['-c', script, path], { encoding: 'utf8' }));
}

test('rename an input and name its batch dim in the Summary tab, undo, redo, save', { skip, timeout: 240_000 }, async () => {
  const file = join(workspace, 'models', 'linear.onnx');
  assert.deepEqual(pythonView(file).inputs, [['0', [4, 10]]]);

  await page.keyboard.press('Control+P');
  const quick = page.locator('.quick-input-widget .quick-input-box input');
  await quick.waitFor();
  await quick.fill('linear.onnx');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'linear.onnx' }).first().waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
  const tab = page.locator('.tabs-container .tab', { hasText: 'linear.onnx' });
  await tab.waitFor({ timeout: 30_000 });
  const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  const signature = frame.getByRole('table', { name: 'Inputs and outputs' });
  await signature.waitFor({ timeout: 60_000 });

  // Rename input 0: its name is a button; Enter in the text box makes the edit.
  await frame.getByRole('button', { name: 'Rename input 0' }).click();
  const nameBox = frame.getByRole('textbox', { name: 'New name for input 0' });
  await nameBox.fill('features');
  await nameBox.press('Enter');
  await frame.getByRole('button', { name: 'Rename input features (edited, not saved)' }).waitFor({ timeout: 10_000 });
  // Its batch dimension becomes a name, from the keyboard: focus the dim, Enter opens the box.
  const dim = frame.getByRole('button', { name: 'Set dimension 0 of input features, now 4' });
  await dim.focus();
  await page.keyboard.press('Enter');
  const dimBox = frame.getByRole('textbox', { name: 'Dimension 0 of input features: a size or a name' });
  await dimBox.fill('batch');
  await dimBox.press('Enter');
  const dimEdited = frame.getByRole('button', { name: 'Set dimension 0 of input features, now batch (edited, not saved)' });
  await dimEdited.waitFor({ timeout: 10_000 });
  assert.match(await signature.innerText(), /features \(was 0\)\s+tensor\(float\)\s+\[batch, 10\]/);
  const status = frame.getByRole('status').filter({ hasText: 'not saved' });
  assert.match(await status.innerText(), /^2 edits, not saved\. Save \(Ctrl\+S\)/);
  await tab.and(page.locator('.dirty')).waitFor({ timeout: 10_000 });
  assert.deepEqual(pythonView(file).inputs, [['0', [4, 10]]], 'nothing is written before Save');
  await page.screenshot({ path: join(shots, '15-inspector-edit-pending.png') });

  // Undo both through VS Code's history (focus is on the dim control, not in a text box), then redo both.
  assert.equal(await dimEdited.evaluate((el) => el === document.activeElement), true, 'focus kept on the edited control');
  await page.keyboard.press('Control+Z');
  await frame.getByRole('button', { name: 'Set dimension 0 of input features, now 4' }).waitFor({ timeout: 10_000 });
  await page.keyboard.press('Control+Z');
  await frame.getByRole('button', { name: 'Rename input 0' }).waitFor({ timeout: 10_000 });
  await tab.and(page.locator('.dirty')).waitFor({ state: 'detached', timeout: 10_000 });
  assert.doesNotMatch(await signature.innerText(), /features|batch/);
  await page.keyboard.press('Control+Y');
  await frame.getByRole('button', { name: 'Rename input features (edited, not saved)' }).waitFor({ timeout: 10_000 });
  await page.keyboard.press('Control+Y');
  await dimEdited.waitFor({ timeout: 10_000 });
  await tab.and(page.locator('.dirty')).waitFor({ timeout: 10_000 });

  // Save: the file now has the new name and dim, passes the checker; the inspector shows it saved.
  await page.keyboard.press('Control+S');
  await tab.and(page.locator('.dirty')).waitFor({ state: 'detached', timeout: 30_000 });
  const saved = pythonView(file);
  assert.deepEqual(saved.inputs, [['features', ['batch', 10]]]);
  assert.deepEqual(saved.outputs, [['3', [4, 8]]]);
  assert.ok(
    saved.nodeInputs.some((i) => i.includes('features')),
    'the node reading the input reads it by its new name',
  );
  await frame.getByRole('button', { name: 'Set dimension 0 of input features, now batch' }).waitFor({ timeout: 30_000 });
  await frame.locator('.insp-header', { hasText: 'Reloaded' }).waitFor({ timeout: 30_000 });
  assert.equal(await frame.locator('.insp-edited').count(), 0, 'no edit pending after the reload');
  assert.equal(await status.count(), 0);
  await page.screenshot({ path: join(shots, '16-inspector-edit-saved.png') });
});

test('Restricted Mode: the edit controls say why and are disabled', { skip, timeout: 180_000 }, async () => {
  const untrusted = await openWorkbench('browser-inspector-edit-untrusted', { trusted: false });
  try {
    const p = untrusted.page;
    await p.locator('.part.statusbar', { hasText: 'Restricted Mode' }).waitFor({ timeout: 60_000 });
    await p.keyboard.press('Control+P');
    const quick = p.locator('.quick-input-widget .quick-input-box input');
    await quick.waitFor();
    await quick.fill('linear.onnx');
    await p.locator('.quick-input-widget .monaco-list-row', { hasText: 'linear.onnx' }).first().waitFor({ timeout: 30_000 });
    await p.keyboard.press('Enter');
    const frame = p.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    const rename = frame.getByRole('button', { name: 'Rename input 0' });
    await rename.waitFor({ timeout: 60_000 });
    assert.equal(await rename.isDisabled(), true);
    assert.equal(await frame.getByRole('button', { name: 'Add metadata entry' }).isDisabled(), true);
    assert.match(await frame.getByRole('note').innerText(), /Editing is off in Restricted Mode: saving writes files\. Trust this folder/);
    await p.screenshot({ path: join(shots, '17-inspector-edit-restricted.png') });
  } finally {
    await untrusted.close();
  }
});
