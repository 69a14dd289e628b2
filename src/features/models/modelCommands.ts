import * as vscode from 'vscode';
import * as path from 'node:path';
import type { CommandTable } from '../../commands';
import type { Logger } from '../../core/logger';
import type { ModelSummary } from '../../core/onnx';
import { compareModels } from '../../core/onnx/compareModels';
import { compareWeights } from '../../core/onnx/compareWeights';
import { readModel as readOnnxModel } from '../../core/onnx/readModel';
import { weightsHeadline, weightsSection } from './weightsSection';
import type { BenchmarkResult } from '../../core/ort/benchmarkModel';
import { GRAPH_OPTIMIZATION_LEVELS, type GraphOptimizationLevel } from '../../core/ort/graphOptimizationLevel';
import { UserError } from '../../vscode/userError';
import { BenchmarkPanel, benchmarkView } from './benchmarkPanel';
import { formatValueType } from './formatValueType';
import type { ModelSummaryCache } from './modelSummaryCache';
import { executionProviderArgs } from '../../vscode/executionProviderArgs';
import { runMlwJson } from '../../vscode/runMlw';
import { counterpartOf, pickModelVariant } from '../../vscode/modelVariants';
import { tryModelCommand } from './tryModelCommand';
import { askInputValues } from './measure/askInputValues';
import { measureShapesCommand, mlwFailure } from './measure/measureShapesCommand';
import { Command, View } from '../../commandIds';
import { runCommand } from '../../commands';

const ONNX_FILTER = { 'ONNX models': ['onnx'] };

export interface BenchmarkCommandOptions {
  batch: number;
  runs: number;
  /** Intra-op threads; onnxruntime's default when absent. */
  threads?: number;
  opt?: GraphOptimizationLevel;
  /** Values of symbolic dimensions, e.g. { sequence: 128 } (or `input:axis` keys for unnamed ones). */
  dims?: Record<string, number>;
  /** Values of scalar inputs by name. */
  scalars?: Record<string, number>;
}

export interface ModelCommandDeps {
  context: vscode.ExtensionContext;
  log: Logger;
  summaries: ModelSummaryCache;
}

const isOnnx = (uri: vscode.Uri): boolean => uri.path.toLowerCase().endsWith('.onnx');

/** The model a command is about: its argument (a Uri or a Models view node), the active inspector or editor, else a picker. */
export async function targetModel(arg: unknown, title: string): Promise<vscode.Uri> {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'object' && arg !== null) {
    const node = arg as { file?: { uri?: unknown }; parent?: { uri?: unknown } };
    const uri = node.file?.uri ?? node.parent?.uri;
    if (uri instanceof vscode.Uri) return uri;
  }
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputCustom && input.viewType === View.onnxInspector) return input.uri;
  const editorUri = vscode.window.activeTextEditor?.document.uri;
  if (editorUri && isOnnx(editorUri)) return editorUri;
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: ONNX_FILTER, openLabel: title, title });
  if (!picked?.[0]) throw new vscode.CancellationError();
  return picked[0];
}

/** Signature text: one line per input and output with its type, as in the Models view. */
export function signatureText(summary: ModelSummary): string {
  const lines = [`${path.basename(summary.path)}`];
  lines.push('inputs:', ...summary.inputs.map((v) => `  ${v.name}: ${formatValueType(v)}`));
  lines.push('outputs:', ...summary.outputs.map((v) => `  ${v.name}: ${formatValueType(v)}`));
  return lines.join('\n');
}

function positiveInteger(text: string | undefined, max: number): string | undefined {
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= 1 && n <= max ? undefined : `Enter a whole number from 1 to ${max}.`;
}

async function askNumber(title: string, prompt: string, value: number, max: number): Promise<number> {
  const text = await vscode.window.showInputBox({
    title,
    prompt,
    value: String(value),
    ignoreFocusOut: true,
    validateInput: (t) => positiveInteger(t, max),
  });
  if (text === undefined) throw new vscode.CancellationError();
  return Number(text);
}

function isBenchmarkOptions(v: unknown): v is BenchmarkCommandOptions {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const dims = o.dims as Record<string, unknown> | undefined;
  return (
    Number.isSafeInteger(o.batch) &&
    Number.isSafeInteger(o.runs) &&
    (o.batch as number) >= 1 &&
    (o.runs as number) >= 1 &&
    (o.threads === undefined || (Number.isSafeInteger(o.threads) && (o.threads as number) >= 1)) &&
    (o.opt === undefined || (GRAPH_OPTIMIZATION_LEVELS as readonly unknown[]).includes(o.opt)) &&
    (dims === undefined ||
      (typeof dims === 'object' &&
        Object.entries(dims).every(([k, v]) => /^[\w.:-]+$/.test(k) && Number.isSafeInteger(v) && (v as number) >= 0)))
  );
}

/**
 * Threads and optimisation level when the user wants them (the level list starts with the current one), then every
 * free dimension and scalar input, each prefilled and asked: nothing runs at a size the user did not see.
 */
async function askAdvanced(
  name: string,
  summary: ModelSummary,
  batch: number,
  previous: BenchmarkCommandOptions | undefined,
): Promise<Pick<BenchmarkCommandOptions, 'threads' | 'opt' | 'dims' | 'scalars'>> {
  const current = previous?.opt ?? 'all';
  const go = await vscode.window.showQuickPick(
    [
      { label: '$(play) Run', id: 'run' },
      { label: '$(settings) More options…', description: `threads, graph optimisation (now ${current})`, id: 'more' },
    ],
    { title: `Benchmark ${name}`, ignoreFocusOut: true },
  );
  if (!go) throw new vscode.CancellationError();
  let advanced: Pick<BenchmarkCommandOptions, 'threads' | 'opt'> = {
    ...(previous?.threads ? { threads: previous.threads } : {}),
    opt: current,
  };
  if (go.id === 'more') {
    const threads = await askNumber(`Benchmark ${name}`, 'Intra-op threads', previous?.threads ?? 1, 256);
    const levels = [current, ...GRAPH_OPTIMIZATION_LEVELS.filter((l) => l !== current)];
    const level = await vscode.window.showQuickPick(
      levels.map((l) => ({ label: l, description: l === current ? 'current' : undefined })),
      { title: `Benchmark ${name}: graph optimisation level`, ignoreFocusOut: true },
    );
    if (!level) throw new vscode.CancellationError();
    advanced = { threads, opt: level.label };
  }
  const values = await askInputValues(summary, `Benchmark ${name}`, { batchSize: batch, batchAsked: true, previous });
  return { ...advanced, ...values };
}

const stateKey = (uri: vscode.Uri): string => `mlWorkbench.lastBenchmark:${uri.toString()}`;
const optionsKey = (uri: vscode.Uri): string => `mlWorkbench.benchmarkOptions:${uri.toString()}`;
const LAST_BENCHMARK_KEY = 'mlWorkbench.lastBenchmark';

/** The commands on ONNX models: open, copy signature, reveal, compare, benchmark. */
export function modelCommands({ context, log, summaries }: ModelCommandDeps): CommandTable {
  const benchmark = async (arg?: unknown, opts?: unknown): Promise<BenchmarkResult> => {
    let uri = await targetModel(arg, 'Benchmark Model');
    if (!isOnnx(uri)) throw new UserError(`Only ONNX models can be benchmarked: ${uri.fsPath}`);
    if (!isBenchmarkOptions(opts)) uri = await pickModelVariant(uri, 'Benchmark');
    const name = path.basename(uri.fsPath);
    let options: BenchmarkCommandOptions;
    if (isBenchmarkOptions(opts)) options = opts;
    else {
      const previous = context.workspaceState.get<BenchmarkCommandOptions>(optionsKey(uri));
      const batch = await askNumber(
        `Benchmark ${name}`,
        'Batch size (the value of a leading symbolic dimension)',
        previous?.batch ?? 1,
        65_536,
      );
      const runs = await askNumber(`Benchmark ${name}`, 'Timed runs', previous?.runs ?? 100, 1_000_000);
      options = { batch, runs, ...(await askAdvanced(name, await summaries.get(uri), batch, previous)) };
      await context.workspaceState.update(optionsKey(uri), options);
    }
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Benchmarking ${name} (batch ${options.batch}, ${options.runs} runs)…`,
        cancellable: true,
      },
      (_progress, token) => {
        const controller = new AbortController();
        const sub = token.onCancellationRequested(() => controller.abort());
        const args = [
          'bench',
          uri.fsPath,
          '--runs',
          String(options.runs),
          '--batch',
          String(options.batch),
          ...(options.threads ? ['--threads', String(options.threads)] : []),
          ...(options.opt ? ['--opt', options.opt] : []),
          ...Object.entries(options.dims ?? {}).flatMap(([k, v]) => ['--dim', `${k}=${v}`]),
          ...Object.entries(options.scalars ?? {}).flatMap(([k, v]) => ['--scalar', `${k}=${v}`]),
          ...executionProviderArgs(),
        ];
        return runMlwJson<BenchmarkResult>(context.extensionUri, args, 'The benchmark', controller.signal)
          .catch((e: unknown) => {
            throw mlwFailure(e, `Benchmarking ${name}`, log);
          })
          .finally(() => sub.dispose());
      },
    );
    const shapes = result.config.inputs.map((i) => `${i.name} ${i.type}[${i.shape.join(',')}]`).join(', ');
    log.info(`Benchmark of ${uri.fsPath} on ${shapes}: p50 ${result.p50.toFixed(3)} ms over ${result.latenciesMs.length} runs`);
    // Compared with this model's previous benchmark, else with the last benchmark of another model.
    const previous =
      context.workspaceState.get<BenchmarkResult>(stateKey(uri)) ?? context.workspaceState.get<BenchmarkResult>(LAST_BENCHMARK_KEY);
    await context.workspaceState.update(stateKey(uri), result);
    await context.workspaceState.update(LAST_BENCHMARK_KEY, result);
    BenchmarkPanel.show(context.extensionUri, log, uri, benchmarkView(result, previous), () =>
      runCommand(Command.benchmarkModel, uri, options),
    );
    return result;
  };

  return {
    [Command.openModel]: {
      run: async (arg?: unknown) => {
        const uri =
          arg instanceof vscode.Uri
            ? arg
            : (
                await vscode.window.showOpenDialog({
                  canSelectMany: false,
                  filters: ONNX_FILTER,
                  openLabel: 'Open Model',
                  title: 'Open ONNX Model',
                })
              )?.[0];
        if (!uri) return undefined;
        await vscode.commands.executeCommand('vscode.openWith', uri, View.onnxInspector);
        return uri;
      },
    },
    [Command.copySignature]: {
      run: async (arg?: unknown) => {
        const uri = await targetModel(arg, 'Copy Signature');
        const text = signatureText(await summaries.get(uri));
        await vscode.env.clipboard.writeText(text);
        void vscode.window.setStatusBarMessage(`Copied the signature of ${path.basename(uri.fsPath)}`, 3000);
        return text;
      },
    },
    [Command.revealModel]: {
      run: async (arg?: unknown) => {
        const uri = await targetModel(arg, 'Reveal Model');
        if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
        else await vscode.commands.executeCommand('revealFileInOS', uri);
      },
    },
    [Command.compareModels]: {
      run: async (arg?: unknown, other?: unknown) => {
        const a = await targetModel(arg, 'Compare Model');
        let b = other instanceof vscode.Uri ? other : undefined;
        if (!b) {
          // A variant and its parent are what one compares: the dialog starts on the counterpart when there is one.
          const counterpart = await counterpartOf(a).catch(() => undefined);
          const picked = await vscode.window.showOpenDialog({
            canSelectMany: false,
            filters: ONNX_FILTER,
            defaultUri: counterpart ?? vscode.Uri.joinPath(a, '..'),
            openLabel: 'Compare',
            title: `Compare ${path.basename(a.fsPath)} With…`,
          });
          if (!picked?.[0]) throw new vscode.CancellationError();
          b = picked[0];
        }
        const [sa, sb] = await Promise.all([summaries.get(a), summaries.get(b)]);
        const weights = await vscode.window.withProgress(
          {
            location: vscode.ProgressLocation.Notification,
            title: `Comparing the weights of ${path.basename(a.fsPath)}…`,
            cancellable: true,
          },
          async (_progress, token) => {
            const controller = new AbortController();
            const sub = token.onCancellationRequested(() => controller.abort());
            try {
              const [ma, mb] = await Promise.all([
                readOnnxModel(a.fsPath, { signal: controller.signal }),
                readOnnxModel(b.fsPath, { signal: controller.signal }),
              ]);
              return await compareWeights(ma, mb, { signal: controller.signal });
            } catch (e) {
              if (controller.signal.aborted) throw new vscode.CancellationError();
              throw e;
            } finally {
              sub.dispose();
            }
          },
        );
        const comparison = compareModels(sa, sb, weights);
        const structural = comparison.lines.filter((l) => !l.startsWith('weight'));
        const rel = (u: vscode.Uri) => vscode.workspace.asRelativePath(u, false);
        const content = [
          `# ${path.basename(a.fsPath)} → ${path.basename(b.fsPath)}`,
          '',
          `- A: \`${rel(a)}\``,
          `- B: \`${rel(b)}\``,
          `- Signature: ${comparison.sameSignature ? 'same' : '**different**'}`,
          `- Weights: ${weightsHeadline(weights.summary)}`,
          '',
          ...(structural.length
            ? structural.map((l) => `- ${l}`)
            : [comparison.lines.length ? 'No structural differences: the weights differ (below).' : 'No differences.']),
          '',
          ...weightsSection(weights),
        ].join('\n');
        const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content });
        await vscode.window.showTextDocument(doc, { preview: true });
        return comparison;
      },
    },
    [Command.benchmarkModel]: { trust: 'Benchmarking models', run: benchmark },
    [Command.tryModel]: {
      trust: 'Running models',
      run: async (arg?: unknown, opts?: unknown) => {
        const given = typeof opts === 'object' && opts !== null ? opts : undefined;
        const uri = given ? await targetModel(arg, 'Try Model') : await pickModelVariant(await targetModel(arg, 'Try Model'), 'Try');
        return tryModelCommand(context.extensionUri, uri, given, {
          log,
          summary: () => summaries.get(uri),
        });
      },
    },
    [Command.measureShapes]: {
      trust: 'Running models',
      run: async (arg?: unknown, opts?: unknown) => {
        const uri = await targetModel(arg, 'Measure Tensor Shapes');
        if (!isOnnx(uri)) throw new UserError(`Only ONNX models can be measured: ${uri.fsPath}`);
        const given = typeof opts === 'object' && opts !== null ? (opts as { dims?: Record<string, number> }) : undefined;
        return measureShapesCommand(context.extensionUri, log, uri, await summaries.get(uri), given);
      },
    },
  };
}
