/**
 * "ML: Export to ONNX…" on a .pt/.pth file: asks what the file holds and how to trace it (askExportOptions, or an
 * argument object), runs the interpreter runs use on the export script under a cancellable progress notification,
 * torch's output going to the log, and opens the result in the ONNX inspector. Failures are one line with a way out.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import {
  exportToOnnx,
  isExportError,
  isExportKind,
  parseClassName,
  parseDynamicAxes,
  parseInputShapes,
  parseKwargs,
  parseNames,
  suggestExportKind,
  defaultOutputPath,
  type ExportError,
  type ExportRequest,
  type ExportResult,
} from '../../../core/export';
import type { Logger } from '../../../core/logger';
import { Command, View } from '../../../commandIds';
import { runCommand } from '../../../commands';
import { openSettings } from '../../../vscode/config';
import { resolveRunInterpreter } from '../../../vscode/resolveRunInterpreter';
import { UserError, type ErrorAction } from '../../../vscode/userError';
import { askExportOptions, confirmRunningCode, type ExportOnnxOptions } from './askExportOptions';

export type { ExportOnnxOptions } from './askExportOptions';

const PYTORCH = /\.(pt|pth)$/i;

/** The file: the argument (a Uri or a Models view node), the active weights inspector, else a picker. */
async function targetFile(arg: unknown): Promise<vscode.Uri> {
  let uri: unknown = arg;
  if (!(arg instanceof vscode.Uri) && typeof arg === 'object' && arg !== null) uri = (arg as { file?: { uri?: unknown } }).file?.uri;
  if (!(uri instanceof vscode.Uri)) {
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (input instanceof vscode.TabInputCustom && input.viewType === View.weightsInspector) uri = input.uri;
  }
  if (!(uri instanceof vscode.Uri)) {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      filters: { 'PyTorch files': ['pt', 'pth'] },
      openLabel: 'Export to ONNX',
      title: 'Export a PyTorch File to ONNX',
    });
    if (!picked?.[0]) throw new vscode.CancellationError();
    uri = picked[0];
  }
  const file = uri as vscode.Uri;
  if (file.scheme !== 'file') throw new UserError(`Only files on the local file system can be exported, not ${file.scheme}: files.`);
  if (!PYTORCH.test(file.fsPath)) throw new UserError(`Export to ONNX takes a PyTorch .pt or .pth file: ${path.basename(file.fsPath)}`);
  return file;
}

function isOptions(v: unknown): v is ExportOnnxOptions {
  return typeof v === 'object' && v !== null && !(v instanceof vscode.Uri) && isExportKind((v as ExportOnnxOptions).kind);
}

/** The request the core runs, from the answers; malformed answers (from an argument object) are a UserError. */
function toRequest(file: string, workspace: string, o: ExportOnnxOptions): ExportRequest {
  try {
    return {
      file,
      kind: o.kind,
      className: o.className !== undefined ? parseClassName(o.className) : undefined,
      kwargs: typeof o.kwargs === 'string' ? parseKwargs(o.kwargs) : o.kwargs,
      inputs: parseInputShapes(o.inputShapes),
      inputNames: o.inputNames !== undefined ? parseNames(o.inputNames, 'input names') : undefined,
      outputNames: o.outputNames !== undefined ? parseNames(o.outputNames, 'output names') : undefined,
      dynamicAxes: o.dynamicAxes !== undefined ? parseDynamicAxes(o.dynamicAxes) : undefined,
      opset: o.opset,
      output: o.output ? path.resolve(path.dirname(file), o.output) : defaultOutputPath(file),
      workspace,
    };
  } catch (e) {
    if (isExportError(e)) throw new UserError(`Export to ONNX: ${e.message}`);
    throw e;
  }
}

/** The one line and its ways out for a failed export. */
function userErrorOf(e: ExportError, uri: vscode.Uri): UserError {
  const again: ErrorAction = { title: 'Export Again…', run: () => runCommand(Command.exportToOnnx, uri) };
  const settings: ErrorAction = { title: 'Open Settings', run: () => openSettings('mlWorkbench.pythonPath') };
  const name = path.basename(uri.fsPath);
  switch (e.kind) {
    case 'torch-missing':
      return new UserError(`Cannot export ${name}: ${e.message}.`, [
        settings,
        { title: 'Check Environment', run: () => runCommand(Command.checkEnvironment) },
      ]);
    case 'interpreter-not-found':
      return new UserError(`Cannot export ${name}: ${e.message}. Set mlWorkbench.pythonPath to an interpreter with torch.`, [settings]);
    case 'class-not-importable':
      return new UserError(`Cannot export ${name}: ${e.message} (the workspace folder is first on sys.path).`, [again]);
    case 'shape-mismatch':
      return new UserError(`Cannot export ${name}: ${e.message}`, [again]);
    case 'export-failed':
      return new UserError(`Cannot export ${name}: ${e.message}. Another opset may work.`, [again]);
    default:
      return new UserError(`Cannot export ${name}: ${e.message}`, [again]);
  }
}

const lastKey = (uri: vscode.Uri): string => `mlWorkbench.lastExport:${uri.toString()}`;

export async function exportOnnxCommand(
  context: vscode.ExtensionContext,
  log: Logger,
  arg?: unknown,
  opts?: unknown,
): Promise<ExportResult> {
  const uri = await targetFile(arg);
  const file = uri.fsPath;
  const folder = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? path.dirname(file);
  let options: ExportOnnxOptions;
  if (isOptions(opts)) {
    options = opts;
    if (options.kind === 'module' && !options.allowCode && !(await confirmRunningCode(file))) throw new vscode.CancellationError();
  } else {
    options = await askExportOptions(file, await suggestExportKind(file), context.workspaceState.get<ExportOnnxOptions>(lastKey(uri)));
    await context.workspaceState.update(lastKey(uri), { ...options, output: undefined, overwrite: undefined, allowCode: undefined });
  }
  const request = toRequest(file, folder, options);
  const interpreter = await resolveRunInterpreter(folder, log);
  const name = path.basename(file);
  log.info(`Export to ONNX: ${file} (${request.kind}) -> ${request.output} with ${interpreter}`);
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Exporting ${name} to ONNX…`, cancellable: true },
    async (progress, token) => {
      const controller = new AbortController();
      const sub = token.onCancellationRequested(() => controller.abort());
      try {
        return await exportToOnnx(request, {
          interpreter,
          overwrite: options.overwrite,
          signal: controller.signal,
          onOutput: (line) => {
            if (!line.trim()) return;
            log.info(`[export] ${line}`);
            if (line.startsWith('exporting with opset')) progress.report({ message: 'tracing and writing the model' });
          },
        });
      } catch (e) {
        if (controller.signal.aborted) throw new vscode.CancellationError();
        if (isExportError(e)) {
          log.warn(`Export to ONNX of ${file} failed (${e.kind}): ${e.message}`);
          throw userErrorOf(e, uri);
        }
        throw e;
      } finally {
        sub.dispose();
      }
    },
  );
  log.info(
    `Exported ${file} to ${result.output} in ${result.seconds.toFixed(1)} s (torch ${result.torch}, opset ${result.opset}): ` +
      `${result.inputs.map((i) => `${i.name} [${i.shape.join(',')}]`).join(', ')} -> ${result.outputs.map((o) => `${o.name} [${o.shape.join(',')}]`).join(', ')}`,
  );
  if (options.open !== false) await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(result.output), View.onnxInspector);
  return result;
}
