import * as vscode from 'vscode';
import * as path from 'node:path';
import type { TryModelResult } from '../../core/ort/tryModel';
import { formatTryResult } from '../../core/ort/formatTryResult';
import { executionProviderArgs } from '../../vscode/executionProviderArgs';
import { runMlwJson } from '../../vscode/runMlw';
import type { Logger } from '../../core/logger';
import type { ModelSummary } from '../../core/onnx';
import { askInputValues, inputValueArgs, type AskedInputValues } from './measure/askInputValues';
import { mlwFailure } from './measure/measureShapesCommand';

export interface TryModelOptions {
  /** .json or .npy files with input values; random inputs when empty. */
  inputs?: string[];
  batch?: number;
  /** Free dims and scalar inputs; asked when Try runs from the UI. */
  dims?: Record<string, number>;
  scalars?: Record<string, number>;
}

export interface TryModelDeps {
  log: Logger;
  summary: () => Promise<ModelSummary>;
}

async function pickInputs(model: vscode.Uri): Promise<string[] | undefined> {
  const choice = await vscode.window.showQuickPick(
    [
      { label: '$(symbol-numeric) Random inputs', id: 'random' },
      { label: '$(file) Values from .json or .npy files…', id: 'files' },
    ],
    { title: `Try ${path.basename(model.fsPath)}: inputs` },
  );
  if (!choice) return undefined;
  if (choice.id === 'random') return [];
  const files = await vscode.window.showOpenDialog({
    canSelectMany: true,
    defaultUri: vscode.Uri.joinPath(model, '..'),
    filters: { 'Input values': ['json', 'npy'] },
  });
  return files?.map((f) => f.fsPath);
}

/** "ML: Try Model": one inference on random or given inputs, outputs shown with shapes, values and top-k. */
export async function tryModelCommand(
  extensionUri: vscode.Uri,
  model: vscode.Uri,
  options?: TryModelOptions,
  deps?: TryModelDeps,
): Promise<TryModelResult | undefined> {
  const inputs = options?.inputs ?? (options ? [] : await pickInputs(model));
  if (inputs === undefined) return undefined;
  const name = path.basename(model.fsPath);
  // From the UI, every free dim and scalar input is asked (prefilled); files given fix their own inputs' shapes.
  let values: Partial<AskedInputValues> | undefined = options;
  if (!options && deps && inputs.length === 0) values = await askInputValues(await deps.summary(), `Try ${name}`);
  const args = [
    'try',
    model.fsPath,
    ...inputs.flatMap((f) => ['--input', f]),
    ...(options?.batch ? ['--batch', String(options.batch)] : []),
    ...inputValueArgs(values),
    ...executionProviderArgs(),
  ];
  let result: TryModelResult;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Running ${name} once…`, cancellable: true },
      (_p, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        return runMlwJson<TryModelResult>(extensionUri, args, 'Try Model', ac.signal);
      },
    );
  } catch (e) {
    if (!deps) throw e;
    throw mlwFailure(e, `Running ${name}`, deps.log);
  }
  deps?.log.info(`Try ${model.fsPath} on ${result.inputs.map((i) => `${i.name} ${i.type}[${i.shape.join(',')}]`).join(', ')}`);
  if (!options) {
    const doc = await vscode.workspace.openTextDocument({ content: formatTryResult(result), language: 'plaintext' });
    await vscode.window.showTextDocument(doc, { preview: true });
  }
  return result;
}
