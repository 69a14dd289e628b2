import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import { isWeightsFormatError, summarizeWeightsFile } from '../../core/weights';
import { parseWeightsMessage, type WeightsFromWebview, type WeightsToWebview } from '../../shared/weightsProtocol';
import { WebviewPanelHost } from '../../vscode/webviewPanelHost';
import { View } from '../../commandIds';

class WeightsDocument implements vscode.CustomDocument {
  constructor(readonly uri: vscode.Uri) {}
  dispose(): void {}
}

/** The read-only custom editor for .safetensors, .pt and .pth files: their tensors, dtypes, shapes and totals. */
export class WeightsInspectorProvider implements vscode.CustomReadonlyEditorProvider<WeightsDocument> {
  static readonly viewType = View.weightsInspector;

  static register(context: vscode.ExtensionContext, log: Logger): vscode.Disposable {
    return vscode.window.registerCustomEditorProvider(
      WeightsInspectorProvider.viewType,
      new WeightsInspectorProvider(context.extensionUri, log),
      {
        supportsMultipleEditorsPerDocument: true,
      },
    );
  }

  private constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: Logger,
  ) {}

  openCustomDocument(uri: vscode.Uri): WeightsDocument {
    return new WeightsDocument(uri);
  }

  resolveCustomEditor(document: WeightsDocument, panel: vscode.WebviewPanel): void {
    new WeightsSession(document.uri, panel, this.extensionUri, this.log);
  }
}

/** One open weights inspector: reads the file's summary (never its tensor data) and reloads when it changes on disk. */
class WeightsSession extends WebviewPanelHost<WeightsToWebview, WeightsFromWebview> {
  private generation = 0;
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly fileName: string;

  constructor(
    private readonly uri: vscode.Uri,
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    log: Logger,
  ) {
    super(panel, extensionUri, { app: 'weights', title: 'Weights Inspector', parse: parseWeightsMessage }, log);
    this.fileName = uri.path.slice(uri.path.lastIndexOf('/') + 1);
    const watcher = this.track(
      vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(uri, '..'), this.fileName)),
    );
    const later = (): void => this.scheduleReload();
    this.track(watcher.onDidChange(later));
    this.track(watcher.onDidCreate(later));
    this.track(watcher.onDidDelete(later));
    this.track({ dispose: () => this.reloadTimer && clearTimeout(this.reloadTimer) });
  }

  protected onReady(): Promise<void> {
    return this.load(false);
  }

  protected async onMessage(message: Exclude<WeightsFromWebview, { type: 'ready' }>): Promise<void> {
    if (message.type === 'reload') await this.load(true);
    else await vscode.commands.executeCommand('workbench.action.reopenWithEditor', this.uri);
  }

  private async load(reload: boolean): Promise<void> {
    const generation = ++this.generation;
    if (!reload) await this.post({ type: 'loading', fileName: this.fileName });
    const started = performance.now();
    try {
      const summary = await summarizeWeightsFile(this.uri.fsPath);
      if (generation !== this.generation) return;
      const loadMs = performance.now() - started;
      this.logger.info(`Weights inspector: read ${this.fileName} (${summary.tensors.length} tensors) in ${loadMs.toFixed(0)} ms`);
      await this.post({ type: 'summary', fileName: this.fileName, summary, loadMs, reload });
    } catch (e) {
      if (generation !== this.generation) return;
      const message = isWeightsFormatError(e) ? e.message : `Cannot read ${this.uri.fsPath}: ${(e as Error).message}`;
      this.logger.warn(`Weights inspector: ${message}`);
      await this.post({ type: 'loadError', fileName: this.fileName, message });
    }
  }

  private scheduleReload(): void {
    if (!this.ready) return;
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      this.load(true).catch((e: unknown) => this.logger.error(e instanceof Error ? e : new Error(String(e))));
    }, 300);
  }
}
