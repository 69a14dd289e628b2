/**
 * Export to ONNX's questions, one step at a time (each stays open when focus moves): what the file holds (a guess from
 * reading it, never unpickling it, comes first), the model class and its constructor arguments for a state dict, the
 * sample input shapes, input and output names, dynamic axes, the opset and the output file. A whole pickled module
 * is only chosen past a modal warning that loading it runs code from the file.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import {
  DEFAULT_OPSET,
  defaultInputNames,
  defaultOutputPath,
  isExportError,
  parseClassName,
  parseDynamicAxes,
  parseInputShapes,
  parseKwargs,
  parseNames,
  parseOpset,
  type ExportKind,
  type ExportKindGuess,
} from '../../../core/export';

/** The answers, as typed; also the argument object that skips the questions (tests, other callers). */
export interface ExportOnnxOptions {
  kind: ExportKind;
  /** `module.path:ClassName`, for kind state-dict. */
  className?: string;
  /** Constructor keyword arguments: an object or its JSON text. */
  kwargs?: Record<string, unknown> | string;
  /** e.g. `1,3,224,224`; several inputs separated by `;`, dtype after a colon (`1,16:int64`). */
  inputShapes: string;
  /** Comma separated; default input (or input_0, ...). */
  inputNames?: string;
  /** Comma separated; default output (or output_0, ...). */
  outputNames?: string;
  /** e.g. `input:0=batch, output:0=batch`, or `0=batch` for every input and output. */
  dynamicAxes?: string;
  opset?: number;
  /** The .onnx file: absolute, or relative to the model's folder. Default NAME.onnx beside it. */
  output?: string;
  /** Replace an existing output file (asked when interactive). */
  overwrite?: boolean;
  /** Kind module only: the caller accepts that unpickling runs code from the file (asked when interactive). */
  allowCode?: boolean;
  /** Open the result in the ONNX inspector. Default true. */
  open?: boolean;
}

const TRUST_CODE = 'Load and Run Code';

/** An input box that stays open when focus moves; undefined input means cancelled. */
async function ask(
  title: string,
  step: string,
  prompt: string,
  value: string,
  check: (text: string) => unknown,
  placeHolder?: string,
): Promise<string> {
  const text = await vscode.window.showInputBox({
    title: `${title} (${step})`,
    prompt,
    value,
    placeHolder,
    ignoreFocusOut: true,
    validateInput: (t) => {
      try {
        check(t);
        return undefined;
      } catch (e) {
        return isExportError(e) ? e.message : (e as Error).message;
      }
    },
  });
  if (text === undefined) throw new vscode.CancellationError();
  return text;
}

interface KindItem extends vscode.QuickPickItem {
  exportKind: ExportKind;
}

async function askKind(title: string, steps: number, guess: ExportKindGuess | undefined, last?: ExportKind): Promise<ExportKind> {
  const detected = (k: ExportKind): string => (guess?.kind === k ? ' (looks like this)' : '');
  const items: KindItem[] = [
    {
      exportKind: 'torchscript',
      label: `$(file-binary) TorchScript archive${detected('torchscript')}`,
      detail: 'Saved with torch.jit.save; loaded with torch.jit.load',
    },
    {
      exportKind: 'state-dict',
      label: `$(symbol-class) State dict + model class${detected('state-dict')}`,
      detail: 'Tensors only (torch.load weights_only=True), loaded into a class from the workspace (module.path:ClassName)',
    },
    {
      exportKind: 'module',
      label: `$(warning) Whole pickled module${detected('module')}`,
      detail: `Saved with torch.save(model); torch.load(weights_only=False) runs code from the file${guess?.classes.length ? ` (names ${guess.classes.slice(0, 3).join(', ')})` : ''}`,
    },
  ];
  const first = guess?.kind ?? last;
  items.sort((a, b) => Number(b.exportKind === first) - Number(a.exportKind === first));
  const picked = await vscode.window.showQuickPick(items, {
    title: `${title} (1/${steps})`,
    placeHolder: 'What does the file hold?',
    ignoreFocusOut: true,
    matchOnDetail: true,
  });
  if (!picked) throw new vscode.CancellationError();
  return picked.exportKind;
}

/** The modal warning before a whole pickled module is loaded; true when the user accepts running its code. */
export async function confirmRunningCode(file: string): Promise<boolean> {
  const choice = await vscode.window.showWarningMessage(
    `Loading ${path.basename(file)} as a whole module runs code from the file.`,
    {
      modal: true,
      detail:
        'torch.load(weights_only=False) unpickles the file, and a pickle can run any Python code. Only continue if you trust where this file came from; a state dict with its model class, or a TorchScript archive, does not need it.',
    },
    TRUST_CODE,
  );
  return choice === TRUST_CODE;
}

/** Every question in turn, prefilled with the last answers for this file; throws CancellationError when dismissed. */
export async function askExportOptions(
  file: string,
  guess: ExportKindGuess | undefined,
  last: Partial<ExportOnnxOptions> | undefined,
): Promise<ExportOnnxOptions> {
  const title = `Export ${path.basename(file)} to ONNX`;
  // The step count depends on the kind: 7 steps, 9 with a state dict's class and arguments.
  const kind = await askKind(title, guess?.kind === 'state-dict' || last?.kind === 'state-dict' ? 9 : 7, guess, last?.kind);
  if (kind === 'module' && !(await confirmRunningCode(file))) throw new vscode.CancellationError();
  const steps = kind === 'state-dict' ? 9 : 7;
  let n = 1;
  const step = (): string => `${++n}/${steps}`;
  let className: string | undefined;
  let kwargs: string | undefined;
  if (kind === 'state-dict') {
    className = await ask(
      title,
      step(),
      'The model class, importable from the workspace folder: module.path:ClassName',
      last?.className ?? '',
      parseClassName,
      'models.net:Net',
    );
    kwargs = await ask(
      title,
      step(),
      'Constructor keyword arguments as a JSON object (empty: none)',
      typeof last?.kwargs === 'string' ? last.kwargs : last?.kwargs ? JSON.stringify(last.kwargs) : '',
      parseKwargs,
      '{"num_classes": 10}',
    );
  }
  const inputShapes = await ask(
    title,
    step(),
    'Sample input shape: e.g. 1,3,224,224; several inputs separated by ; and a dtype after a colon (1,16:int64), default float32',
    last?.inputShapes ?? '1,3,224,224',
    parseInputShapes,
  );
  const count = parseInputShapes(inputShapes).length;
  const lastNames = last?.inputNames && parseNames(last.inputNames, 'inputs').length === count ? last.inputNames : undefined;
  const inputNames = await ask(
    title,
    step(),
    `Input names, comma separated (${count})`,
    lastNames ?? defaultInputNames(count).join(', '),
    (t) => {
      const names = parseNames(t, 'input names');
      if (names.length && names.length !== count) throw new Error(`${count} input shapes: give ${count} names`);
    },
  );
  const outputNames = await ask(
    title,
    step(),
    'Output names, comma separated (extra outputs are named output_N)',
    last?.outputNames ?? 'output',
    (t) => parseNames(t, 'output names'),
  );
  const dynamicAxes = await ask(
    title,
    step(),
    'Dynamic axes: NAME:AXIS=LABEL, comma separated (input:0=batch, output:0=batch), or 0=batch for every input and output; empty: all fixed',
    last?.dynamicAxes ?? '0=batch',
    parseDynamicAxes,
  );
  const opset = parseOpset(await ask(title, step(), 'ONNX opset', String(last?.opset ?? DEFAULT_OPSET), parseOpset));
  const output = path.resolve(
    path.dirname(file),
    await ask(title, step(), 'The .onnx file to write (relative to the model’s folder, or absolute)', defaultOutputPath(file), (t) => {
      if (!/\.onnx$/i.test(t.trim())) throw new Error('The output is a .onnx file');
    }),
  );
  let overwrite = false;
  if (existsSync(output)) {
    const choice = await vscode.window.showWarningMessage(
      `${path.basename(output)} exists. Replace it?`,
      { modal: true, detail: output },
      'Replace',
    );
    if (choice !== 'Replace') throw new vscode.CancellationError();
    overwrite = true;
  }
  return {
    kind,
    className,
    kwargs,
    inputShapes,
    inputNames,
    outputNames,
    dynamicAxes,
    opset,
    output,
    overwrite,
    allowCode: kind === 'module',
  };
}
