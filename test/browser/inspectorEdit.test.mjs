// Editing a model in the ONNX inspector, in the real workbench: the Summary tab renames an input and names
// its batch dimension; the tab shows the dirty marker and the edited, not saved note; Ctrl+Z and Ctrl+Y undo
// and redo through VS Code's history; Ctrl+S writes the file, which Debian's python3-onnx loads, checks and
// reads back with the new name and dim; the inspector then shows the saved model with no pending edits.
// On a small chain model it renames a node and adds an intermediate tensor as an output from the graph's node
// panel, removes the original output in the Summary tab, undoes and redoes, and saves a file that python3-onnx
// checks and onnxruntime-node runs with the new output.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
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

/** x [1, 4] -> MatMul "fc" -> h -> Relu "act" -> r -> Add "bias" -> y, written with python3-onnx's helper. */
const CHAIN_MODEL = [
  'import sys, numpy as np, onnx',
  'from onnx import helper as h, numpy_helper as nh, TensorProto as T',
  'nodes = [h.make_node("MatMul", ["x", "w"], ["h"], name="fc"), h.make_node("Relu", ["h"], ["r"], name="act"),',
  '         h.make_node("Add", ["r", "b"], ["y"], name="bias")]',
  'inits = [nh.from_array(np.arange(16, dtype=np.float32).reshape(4, 4) - 8, "w"), nh.from_array(np.ones(4, np.float32), "b")]',
  'g = h.make_graph(nodes, "chain", [h.make_tensor_value_info("x", T.FLOAT, [1, 4])], [h.make_tensor_value_info("y", T.FLOAT, [1, 4])], inits)',
  'onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 13)]), sys.argv[1])',
].join('\n');

let session;
let page;
let workspace;

before(async () => {
  if (skip) return;
  session = await openWorkbench('browser-inspector-edit', {
    prepare: (ws) => {
      workspace = ws;
      execFileSync(PYTHON, ['-c', CHAIN_MODEL, join(ws, 'models', 'chain.onnx')]);
    },
  });
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
    '  "outputs": [[v.name, dims(v)] for v in m.graph.output], "nodeInputs": [list(n.input) for n in m.graph.node],',
    '  "nodeNames": [n.name for n in m.graph.node]}))',
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

test(
  'rename a node and add an intermediate output in the graph, remove an output, undo, redo, save',
  { skip, timeout: 240_000 },
  async () => {
    const file = join(workspace, 'models', 'chain.onnx');
    await session.runCommand('View: Close All Editors'); // one inspector webview on the page
    await page.keyboard.press('Control+P');
    const quick = page.locator('.quick-input-widget .quick-input-box input');
    await quick.waitFor();
    await quick.fill('chain.onnx');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'chain.onnx' }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
    const tab = page.locator('.tabs-container .tab', { hasText: 'chain.onnx' });
    await tab.waitFor({ timeout: 30_000 });
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    const signature = frame.getByRole('table', { name: 'Inputs and outputs' });
    await signature.waitFor({ timeout: 60_000 });

    // The graph's node panel: find node act, rename it, and make its output r (an intermediate tensor) a graph output.
    await frame.getByRole('tab', { name: 'Graph' }).click();
    await frame.getByRole('searchbox', { name: 'Find node or tensor' }).fill('act');
    const panel = frame.getByRole('complementary', { name: 'Selected node' });
    await panel.getByRole('heading', { name: 'Relu' }).waitFor({ timeout: 30_000 });
    await panel.getByRole('button', { name: 'Rename node act' }).click();
    const nameBox = panel.getByRole('textbox', { name: 'New name for node act' });
    await nameBox.fill('activation');
    await nameBox.press('Enter');
    await panel.getByRole('button', { name: 'Rename node activation (edited, not saved)' }).waitFor({ timeout: 10_000 });
    await panel.getByRole('button', { name: 'Add r as graph output' }).click();
    await panel.getByText('graph output', { exact: true }).waitFor({ timeout: 10_000 });

    // The Summary tab lists r as added; remove the file's output y there.
    await frame.getByRole('tab', { name: 'Summary' }).click();
    assert.match(await signature.innerText(), /r \(added, not saved\)\s+tensor\(float\)/);
    await frame.getByRole('button', { name: 'Remove output y' }).click();
    const status = frame.getByRole('status').filter({ hasText: 'not saved' });
    await status.filter({ hasText: /^3 edits/ }).waitFor({ timeout: 10_000 });
    await frame.getByText('Outputs removed, not saved: y').waitFor();
    await page.screenshot({ path: join(shots, '16b-inspector-edit-structure.png') });

    // Undo the removal through VS Code's history, then redo it.
    await page.keyboard.press('Control+Z');
    await frame.getByRole('button', { name: 'Remove output y' }).waitFor({ timeout: 10_000 });
    await status.filter({ hasText: /^2 edits/ }).waitFor({ timeout: 10_000 });
    await page.keyboard.press('Control+Y');
    await status.filter({ hasText: /^3 edits/ }).waitFor({ timeout: 10_000 });
    assert.deepEqual(pythonView(file).outputs, [['y', [1, 4]]], 'nothing is written before Save');

    await page.keyboard.press('Control+S');
    await tab.and(page.locator('.dirty')).waitFor({ state: 'detached', timeout: 30_000 });
    const saved = pythonView(file);
    assert.deepEqual(saved.outputs, [['r', [1, 4]]]);
    assert.deepEqual(saved.nodeNames, ['fc', 'activation', 'bias']);
    const runtime = await ort.InferenceSession.create(file);
    try {
      assert.deepEqual(runtime.outputNames, ['r']);
      const out = await runtime.run({ x: new ort.Tensor('float32', Float32Array.from([0, 0, 0, 1]), [1, 4]) });
      assert.deepEqual(Array.from(out.r.data), [4, 5, 6, 7]); // row 3 of w, through Relu
    } finally {
      await runtime.release();
    }
    await frame.getByRole('button', { name: 'Remove output r' }).waitFor({ timeout: 30_000 });
    assert.equal(await frame.locator('.insp-edited').count(), 0, 'no edit pending after the reload');
  },
);

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
