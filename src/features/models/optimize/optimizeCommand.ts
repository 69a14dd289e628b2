import * as vscode from 'vscode';
import * as path from 'node:path';
import type { CommandTable } from '../../../commands';
import { Command } from '../../../commandIds';
import type { Logger } from '../../../core/logger';
import type { OptimizationReport } from '../../../core/optimize/optimizationReport';
import { BUILT_RECIPES, PLANNED_RECIPES } from '../../../core/optimize/recipeCatalog';
import { runMlwJson } from '../../../vscode/runMlw';
import { UserError } from '../../../vscode/userError';
import { targetModel } from '../modelCommands';
import { OptimizePanel } from './optimizePanel';

/** What a caller (a test, another command) may pass instead of answering the quick pick. */
export interface OptimizeCommandOptions {
  recipes: string[];
  /** Evaluation inputs: a .npy file or a folder of NAME.npy files. */
  eval?: string;
  labels?: string;
  /** Calibration inputs of int8-static: a folder of .npy/.npz samples, or one such file. */
  calibrate?: string;
  /** int8 recipes: scales per output channel rather than per tensor. */
  perChannel?: boolean;
  /** int4/int8-weights: the quantisation block size. */
  blockSize?: number;
  dims?: Record<string, number>;
  runs?: number;
}

function isOptimizeOptions(v: unknown): v is OptimizeCommandOptions {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const dims = o.dims as Record<string, unknown> | undefined;
  return (
    Array.isArray(o.recipes) &&
    o.recipes.length > 0 &&
    o.recipes.every((r) => typeof r === 'string' && /^[\w-]+$/.test(r)) &&
    (o.eval === undefined || typeof o.eval === 'string') &&
    (o.labels === undefined || typeof o.labels === 'string') &&
    (o.calibrate === undefined || typeof o.calibrate === 'string') &&
    (o.perChannel === undefined || typeof o.perChannel === 'boolean') &&
    (o.blockSize === undefined || BLOCK_SIZES.includes(o.blockSize as number)) &&
    (o.runs === undefined || (Number.isSafeInteger(o.runs) && (o.runs as number) >= 1)) &&
    (dims === undefined || Object.entries(dims).every(([k, d]) => /^[\w.:-]+$/.test(k) && Number.isSafeInteger(d) && (d as number) >= 0))
  );
}

/** The recipes, picked: the built ones to choose from, the planned ones listed but not selectable. */
async function pickRecipes(name: string): Promise<string[]> {
  type Item = vscode.QuickPickItem & { recipe?: string };
  const items: Item[] = [
    ...BUILT_RECIPES.map((r) => ({ label: r.name, detail: r.description, recipe: r.name })),
    ...(PLANNED_RECIPES.length > 0
      ? [{ label: `Not available yet: ${PLANNED_RECIPES.map((r) => r.name).join(', ')}`, kind: vscode.QuickPickItemKind.Separator }]
      : []),
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: `Optimize ${name}: recipes, applied in the order listed`,
    placeHolder: 'Each recipe writes a new file beside the model; the original is never changed',
    canPickMany: true,
    ignoreFocusOut: true,
  });
  const recipes = (picked ?? []).flatMap((i) => (i.recipe ? [i.recipe] : []));
  if (recipes.length === 0) throw new vscode.CancellationError();
  return BUILT_RECIPES.map((r) => r.name).filter((r) => recipes.includes(r));
}

const BLOCK_SIZES = [16, 32, 64, 128, 256];

/** The quantisation options the picked recipes take: per-channel scales (int8), block size (weight-only). */
async function pickQuantizationOptions(recipes: readonly string[]): Promise<Pick<OptimizeCommandOptions, 'perChannel' | 'blockSize'>> {
  const picked: Pick<OptimizeCommandOptions, 'perChannel' | 'blockSize'> = {};
  if (recipes.some((r) => r === 'int8-dynamic' || r === 'int8-static')) {
    const choice = await vscode.window.showQuickPick(
      [
        { label: 'Per tensor', description: 'one scale per weight: smallest file', perChannel: false },
        { label: 'Per output channel', description: 'one scale per output channel: outputs closer to the original', perChannel: true },
      ],
      { title: 'int8 weight scales', ignoreFocusOut: true },
    );
    if (choice === undefined) throw new vscode.CancellationError();
    picked.perChannel = choice.perChannel;
  }
  if (recipes.some((r) => r === 'int4-weights' || r === 'int8-weights')) {
    const choice = await vscode.window.showQuickPick(
      BLOCK_SIZES.map((size) => ({ label: String(size), description: size === 32 ? 'default' : undefined, size })),
      { title: 'Block size of the weight-only quantisation (weights per scale)', ignoreFocusOut: true },
    );
    if (choice === undefined) throw new vscode.CancellationError();
    picked.blockSize = choice.size;
  }
  return picked;
}

/** int8-static needs calibration data: a folder of samples (or one .npy/.npz file), beside the model by default. */
async function pickCalibration(model: vscode.Uri): Promise<string> {
  const picked = await vscode.window.showOpenDialog({
    title: 'Calibration data for int8-static: a folder of .npy/.npz samples (one NAME.npy per input, or .npz files)',
    openLabel: 'Calibrate with This',
    canSelectFolders: true,
    canSelectFiles: true,
    canSelectMany: false,
    defaultUri: vscode.Uri.joinPath(model, '..'),
    filters: { 'NumPy arrays': ['npy', 'npz'] },
  });
  if (picked === undefined || picked.length === 0) throw new vscode.CancellationError();
  return picked[0].fsPath;
}

/** ML: Optimize Model…: recipes picked, `mlw optimize` run in a child process with progress and cancel, then the report. */
export function optimizeCommands(extensionUri: vscode.Uri, log: Logger): CommandTable {
  return {
    [Command.optimizeModel]: {
      trust: 'Optimizing models',
      run: async (arg?: unknown, opts?: unknown): Promise<OptimizationReport> => {
        const uri = await targetModel(arg, 'Optimize Model');
        if (!uri.fsPath.toLowerCase().endsWith('.onnx')) throw new UserError(`Only ONNX models can be optimized: ${uri.fsPath}`);
        const name = path.basename(uri.fsPath);
        let options: OptimizeCommandOptions = isOptimizeOptions(opts) ? opts : { recipes: await pickRecipes(name) };
        if (!isOptimizeOptions(opts)) options = { ...options, ...(await pickQuantizationOptions(options.recipes)) };
        if (options.recipes.includes('int8-static') && options.calibrate === undefined && options.eval === undefined)
          options = { ...options, calibrate: await pickCalibration(uri) };
        // The variants' lineage goes to the model's workspace folder (.mlw/lineage.jsonl).
        const workspace = (vscode.workspace.getWorkspaceFolder(uri) ?? vscode.workspace.workspaceFolders?.[0])?.uri;
        const args = [
          ...(workspace?.scheme === 'file' ? ['--workspace', workspace.fsPath] : []),
          'optimize',
          uri.fsPath,
          '--recipe',
          options.recipes.join(','),
          ...(options.eval ? ['--eval', options.eval] : []),
          ...(options.labels ? ['--labels', options.labels] : []),
          ...(options.calibrate ? ['--calibrate', options.calibrate] : []),
          ...(options.perChannel ? ['--per-channel'] : []),
          ...(options.blockSize ? ['--block-size', String(options.blockSize)] : []),
          ...(options.runs ? ['--runs', String(options.runs)] : []),
          ...Object.entries(options.dims ?? {}).flatMap(([k, v]) => ['--dim', `${k}=${v}`]),
        ];
        const report = await vscode.window.withProgress(
          {
            location: vscode.ProgressLocation.Notification,
            title: `Optimizing ${name} (${options.recipes.join(', ')})…`,
            cancellable: true,
          },
          async (_progress, token) => {
            const controller = new AbortController();
            const sub = token.onCancellationRequested(() => controller.abort());
            try {
              return await runMlwJson<OptimizationReport>(extensionUri, args, 'Optimizing', controller.signal);
            } catch (e) {
              if (controller.signal.aborted) throw new vscode.CancellationError();
              const line = (e as Error).message.split('\n').pop() ?? '';
              throw new UserError(`Could not optimize ${name}: ${line.replace(/^mlw optimize: /, '')}`);
            } finally {
              sub.dispose();
            }
          },
        );
        for (const v of report.variants) log.info(`Optimize ${uri.fsPath}: ${v.verdict} (${v.path})`);
        OptimizePanel.show(extensionUri, log, uri, report);
        return report;
      },
    },
  };
}
