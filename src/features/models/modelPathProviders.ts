import * as vscode from 'vscode';
import * as path from 'node:path';
import { candidateLocations, findModelPaths, type ModelPathCandidate } from '../../core/models/findModelPaths';
import { formatBytes } from '../../core/format/formatBytes';
import type { Logger } from '../../core/logger';
import { formatValueType } from './formatValueType';
import type { ModelSummaryCache } from './modelSummaryCache';
import { View } from '../../commandIds';

const LANGUAGES = ['python', 'typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'yaml', 'json', 'jsonc'];
const MAX_DOCUMENT_CHARS = 2_000_000;

interface ResolvedPath {
  candidate: ModelPathCandidate;
  range: vscode.Range;
  uri: vscode.Uri;
}

function compactCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`;
  return String(n);
}

/** Hover and CodeLens on string literals naming an existing .onnx file. */
export class ModelPathProviders implements vscode.HoverProvider, vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  static register(summaries: ModelSummaryCache, log: Logger): vscode.Disposable {
    const providers = new ModelPathProviders(summaries, log);
    const selector = LANGUAGES.map((language) => ({ language }));
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.onnx', false, true, false);
    return vscode.Disposable.from(
      providers.changed,
      watcher,
      watcher.onDidCreate(() => providers.changed.fire()),
      watcher.onDidDelete(() => providers.changed.fire()),
      vscode.languages.registerHoverProvider(selector, providers),
      vscode.languages.registerCodeLensProvider(selector, providers),
    );
  }

  private constructor(
    private readonly summaries: ModelSummaryCache,
    private readonly log: Logger,
  ) {}

  private candidates(document: vscode.TextDocument): ModelPathCandidate[] {
    const text = document.getText();
    if (text.length > MAX_DOCUMENT_CHARS) return [];
    return findModelPaths(text, { yaml: document.languageId === 'yaml' });
  }

  private async resolve(document: vscode.TextDocument, candidate: ModelPathCandidate): Promise<ResolvedPath | undefined> {
    const dir = document.uri.scheme === 'file' ? path.dirname(document.uri.fsPath) : undefined;
    const roots = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    for (const location of candidateLocations(candidate.path, dir, roots, path.join, path.isAbsolute)) {
      const uri = vscode.Uri.file(location);
      const stat = await vscode.workspace.fs.stat(uri).then(
        (s) => s,
        () => undefined,
      );
      if (stat && stat.type & vscode.FileType.File) {
        return { candidate, uri, range: new vscode.Range(document.positionAt(candidate.start), document.positionAt(candidate.end)) };
      }
    }
    return undefined;
  }

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const offset = document.offsetAt(position);
    const candidate = this.candidates(document).find((c) => offset >= c.start && offset <= c.end);
    if (!candidate) return undefined;
    const resolved = await this.resolve(document, candidate);
    if (!resolved) return undefined;
    const md = new vscode.MarkdownString();
    md.isTrusted = { enabledCommands: ['vscode.openWith'] };
    md.appendMarkdown(`**${path.basename(resolved.uri.fsPath)}** · ONNX model\n\n`);
    try {
      const s = await this.summaries.get(resolved.uri);
      const row = (role: string, name: string, type: string) =>
        `| ${role} | \`${name.replace(/[|`]/g, '\\$&')}\` | \`${type.replace(/[|`]/g, '\\$&')}\` |`;
      md.appendMarkdown(
        [
          '| | name | type |',
          '|---|---|---|',
          ...s.inputs.map((v) => row('input', v.name, formatValueType(v))),
          ...s.outputs.map((v) => row('output', v.name, formatValueType(v))),
          '',
          `${compactCount(s.parameterCount)} parameters (${formatBytes(s.parameterBytes)}) · ${s.nodeCount} nodes · ${formatBytes(s.fileSize)}`,
          '',
        ].join('\n'),
      );
    } catch (e) {
      md.appendMarkdown(
        `$(warning) Cannot read the model: ${(e instanceof Error ? e.message : String(e)).replace(/[\\`*_[\]<>]/g, '\\$&')}\n\n`,
      );
      this.log.debug(`Model hover: ${resolved.uri.fsPath}: ${String(e)}`);
    }
    const args = encodeURIComponent(JSON.stringify([resolved.uri, View.onnxInspector]));
    md.appendMarkdown(`[Inspect model](command:vscode.openWith?${args})`);
    md.supportThemeIcons = true;
    return new vscode.Hover(md, resolved.range);
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const resolved = await Promise.all(
      this.candidates(document)
        .slice(0, 200)
        .map((c) => this.resolve(document, c)),
    );
    return resolved
      .filter((r): r is ResolvedPath => r !== undefined)
      .map(
        (r) =>
          new vscode.CodeLens(r.range, {
            title: 'Inspect model',
            tooltip: `Open ${vscode.workspace.asRelativePath(r.uri, false)} in the ONNX Inspector`,
            command: 'vscode.openWith',
            arguments: [r.uri, View.onnxInspector],
          }),
      );
  }
}
