import * as vscode from 'vscode';
import { mkdtemp } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TryModelResult } from '../../core/ort/tryModel';
import { executionProviderArgs } from '../../vscode/executionProviderArgs';
import { runMlwJson } from '../../vscode/runMlw';
import type { Logger } from '../../core/logger';
import type { ModelSummary } from '../../core/onnx';
import { askInputValues, inputValueArgs, type AskedInputValues } from './measure/askInputValues';
import { mlwFailure } from './measure/measureShapesCommand';
import { pickTryInputs, type PickedInputs } from './try/pickTryInputs';
import { showTryResult } from './try/showTryResult';

export interface TryModelOptions {
  /** Input files as mlw try --input takes them ([NAME=]FILE: .png/.jpg/.wav/.csv/.json/.npy); random inputs when empty. */
  inputs?: string[];
  /** Image preset, channel order, audio rate and CSV row for those files. */
  preset?: string;
  order?: 'rgb' | 'bgr';
  rate?: number;
  row?: number;
  /** A folder to write the outputs into (.npy, and .png for image-like ones). */
  saveOutputs?: string;
  batch?: number;
  /** Free dims and scalar inputs; asked when Try runs from the UI. */
  dims?: Record<string, number>;
  scalars?: Record<string, number>;
  /** Show the result as Try from the UI does (a Markdown preview with the images, or a text document). */
  show?: boolean;
}

export interface TryModelDeps {
  log: Logger;
  summary: () => Promise<ModelSummary>;
}

/**
 * "ML: Try Model": one inference on an image, a WAV file, a CSV row, .json/.npy values or random inputs (asked per
 * input), outputs shown with shapes, values, top-k with labels, and image-like outputs as images.
 */
export async function tryModelCommand(
  extensionUri: vscode.Uri,
  model: vscode.Uri,
  options?: TryModelOptions,
  deps?: TryModelDeps,
): Promise<TryModelResult | undefined> {
  const name = path.basename(model.fsPath);
  let picked: PickedInputs | undefined;
  let values: Partial<AskedInputValues> | undefined = options;
  let saveOutputs = options?.saveOutputs;
  if (!options) {
    const summary = deps ? await deps.summary() : undefined;
    picked = summary ? await pickTryInputs(model, summary) : { inputs: [], random: [], flags: [] };
    if (!picked) return undefined;
    // Every free dim and scalar input of the random inputs is asked (prefilled); files fix their own inputs' shapes.
    const random = new Set(picked.random);
    if (summary && random.size)
      values = await askInputValues({ ...summary, inputs: summary.inputs.filter((i) => random.has(i.name)) }, `Try ${name}`);
    saveOutputs = await mkdtemp(path.join(os.tmpdir(), 'mlw-try-'));
  } else if (options.show && !saveOutputs) saveOutputs = await mkdtemp(path.join(os.tmpdir(), 'mlw-try-'));
  const inputs = options?.inputs ?? picked?.inputs ?? [];
  const args = [
    'try',
    model.fsPath,
    ...inputs.flatMap((f) => ['--input', f]),
    ...(picked?.flags ?? []),
    ...(options?.preset ? ['--preset', options.preset] : []),
    ...(options?.order ? ['--order', options.order] : []),
    ...(options?.rate ? ['--rate', String(options.rate)] : []),
    ...(options?.row ? ['--row', String(options.row)] : []),
    ...(saveOutputs ? ['--save-outputs', saveOutputs] : []),
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
  if ((!options || options.show) && saveOutputs) await showTryResult(result, saveOutputs);
  return result;
}
