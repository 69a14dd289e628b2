import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Logger } from '../../core/logger';
import { setting } from '../../vscode/config';
import { Disposable } from '../../vscode/disposable';
import { formatBytes } from '../../core/format/formatBytes';
import { modelKindOf, type ModelKind } from '../../core/models/modelKind';
import { formatValueType } from './formatValueType';
import type { ModelSummaryCache } from './modelSummaryCache';
import { View } from '../../commandIds';
import { findWorkspaceFiles } from '../../vscode/findWorkspaceFiles';
import type { VariantGrouping } from '../../core/models/modelVariants';
import { groupVariants, variantRecords, variantView, type VariantView } from '../../vscode/modelVariants';
import { registryChildren, registryGroup, registryTreeItem, type RegistryNode } from './registry/registryNodes';

export interface ModelFile {
  uri: vscode.Uri;
  kind: ModelKind;
  size: number;
  mtime: number;
}

/** A file that is an optimised variant: grouped under its parent, or top level with a note when that is not found. */
export interface VariantOf extends VariantView {
  orphan: boolean;
}

export type ModelNode =
  | { type: 'model'; file: ModelFile; variant?: VariantOf }
  | { type: 'value'; parent: ModelFile; role: 'input' | 'output'; name: string; valueType: string }
  | { type: 'error'; parent: ModelFile; message: string }
  | RegistryNode;

/**
 * The Models view: every model file in the workspace, kept current by a file-system watcher. An optimised variant
 * sits under its original (the file whose sha256 its metadata names), before the original's inputs and outputs.
 */
export class ModelsTree extends Disposable implements vscode.TreeDataProvider<ModelNode> {
  private readonly changed = this.track(new vscode.EventEmitter<ModelNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private files: ModelFile[] | undefined;
  private variants: Promise<{ grouping: VariantGrouping; nodes: Map<string, ModelNode> }> | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly summaries: ModelSummaryCache,
  ) {
    super();
    const watcher = this.track(vscode.workspace.createFileSystemWatcher(setting('modelGlob')));
    const soon = () => this.scheduleRefresh();
    this.track(watcher.onDidCreate(soon));
    this.track(watcher.onDidDelete(soon));
    this.track(watcher.onDidChange(soon));
    const registry = this.track(vscode.workspace.createFileSystemWatcher('**/.mlw/registry/*.json'));
    this.track(registry.onDidCreate(soon));
    this.track(registry.onDidDelete(soon));
    this.track(registry.onDidChange(soon));
  }

  /** Coalesces bursts of file events (a training run writing checkpoints) into one rescan. */
  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refresh(), 300);
  }

  refresh(): void {
    this.files = undefined;
    this.variants = undefined;
    this.changed.fire(undefined);
  }

  async modelFiles(): Promise<ModelFile[]> {
    if (this.files) return this.files;
    const t0 = Date.now();
    const uris = await findWorkspaceFiles(setting('modelGlob'), 10_000);
    const files = await Promise.all(
      uris.map(async (uri): Promise<ModelFile | undefined> => {
        const kind = modelKindOf(uri.fsPath);
        if (!kind) return undefined;
        const stat = await vscode.workspace.fs.stat(uri).then(
          (s) => s,
          () => undefined,
        );
        return stat ? { uri, kind, size: stat.size, mtime: stat.mtime } : undefined;
      }),
    );
    this.files = files
      .filter((f): f is ModelFile => f !== undefined)
      .sort((a, b) => Number(b.kind === 'onnx') - Number(a.kind === 'onnx') || a.uri.fsPath.localeCompare(b.uri.fsPath));
    this.logger.debug(`Models view: ${this.files.length} model files in ${Date.now() - t0} ms`);
    return this.files;
  }

  /** The model nodes, variants marked, by path; and which variant goes under which model. */
  private variantLayout(): Promise<{ grouping: VariantGrouping; nodes: Map<string, ModelNode> }> {
    this.variants ??= (async () => {
      const files = await this.modelFiles();
      const t0 = Date.now();
      const stamps = files
        .filter((f) => f.kind === 'onnx' && f.uri.scheme === 'file')
        .map((f) => ({ path: f.uri.fsPath, mtimeMs: f.mtime, size: f.size }));
      let grouping: VariantGrouping = { parentOf: new Map(), childrenOf: new Map(), info: new Map(), orphans: new Set() };
      try {
        grouping = await groupVariants(stamps);
      } catch (e) {
        this.logger.warn(`Models view: cannot group variants: ${e instanceof Error ? e.message : String(e)}`);
      }
      const records = grouping.info.size ? await variantRecords() : new Map();
      const nodes = new Map<string, ModelNode>();
      for (const file of files) {
        const view = variantView(grouping, records, file.uri.fsPath);
        nodes.set(file.uri.fsPath, {
          type: 'model',
          file,
          ...(view ? { variant: { ...view, orphan: grouping.orphans.has(file.uri.fsPath) } } : {}),
        });
      }
      if (grouping.info.size)
        this.logger.debug(
          `Models view: ${grouping.info.size} variants (${grouping.orphans.size} orphans) grouped in ${Date.now() - t0} ms`,
        );
      return { grouping, nodes };
    })();
    return this.variants;
  }

  async getChildren(node?: ModelNode): Promise<ModelNode[]> {
    if (!node) {
      const { grouping, nodes } = await this.variantLayout();
      const registry = await registryGroup().catch((e: unknown) => {
        this.logger.warn(`Models view: cannot read the registry: ${e instanceof Error ? e.message : String(e)}`);
        return undefined;
      });
      return [
        ...(registry ? [registry] : []),
        ...(await this.modelFiles())
          .filter((f) => !grouping.parentOf.has(f.uri.fsPath))
          .map((f): ModelNode => nodes.get(f.uri.fsPath) ?? { type: 'model', file: f }),
      ];
    }
    if (node.type === 'registry' || node.type === 'registeredModel' || node.type === 'registeredVersion') return registryChildren(node);
    if (node.type !== 'model' || node.file.kind !== 'onnx') return [];
    const parent = node.file;
    const { grouping, nodes } = await this.variantLayout();
    const variants = (grouping.childrenOf.get(parent.uri.fsPath) ?? []).flatMap((p) => {
      const n = nodes.get(p);
      return n ? [n] : [];
    });
    try {
      const summary = await this.summaries.get(parent.uri);
      return [
        ...variants,
        ...summary.inputs.map((v): ModelNode => ({ type: 'value', parent, role: 'input', name: v.name, valueType: formatValueType(v) })),
        ...summary.outputs.map((v): ModelNode => ({ type: 'value', parent, role: 'output', name: v.name, valueType: formatValueType(v) })),
      ];
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.logger.warn(`Models view: cannot read ${parent.uri.fsPath}: ${message}`);
      return [...variants, { type: 'error', parent, message }];
    }
  }

  getTreeItem(node: ModelNode): vscode.TreeItem {
    if (node.type === 'registry' || node.type === 'registeredModel' || node.type === 'registeredVersion') return registryTreeItem(node);
    if (node.type === 'value') {
      const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
      item.id = `${node.parent.uri.toString()}#${node.role}:${node.name}`;
      item.description = node.valueType;
      item.tooltip = `${node.role} ${node.name}: ${node.valueType}`;
      item.iconPath = new vscode.ThemeIcon(node.role === 'input' ? 'arrow-right' : 'arrow-left');
      item.contextValue = `model.${node.role}`;
      return item;
    }
    if (node.type === 'error') {
      const item = new vscode.TreeItem(node.message, vscode.TreeItemCollapsibleState.None);
      item.id = `${node.parent.uri.toString()}#error`;
      item.tooltip = node.message;
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
      item.contextValue = 'model.error';
      return item;
    }
    const { uri, kind, size } = node.file;
    const item = new vscode.TreeItem(
      path.basename(uri.fsPath),
      kind === 'onnx' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    const rel = vscode.workspace.asRelativePath(path.dirname(uri.fsPath), false);
    item.resourceUri = uri;
    item.id = uri.toString();
    item.description = `${formatBytes(size)}${rel && rel !== path.dirname(uri.fsPath) && rel !== '.' ? ` · ${rel}` : ''}`;
    item.tooltip = new vscode.MarkdownString(
      `**${path.basename(uri.fsPath)}**  \n${kind} model · ${formatBytes(size)}  \n\`${uri.fsPath}\``,
    );
    item.iconPath = new vscode.ThemeIcon(kind === 'onnx' ? 'symbol-structure' : 'file-binary');
    if (node.variant) variantItem(item, node.variant, size);
    item.contextValue = `model.${kind}`;
    item.command =
      kind === 'onnx'
        ? { command: 'vscode.openWith', title: 'Open in ONNX Inspector', arguments: [uri, View.onnxInspector] }
        : kind === 'pytorch' || kind === 'safetensors'
          ? { command: 'vscode.openWith', title: 'Open in Weights Inspector', arguments: [uri, View.weightsInspector] }
          : { command: 'vscode.open', title: 'Open', arguments: [uri] };
    return item;
  }
}

const escape = (t: string): string => t.replace(/[\\`*_[\]<>|]/g, '\\$&');

/** A variant's item: its recipe as description, verdict and size in the tooltip, a note when its original is missing. */
function variantItem(item: vscode.TreeItem, v: VariantOf, size: number): void {
  item.description = v.orphan ? `${v.recipe} · original not found` : v.recipe;
  item.iconPath = v.orphan
    ? new vscode.ThemeIcon('layers', new vscode.ThemeColor('list.warningForeground'))
    : new vscode.ThemeIcon('layers');
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escape(path.basename(v.path))}**  \n$(layers) ${escape(v.recipe)} variant · ${formatBytes(size)}  \n`);
  if (v.verdict) md.appendMarkdown(`${escape(v.verdict)}  \n`);
  if (v.parentPath) md.appendMarkdown(`Original: \`${path.basename(v.parentPath)}\`  \n`);
  else
    md.appendMarkdown(
      `$(warning) Original not found in the workspace: no model has sha256 \`${v.parentSha256.slice(0, 12)}…\` (it was changed, moved or deleted)  \n`,
    );
  md.appendMarkdown(`\`${v.path}\``);
  item.tooltip = md;
}
