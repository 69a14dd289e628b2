import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Logger } from '../../core/logger';
import { setting } from '../../vscode/config';
import { Disposable } from '../../vscode/disposable';
import { formatBytes } from '../../core/format/formatBytes';
import { modelKindOf, type ModelKind } from '../../core/models/modelKind';

export interface ModelFile {
  uri: vscode.Uri;
  kind: ModelKind;
  size: number;
}

export type ModelNode = { type: 'model'; file: ModelFile };

/** The Models view: every model file in the workspace, kept current by a file-system watcher. */
export class ModelsTree extends Disposable implements vscode.TreeDataProvider<ModelNode> {
  private readonly changed = this.track(new vscode.EventEmitter<ModelNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private files: ModelFile[] | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly logger: Logger) {
    super();
    const watcher = this.track(vscode.workspace.createFileSystemWatcher(setting('modelGlob')));
    const soon = () => this.scheduleRefresh();
    this.track(watcher.onDidCreate(soon));
    this.track(watcher.onDidDelete(soon));
    this.track(watcher.onDidChange(soon));
  }

  /** Coalesces bursts of file events (a training run writing checkpoints) into one rescan. */
  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refresh(), 300);
  }

  refresh(): void {
    this.files = undefined;
    this.changed.fire(undefined);
  }

  async modelFiles(): Promise<ModelFile[]> {
    if (this.files) return this.files;
    const t0 = Date.now();
    const uris = await vscode.workspace.findFiles(setting('modelGlob'), setting('excludeGlob'), 10_000);
    const files = await Promise.all(
      uris.map(async (uri): Promise<ModelFile | undefined> => {
        const kind = modelKindOf(uri.fsPath);
        if (!kind) return undefined;
        const stat = await vscode.workspace.fs.stat(uri).then((s) => s, () => undefined);
        return stat ? { uri, kind, size: stat.size } : undefined;
      }),
    );
    this.files = files
      .filter((f): f is ModelFile => f !== undefined)
      .sort((a, b) => Number(b.kind === 'onnx') - Number(a.kind === 'onnx') || a.uri.fsPath.localeCompare(b.uri.fsPath));
    this.logger.debug(`Models view: ${this.files.length} model files in ${Date.now() - t0} ms`);
    return this.files;
  }

  async getChildren(node?: ModelNode): Promise<ModelNode[]> {
    if (node) return [];
    return (await this.modelFiles()).map((file) => ({ type: 'model', file }));
  }

  getTreeItem(node: ModelNode): vscode.TreeItem {
    const { uri, kind, size } = node.file;
    const item = new vscode.TreeItem(path.basename(uri.fsPath), vscode.TreeItemCollapsibleState.None);
    const rel = vscode.workspace.asRelativePath(path.dirname(uri.fsPath), false);
    item.resourceUri = uri;
    item.id = uri.toString();
    item.description = `${formatBytes(size)}${rel && rel !== path.dirname(uri.fsPath) && rel !== '.' ? ` · ${rel}` : ''}`;
    item.tooltip = new vscode.MarkdownString(`**${path.basename(uri.fsPath)}**  \n${kind} model · ${formatBytes(size)}  \n\`${uri.fsPath}\``);
    item.iconPath = new vscode.ThemeIcon(kind === 'onnx' ? 'symbol-structure' : 'file-binary');
    item.contextValue = `model.${kind}`;
    item.command = { command: 'vscode.open', title: 'Open', arguments: [uri] };
    return item;
  }
}
