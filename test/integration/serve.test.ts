import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID } from './activation.test';

interface TensorMeta {
  name: string;
  datatype: string;
  shape: number[];
}

async function activated(): Promise<void> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext);
  await ext.activate();
}

function workspaceFile(rel: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test needs a workspace folder');
  return vscode.Uri.joinPath(folder.uri, rel);
}

// models/linear.onnx (libonnx-testdata pytorch-converted/test_Linear) is opset 6: onnxruntime has no Gemm-6 kernel, so
// the server refuses it ("Could not find an implementation for Gemm(6)"). The happy path serves conv2d.onnx instead.
const MODEL = 'conv2d';

describe('local model serving', function () {
  this.timeout(60_000);
  let url: string | undefined;

  after(async () => {
    // Never leave a server behind, whatever failed.
    if (url) await vscode.commands.executeCommand('mlWorkbench.stopServer', url);
  });

  it(`serves models/${MODEL}.onnx, answers OIP v2 requests, and stops`, async () => {
    await activated();
    url = await vscode.commands.executeCommand<string | undefined>('mlWorkbench.serveModel', workspaceFile(`models/${MODEL}.onnx`));
    assert.ok(url && /^http:\/\/127\.0\.0\.1:\d+$/.test(url), `serveModel returned ${url}`);

    const ready = await fetch(`${url}/v2/health/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { ready: true });

    const metaRes = await fetch(`${url}/v2/models/${MODEL}`);
    assert.equal(metaRes.status, 200);
    const meta = (await metaRes.json()) as { name: string; inputs: TensorMeta[]; outputs: TensorMeta[] };
    assert.equal(meta.name, MODEL);
    assert.equal(meta.inputs.length, 1);
    assert.ok(meta.outputs.length >= 1);

    const input = meta.inputs[0];
    const shape = input.shape.map((d) => (d < 0 ? 2 : d));
    const count = shape.reduce((a, b) => a * b, 1);
    const inferRes = await fetch(`${url}/v2/models/${MODEL}/infer`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        inputs: [{ name: input.name, datatype: input.datatype, shape, data: Array.from({ length: count }, (_, i) => (i % 7) / 7) }],
      }),
    });
    const inferBody = (await inferRes.json()) as { outputs: { name: string; shape: number[]; data: unknown[] }[] };
    assert.equal(inferRes.status, 200, JSON.stringify(inferBody));
    const out = inferBody.outputs[0];
    const expected = meta.outputs[0].shape.map((d, i) => (d < 0 ? (shape[i] ?? 1) : d));
    assert.deepEqual(out.shape, expected);
    assert.equal(
      out.data.length,
      expected.reduce((a, b) => a * b, 1),
    );

    // Serving the same file again reuses the running server.
    assert.equal(await vscode.commands.executeCommand('mlWorkbench.serveModel', workspaceFile(`models/${MODEL}.onnx`)), url);

    // The copy-curl command builds a request from the metadata.
    const curl = await vscode.commands.executeCommand<string>('mlWorkbench.copyCurlExample', url);
    assert.match(curl, new RegExp(`curl -sS -X POST '.*/v2/models/${MODEL}/infer'`));

    // The test request command posts random data built from the metadata and shows the answer.
    const answer = await vscode.commands.executeCommand<{ outputs?: { shape: number[] }[] }>('mlWorkbench.sendTestRequest', url);
    assert.deepEqual(
      answer?.outputs?.[0].shape,
      meta.outputs[0].shape.map((d) => (d < 0 ? 1 : d)),
    );
    const shown = vscode.window.activeTextEditor?.document;
    assert.ok(shown?.isUntitled && shown.languageId === 'json', 'the response is shown in an untitled JSON document');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');

    // The monitor opens as a webview panel.
    await vscode.commands.executeCommand('mlWorkbench.openServerMonitor', url);
    const deadline = Date.now() + 10_000;
    let tab: vscode.Tab | undefined;
    while (!tab && Date.now() < deadline) {
      tab = vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.label === `Monitor: ${MODEL}.onnx` && t.input instanceof vscode.TabInputWebview);
      if (!tab) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(tab, 'the monitor tab opened');
    await vscode.window.tabGroups.close(tab);

    await vscode.commands.executeCommand('mlWorkbench.stopServer', url);
    const stoppedUrl = url;
    url = undefined;
    await assert.rejects(
      fetch(`${stoppedUrl}/v2/health/live`, { signal: AbortSignal.timeout(5_000) }),
      'the port still answers after stopServer',
    );
  });
});
