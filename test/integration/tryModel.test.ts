import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { pythonFixtureDir } from '../support/pythonFixtureDir';
import { SYSTEM_PYTHON } from '../support/requires';
import { EXTENSION_ID } from './activation.test';
import { waitFor } from './support';

const SCRIPT = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'python', 'try_models.py');

function hasTorchStack(): boolean {
  try {
    execFileSync(SYSTEM_PYTHON, ['-c', 'import torch, onnx, numpy, PIL'], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

interface TryReply {
  outputs: { name: string; shape: number[]; topK?: { index: number; label?: string }[][] }[];
  saved?: { output: string; npy?: string; png?: string }[];
}

/** The torch CNN's truth on photo.png (try_models.py): the classes' softmax probabilities and their labels. */
interface CnnTruth {
  probs: number[];
  top1: number;
  labels: string[];
}

const tabs = (): vscode.Tab[] => vscode.window.tabGroups.all.flatMap((g) => g.tabs);

describe('Try Model on real inputs', function () {
  this.timeout(240_000);
  let folder: string;
  let truth: CnnTruth;

  before(async function () {
    if (!hasTorchStack()) {
      if (process.env.CI === 'true') throw new Error(`CI=true and torch, onnx, numpy or PIL is missing for ${SYSTEM_PYTHON}`);
      this.skip();
    }
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(root, 'the test workspace is open');
    // The models and inputs of the mlw try system test, copied into the workspace as a user would have them.
    const fixtures = pythonFixtureDir(SCRIPT, 'mlw-try-models', 180_000);
    folder = path.join(root, 'try-model');
    await fsp.mkdir(folder, { recursive: true });
    for (const f of ['cnn.onnx', 'photo.png', 'table.onnx', 'iris.csv']) await fsp.copyFile(path.join(fixtures, f), path.join(folder, f));
    truth = JSON.parse(await fsp.readFile(path.join(fixtures, 'cnn.json'), 'utf8')) as CnnTruth;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (folder) await fsp.rm(folder, { recursive: true, force: true });
  });

  it('runs a CNN on an image file and shows the top-k with labels and the input image in a Markdown preview', async () => {
    const result = await vscode.commands.executeCommand<TryReply | undefined>(
      'mlWorkbench.tryModel',
      vscode.Uri.file(path.join(folder, 'cnn.onnx')),
      {
        inputs: [`image=${path.join(folder, 'photo.png')}`],
        preset: 'imagenet',
        show: true,
      },
    );
    assert.ok(result, 'Try Model returned nothing (see the log)');
    assert.deepEqual(
      result.outputs.map((o) => [o.name, o.shape]),
      [['logits', [1, 5]]],
    );
    assert.equal(result.outputs[0].topK?.[0][0].index, truth.top1);

    await waitFor('the Markdown preview of the result', () =>
      tabs().find(
        (t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('markdown.preview') && /try-result\.md/.test(t.label),
      ),
    );
    // What the preview shows: the document Try wrote beside the saved outputs.
    const saved = result.saved?.find((s) => s.output === 'logits')?.npy;
    assert.ok(saved, 'the outputs were saved for the preview');
    const dir = path.dirname(saved);
    const md = await fsp.readFile(path.join(dir, 'try-result.md'), 'utf8');
    assert.match(md, /^# Try cnn\.onnx$/m);
    assert.match(md, /^input {2}image: float32\[1,3,32,32\]$/m);
    assert.match(md, /from .*photo\.png: PNG 50x40 RGB, resized to 32x32 \(bilinear\), RGB NCHW, preset imagenet/);
    assert.match(md, /^output logits: float32\[1,5\] {2}first: /m);
    // The top-5 line lists torch's classes in torch's order of probability, with the labels from the metadata.
    const order = truth.probs.map((p, i) => [p, i] as const).sort((a, b) => b[0] - a[0]);
    const expected = order.map(([p, i]) => `#${i} ${truth.labels[i]} ${(p * 100).toFixed(1)}%`).join('  ');
    assert.ok(
      md.includes(`row 0 top-5 (softmax of logits, labels from metadata 'labels'): ${expected}`),
      `no top-5 line "${expected}" in:\n${md}`,
    );
    assert.match(md, /^## Input `image`$/m);
    assert.match(md, /^!\[image\]\(input-1\.png\)$/m);
    assert.ok(existsSync(path.join(dir, 'input-1.png')), 'the input image sits beside the document, for the preview');
  });

  it('runs a model on a CSV row and shows the tensor fed and the output in a text document', async () => {
    const result = await vscode.commands.executeCommand<TryReply | undefined>(
      'mlWorkbench.tryModel',
      vscode.Uri.file(path.join(folder, 'table.onnx')),
      {
        inputs: [path.join(folder, 'iris.csv')],
        row: 2,
        show: true,
      },
    );
    assert.ok(result, 'Try Model returned nothing (see the log)');
    assert.deepEqual(
      result.outputs.map((o) => [o.name, o.shape]),
      [['x_out', [1, 4]]],
    );
    const doc = await waitFor('the result document', () =>
      vscode.window.visibleTextEditors.map((e) => e.document).find((d) => d.getText().includes('table.onnx: one run in')),
    );
    assert.ok(doc.isUntitled && doc.languageId === 'plaintext', 'the result is shown in an untitled text document');
    const text = doc.getText();
    assert.match(text, /^input {2}x: float32\[1,4\]$/m);
    assert.match(
      text,
      /from .*iris\.csv: CSV data row 2 of 2 \(line 3\), 4 columns: sepal_length, sepal_width, petal_length, petal_width; text columns left out: species/,
    );
    // Identity on x: the output is the second data row, 6.2, 2.9, 4.3, 1.3 as float32.
    const first = /^output x_out: float32\[1,4\] {2}first: (.*)$/m.exec(text);
    assert.ok(first, `no output line in:\n${text}`);
    const values = first[1].split(', ').map(Number);
    assert.deepEqual(
      values.map((v) => Math.round(v * 10) / 10),
      [6.2, 2.9, 4.3, 1.3],
    );
    // An untitled document: reverted, so closing it asks nothing.
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
