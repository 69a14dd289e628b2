import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { summarizeModel } from '../../src/core/onnx';
import { EXTENSION_ID } from './activation.test';
import { waitFor } from './support';

interface BenchmarkReply {
  p50: number;
  latenciesMs: number[];
}

function workspaceUri(...parts: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workspace is open');
  return vscode.Uri.joinPath(folder.uri, ...parts);
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n');
}

describe('ONNX models', () => {
  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens a .onnx file in the ONNX inspector custom editor', async () => {
    const uri = workspaceUri('models', 'conv2d.onnx');
    await vscode.commands.executeCommand('vscode.open', uri);
    const tab = await waitFor('the inspector tab', () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputCustom && t.input.uri.toString() === uri.toString()),
    );
    assert.ok(tab.input instanceof vscode.TabInputCustom);
    assert.equal(tab.input.viewType, 'mlWorkbench.onnxInspector');
  });

  it('opens a .safetensors file in the weights inspector custom editor', async () => {
    // A one-tensor safetensors file: 8-byte header length, the JSON header, 8 bytes of float32 data.
    const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    const uri = workspaceUri('models', 'integration-tiny.safetensors');
    await vscode.workspace.fs.writeFile(uri, Buffer.concat([length, header, Buffer.alloc(8)]));
    try {
      await vscode.commands.executeCommand('vscode.open', uri);
      const tab = await waitFor('the weights inspector tab', () =>
        vscode.window.tabGroups.all
          .flatMap((g) => g.tabs)
          .find((t) => t.input instanceof vscode.TabInputCustom && t.input.uri.toString() === uri.toString()),
      );
      assert.ok(tab.input instanceof vscode.TabInputCustom);
      assert.equal(tab.input.viewType, 'mlWorkbench.weightsInspector');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(uri);
    }
  });

  it('benchmarks a model in a child process and returns the parsed result', async function () {
    this.timeout(120_000);
    const uri = workspaceUri('models', 'conv2d.onnx');
    const result = await vscode.commands.executeCommand<BenchmarkReply | undefined>('mlWorkbench.benchmarkModel', uri, {
      batch: 1,
      runs: 20,
    });
    assert.ok(result, 'the command returned a result (see the log when it did not)');
    assert.ok(result.p50 > 0, `p50 ${result.p50}`);
    assert.equal(result.latenciesMs.length, 20);
    await waitFor('the benchmark panel', () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('mlWorkbench.benchmark')),
    );
    // A second benchmark of the same model is compared with the first one (kept in workspaceState).
    const again = await vscode.commands.executeCommand<BenchmarkReply | undefined>('mlWorkbench.benchmarkModel', uri, {
      batch: 1,
      runs: 5,
    });
    assert.equal(again?.latenciesMs.length, 5);
  });

  it('benchmarks with chosen threads and graph optimisation level', async function () {
    this.timeout(60_000);
    const r = await vscode.commands.executeCommand<{
      latenciesMs: number[];
      config: { intraOpThreads: number | string; graphOptimizationLevel: string };
    }>('mlWorkbench.benchmarkModel', workspaceUri('models', 'conv2d.onnx'), { batch: 1, runs: 5, threads: 1, opt: 'basic' });
    assert.equal(r.latenciesMs.length, 5);
    assert.equal(r.config.intraOpThreads, 1);
    assert.equal(r.config.graphOptimizationLevel, 'basic');
  });

  it('tries a model once in a child process: outputs with their shapes', async function () {
    this.timeout(60_000);
    const result = await vscode.commands.executeCommand<{ outputs: { name: string; shape: number[]; dtype: string }[] }>(
      'mlWorkbench.tryModel',
      workspaceUri('models', 'conv2d.onnx'),
      {},
    );
    assert.ok(result, 'Try Model returned nothing');
    // test_Conv2d: [2,3,7,5] -> [2,4,5,4] (as python3-onnx reports it)
    assert.deepEqual(
      result.outputs.map((o) => o.shape),
      [[2, 4, 5, 4]],
    );
    assert.equal(result.outputs[0].dtype, 'float32');
  });

  it('shows the signature of a model path in a Python string on hover', async () => {
    const model = workspaceUri('models', 'linear.onnx');
    const summary = await summarizeModel(model.fsPath);
    assert.ok(summary.inputs.length > 0);
    const script = workspaceUri('load_linear.py');
    const source = 'import onnxruntime as ort\n\nsession = ort.InferenceSession("models/linear.onnx")\n';
    await vscode.workspace.fs.writeFile(script, new TextEncoder().encode(source));
    try {
      const doc = await vscode.workspace.openTextDocument(script);
      assert.equal(doc.languageId, 'python');
      const position = doc.positionAt(source.indexOf('linear.onnx') + 2);
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, position);
      const text = hoverText(hovers);
      assert.match(text, /linear\.onnx/);
      assert.ok(text.includes(summary.inputs[0].name), `hover names input ${summary.inputs[0].name}: ${text}`);
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
      assert.ok(
        lenses.some((l) => l.command?.title === 'Inspect model'),
        'an Inspect model CodeLens',
      );
    } finally {
      await vscode.workspace.fs.delete(script);
    }
  });
});
