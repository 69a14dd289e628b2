import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { summarizeModel } from '../../src/core/onnx';
import { EXTENSION_ID } from './activation.test';
import { waitFor } from './support';

const PYTHON = '/usr/bin/python3';

function hasTorch(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

interface ExportReply {
  output: string;
  kind: string;
  outputs: { name: string; shape: number[] }[];
}

describe('Export to ONNX', function () {
  this.timeout(120_000);
  let folder: string;

  before(async function () {
    if (!hasTorch()) {
      if (process.env.CI === 'true') throw new Error('CI=true and python3-torch is missing for /usr/bin/python3');
      this.skip();
    }
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(root, 'the test workspace is open');
    folder = path.join(root, 'export-onnx');
    await fsp.mkdir(folder, { recursive: true });
    await fsp.writeFile(
      path.join(root, 'int_export_net.py'),
      'import torch\n\n\nclass Net(torch.nn.Module):\n    def __init__(self, features=4, classes=2):\n        super().__init__()\n        self.fc = torch.nn.Linear(features, classes)\n\n    def forward(self, x):\n        return self.fc(x)\n',
    );
    execFileSync(
      PYTHON,
      [
        '-c',
        'import sys, torch; sys.path.insert(0, sys.argv[1]); import int_export_net as m; n = m.Net(features=5).eval(); ' +
          'torch.jit.save(torch.jit.script(n), sys.argv[2]); torch.save(n.state_dict(), sys.argv[3])',
        root,
        path.join(folder, 'scripted.pt'),
        path.join(folder, 'weights.pth'),
      ],
      { env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' }, timeout: 60_000 },
    );
    await vscode.workspace.getConfiguration('mlWorkbench').update('pythonPath', PYTHON, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('mlWorkbench').update('pythonPath', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (folder) await fsp.rm(folder, { recursive: true, force: true });
  });

  it('exports a TorchScript file with a dynamic batch and opens it in the ONNX inspector', async () => {
    const uri = vscode.Uri.file(path.join(folder, 'scripted.pt'));
    const result = (await vscode.commands.executeCommand('mlWorkbench.exportToOnnx', uri, {
      kind: 'torchscript',
      inputShapes: '1,5',
      dynamicAxes: '0=batch',
    })) as ExportReply | undefined;
    assert.ok(result, 'the command returned its result (an error would have been shown instead)');
    assert.equal(result.output, path.join(folder, 'scripted.onnx'));
    const summary = await summarizeModel(result.output);
    assert.deepEqual(
      summary.inputs.map((v) => [v.name, v.shape]),
      [['input', ['batch', 5]]],
    );
    const tab = await waitFor('the ONNX inspector tab', () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputCustom && t.input.uri.fsPath === result.output),
    );
    assert.ok(tab.input instanceof vscode.TabInputCustom);
    assert.equal(tab.input.viewType, 'mlWorkbench.onnxInspector');
  });

  it('exports a state dict into a class from the workspace, named tensors, without opening', async () => {
    const uri = vscode.Uri.file(path.join(folder, 'weights.pth'));
    const result = (await vscode.commands.executeCommand('mlWorkbench.exportToOnnx', uri, {
      kind: 'state-dict',
      className: 'int_export_net:Net',
      kwargs: '{"features": 5}',
      inputShapes: '2,5',
      inputNames: 'features',
      outputNames: 'logits',
      output: 'weights-named.onnx',
      open: false,
    })) as ExportReply | undefined;
    assert.ok(result);
    assert.equal(result.kind, 'state-dict');
    assert.deepEqual(result.outputs, [{ name: 'logits', shape: [2, 2], dtype: 'float32' }]);
    const summary = await summarizeModel(path.join(folder, 'weights-named.onnx'));
    assert.deepEqual(
      summary.inputs.map((v) => [v.name, v.shape]),
      [['features', [2, 5]]],
    );
  });

  it('a shape the model does not take shows one line with Export Again…, and writes nothing', async () => {
    const uri = vscode.Uri.file(path.join(folder, 'scripted.pt'));
    // The error policy's notification, captured (the extension shares this API object) instead of waiting on it.
    const window = vscode.window as { showErrorMessage: (...args: unknown[]) => Thenable<unknown> };
    const original = window.showErrorMessage;
    const shown: { message: string; items: string[] }[] = [];
    window.showErrorMessage = (message: unknown, ...rest: unknown[]) => {
      shown.push({ message: String(message), items: rest.filter((r): r is string => typeof r === 'string') });
      return Promise.resolve(undefined);
    };
    let result: unknown;
    try {
      result = await vscode.commands.executeCommand('mlWorkbench.exportToOnnx', uri, {
        kind: 'torchscript',
        inputShapes: '1,7',
        output: 'bad-shape.onnx',
        open: false,
      });
    } finally {
      window.showErrorMessage = original;
    }
    assert.equal(result, undefined);
    assert.equal(shown.length, 1, JSON.stringify(shown));
    assert.match(
      shown[0].message,
      /^Cannot export scripted\.pt: the model does not run on inputs of shape 1,7 float32: .*shapes cannot be multiplied/,
    );
    assert.equal(shown[0].message.includes('\n'), false, 'one line');
    assert.deepEqual(shown[0].items, ['Export Again…', 'Show Log']);
    assert.equal(existsSync(path.join(folder, 'bad-shape.onnx')), false);
    assert.deepEqual(
      (await fsp.readdir(folder)).filter((f) => f.endsWith('.partial')),
      [],
    );
  });
});
