import * as vscode from 'vscode';
import type { ModelSummary } from '../../../core/onnx';
import { chooseDims, chooseScalars, type DimChoice, type DimSource } from '../../../core/ort/inputDims';

export interface AskedInputValues {
  dims: Record<string, number>;
  scalars: Record<string, number>;
}

const WHY: Record<DimSource, string> = {
  given: 'given',
  metadata: "from the model's metadata",
  image: "the image's other side",
  batch: 'the batch size',
  default: 'no hint in the model',
};

function where(d: DimChoice): string {
  return d.uses.map((u) => `${u.input}[${u.axis}]`).join(', ');
}

/**
 * Asks for every free input dimension and every scalar input, each prefilled as chooseDims/chooseScalars would
 * fill it (and saying why), so nothing runs at a size the user did not see. Dims filled by the batch size are not
 * asked when `batchAsked`. Throws CancellationError when a box is dismissed.
 */
export async function askInputValues(
  summary: ModelSummary,
  title: string,
  options: { batchSize?: number; batchAsked?: boolean; previous?: Partial<AskedInputValues> } = {},
): Promise<AskedInputValues> {
  const dims: Record<string, number> = {};
  const scalars: Record<string, number> = {};
  for (const d of chooseDims(summary, { batchSize: options.batchSize, dims: options.previous?.dims })) {
    if (d.source === 'batch' && options.batchAsked) continue;
    const text = await vscode.window.showInputBox({
      title,
      prompt: `Size of the dimension "${d.key}" (${where(d)}); prefilled: ${WHY[d.source]}`,
      value: String(d.value),
      ignoreFocusOut: true,
      validateInput: (t) => (/^\d+$/.test(t.trim()) && Number(t) <= 1 << 24 ? undefined : 'Enter a whole number (0 or more).'),
    });
    if (text === undefined) throw new vscode.CancellationError();
    dims[d.key] = Number(text.trim());
  }
  for (const s of chooseScalars(summary, options.previous?.scalars)) {
    const text = await vscode.window.showInputBox({
      title,
      prompt: `Value of the scalar input "${s.input}"${s.source === 'random' ? ' (leave empty for a random value)' : ''}`,
      value: s.source === 'random' ? '' : String(s.value),
      ignoreFocusOut: true,
      validateInput: (t) => (t.trim() === '' || Number.isFinite(Number(t)) ? undefined : 'Enter a number.'),
    });
    if (text === undefined) throw new vscode.CancellationError();
    if (text.trim() !== '') scalars[s.input] = Number(text.trim());
  }
  return { dims, scalars };
}

/** The mlw flags for asked values. */
export function inputValueArgs(values: Partial<AskedInputValues> | undefined): string[] {
  return [
    ...Object.entries(values?.dims ?? {}).flatMap(([k, v]) => ['--dim', `${k}=${v}`]),
    ...Object.entries(values?.scalars ?? {}).flatMap(([k, v]) => ['--scalar', `${k}=${v}`]),
  ];
}
