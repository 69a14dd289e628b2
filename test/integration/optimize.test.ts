import * as assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import * as vscode from 'vscode';
import { EXTENSION_ID } from './activation.test';
import { waitFor } from './support';

interface OptimizeReply {
  original: { path: string; p50Ms: number };
  variants: { path: string; recipe: string; verdict: string; agreement: { maxAbsDiff: number } }[];
}

describe('Optimize Model', () => {
  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
  });

  it('writes an ort-basic variant beside the model, checked, and shows the report beside it', async function () {
    this.timeout(120_000);
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test workspace is open');
    const uri = vscode.Uri.joinPath(folder.uri, 'models', 'conv2d.onnx');
    const variant = vscode.Uri.joinPath(folder.uri, 'models', 'conv2d.ort-basic.onnx').fsPath;
    try {
      const report = await vscode.commands.executeCommand<OptimizeReply | undefined>('mlWorkbench.optimizeModel', uri, {
        recipes: ['ort-basic'],
        runs: 5,
      });
      assert.ok(report, 'the command returned the report (see the log when it did not)');
      assert.equal(report.original.path, uri.fsPath);
      assert.deepEqual(
        report.variants.map((v) => [v.recipe, v.path]),
        [['ort-basic', variant]],
      );
      assert.ok(existsSync(variant));
      assert.ok(report.variants[0].agreement.maxAbsDiff <= 1e-5);
      assert.match(report.variants[0].verdict, /^ort-basic: .*cosine 1\.000000/);
      await waitFor('the optimize report panel', () =>
        vscode.window.tabGroups.all
          .flatMap((g) => g.tabs)
          .find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('mlWorkbench.optimizeReport')),
      );
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      rmSync(variant, { force: true });
    }
  });
});
