import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Logger } from '../../../core/logger';
import { dataTypeName, type ModelSummary } from '../../../core/onnx';
import type { MeasuredTensor, MeasureShapesResult } from '../../../core/ort/measure/measureShapes';
import { ortErrorLine } from '../../../core/ort/ortErrorLine';
import type { InspectorValue } from '../../../shared/inspectorProtocol';
import { executionProviderArgs } from '../../../vscode/executionProviderArgs';
import { runMlwJson } from '../../../vscode/runMlw';
import { UserError } from '../../../vscode/userError';
import { OnnxInspectorProvider } from '../onnxInspectorProvider';
import { askInputValues, inputValueArgs, type AskedInputValues } from './askInputValues';

interface MeasuredInspect {
  valueInfo: (MeasuredTensor | { source: 'file' | 'inferred' })[];
  measure: Pick<MeasureShapesResult, 'inputs' | 'skipped' | 'runMs'>;
}

/** A measured tensor as the inspector's wire type. */
export function toInspectorValue(t: MeasuredTensor): InspectorValue {
  const elemTypeName = dataTypeName(t.elemType);
  return {
    name: t.name,
    type: `tensor(${elemTypeName})`,
    kind: 'tensor',
    elemType: t.elemType,
    elemTypeName,
    shape: t.shape,
    source: 'measured',
    ...(t.stats ? { stats: t.stats } : {}),
  };
}

/**
 * A failed `mlw` run as one line for the user; the whole stderr (ONNX Runtime's log included) goes to the log.
 * Cancellation passes through untouched.
 */
export function mlwFailure(e: unknown, what: string, log: Logger): unknown {
  if (e instanceof vscode.CancellationError || (e instanceof Error && e.name === 'AbortError')) return new vscode.CancellationError();
  const stderr = (e as { stderr?: string }).stderr;
  const full = stderr ?? (e instanceof Error ? e.message : String(e));
  log.error(`${what} failed:\n${full.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')}`);
  return new UserError(`${what} failed: ${ortErrorLine(full)}`);
}

/**
 * "ML: Measure Tensor Shapes": asks for the free dims and scalar inputs, runs the model once (`mlw inspect --shapes
 * --measure` in a child process, with progress and cancel) and sends every measured tensor to the open inspectors.
 */
export async function measureShapesCommand(
  extensionUri: vscode.Uri,
  log: Logger,
  uri: vscode.Uri,
  summary: ModelSummary,
  given?: Partial<AskedInputValues>,
): Promise<InspectorValue[]> {
  const name = path.basename(uri.fsPath);
  const values = given ?? (await askInputValues(summary, `Measure tensor shapes of ${name}`));
  const args = ['inspect', uri.fsPath, '--shapes', '--measure', ...inputValueArgs(values), ...executionProviderArgs()];
  let result: MeasuredInspect;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Measuring the tensor shapes of ${name}…`, cancellable: true },
      (_p, token) => {
        const ac = new AbortController();
        const sub = token.onCancellationRequested(() => ac.abort());
        return runMlwJson<MeasuredInspect>(extensionUri, args, 'Measure Shapes', ac.signal).finally(() => sub.dispose());
      },
    );
  } catch (e) {
    throw mlwFailure(e, `Measuring the shapes of ${name}`, log);
  }
  const measured = result.valueInfo.filter((v): v is MeasuredTensor => v.source === 'measured').map(toInspectorValue);
  const used = result.measure.inputs.map((i) => `${i.name} ${i.type}[${i.shape.join(',')}]`).join(', ');
  log.info(`Measure Shapes of ${uri.fsPath}: ${measured.length} tensors in ${result.measure.runMs.toFixed(1)} ms on ${used}`);
  for (const s of result.measure.skipped) log.info(`  not measured: ${s.name} (${s.reason})`);
  const withNaN = measured.filter((v) => (v.stats?.nanCount ?? 0) > 0);
  const shown = await OnnxInspectorProvider.postMeasured(uri, measured);
  void vscode.window.setStatusBarMessage(
    `Measured ${measured.length} tensors of ${name} on ${used}${withNaN.length ? `; NaN first in ${withNaN[0].name}` : ''}${shown ? '' : ' (open the inspector to see them)'}`,
    8000,
  );
  return measured;
}
