import * as vscode from 'vscode';
import { tensorStatistics, type TensorRef } from '../../core/onnx';
import type { Logger } from '../../core/logger';
import {
  parseInspectorMessage,
  tensorKey,
  type InspectorFromWebview,
  type InspectorToWebview,
  type InspectorValue,
} from '../../shared/inspectorProtocol';
import { WebviewPanelHost } from '../../vscode/webviewPanelHost';
import { loadInspectorState, toLoadError } from './inspectorState';
import { View } from '../../commandIds';

/** A read-only .onnx document: only its URI; the model is read per editor, lazily. */
class OnnxDocument implements vscode.CustomDocument {
  constructor(readonly uri: vscode.Uri) {}
  dispose(): void {}
}

/** The read-only custom editor for *.onnx files: summary page and graph view. */
export class OnnxInspectorProvider implements vscode.CustomReadonlyEditorProvider<OnnxDocument> {
  static readonly viewType = View.onnxInspector;

  static register(context: vscode.ExtensionContext, log: Logger): vscode.Disposable {
    return vscode.window.registerCustomEditorProvider(
      OnnxInspectorProvider.viewType,
      new OnnxInspectorProvider(context.extensionUri, log),
      {
        // The graph layout of a large model costs seconds; keep it while the tab is hidden.
        webviewOptions: { retainContextWhenHidden: true },
        supportsMultipleEditorsPerDocument: true,
      },
    );
  }

  private constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: Logger,
  ) {}

  openCustomDocument(uri: vscode.Uri): OnnxDocument {
    return new OnnxDocument(uri);
  }

  resolveCustomEditor(document: OnnxDocument, panel: vscode.WebviewPanel): void {
    new InspectorSession(document.uri, panel, this.extensionUri, this.log);
  }

  /** Sends Measure Shapes' values to every open inspector of `uri`; how many there were. */
  static async postMeasured(uri: vscode.Uri, values: InspectorValue[]): Promise<number> {
    const open = [...InspectorSession.open].filter((s) => s.uri.toString() === uri.toString());
    await Promise.all(open.map((s) => s.sendMeasured(values)));
    return open.length;
  }
}

/** One open inspector: loads the model, answers the webview, reloads when the file changes on disk. */
class InspectorSession extends WebviewPanelHost<InspectorToWebview, InspectorFromWebview> {
  static readonly open = new Set<InspectorSession>();
  private tensors = new Map<string, TensorRef>();
  private loadController: AbortController | undefined;
  private readonly lifetime = new AbortController();
  private generation = 0;
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly uri: vscode.Uri,
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    log: Logger,
  ) {
    super(
      panel,
      extensionUri,
      {
        app: 'inspector',
        title: 'ONNX Inspector',
        // The graph layout runs in this worker (webview-ui/inspector/layoutWorker.ts).
        workers: ['inspectorLayout.worker'],
        parse: (raw) => parseInspectorMessage(raw, { hasTensor: (graphId, name) => this.tensors.has(tensorKey(graphId, name)) }),
      },
      log,
    );
    const folder = vscode.Uri.joinPath(uri, '..');
    const name = uri.path.slice(uri.path.lastIndexOf('/') + 1);
    const watcher = this.track(vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, name)));
    this.track(watcher.onDidChange(() => this.scheduleReload()));
    this.track(watcher.onDidCreate(() => this.scheduleReload()));
    this.track(watcher.onDidDelete(() => this.scheduleReload()));
    InspectorSession.open.add(this);
    this.track({
      dispose: () => {
        InspectorSession.open.delete(this);
        this.lifetime.abort();
        this.loadController?.abort();
        if (this.reloadTimer) clearTimeout(this.reloadTimer);
      },
    });
  }

  protected onReady(): Promise<void> {
    return this.load(false);
  }

  /** Measured tensors of the main graph, merged by the page into what it shows. */
  async sendMeasured(values: InspectorValue[]): Promise<void> {
    await this.post({ type: 'measuredValues', graphId: '', values });
  }

  protected async onMessage(message: Exclude<InspectorFromWebview, { type: 'ready' }>): Promise<void> {
    switch (message.type) {
      case 'reload':
        await this.load(true);
        break;
      case 'reopenWith':
        await vscode.commands.executeCommand('workbench.action.reopenWithEditor', this.uri);
        break;
      case 'requestTensorStats':
        await this.sendStats(message.requestId, message.graphId, message.tensor);
        break;
    }
  }

  /** Reads the model and sends it; a newer load (or closing the editor) aborts an older one. */
  private async load(reload: boolean): Promise<void> {
    this.loadController?.abort();
    const controller = new AbortController();
    this.loadController = controller;
    const generation = ++this.generation;
    const fileName = this.uri.path.slice(this.uri.path.lastIndexOf('/') + 1);
    if (!reload) await this.post({ type: 'loading', fileName });
    try {
      const loaded = await loadInspectorState(this.uri.fsPath, AbortSignal.any([controller.signal, this.lifetime.signal]));
      if (generation !== this.generation) return;
      this.tensors = loaded.tensors;
      this.logger.info(
        `ONNX inspector: read ${loaded.state.fileName} (${loaded.state.summary.nodeCount} nodes) in ${loaded.state.loadMs.toFixed(0)} ms`,
      );
      await this.post({ type: 'state', state: loaded.state, reload });
    } catch (e) {
      if (generation !== this.generation || controller.signal.aborted || this.lifetime.signal.aborted) return;
      this.tensors = new Map();
      const error = toLoadError(this.uri.fsPath, e);
      this.logger.warn(`ONNX inspector: cannot read ${this.uri.fsPath}: ${error.message}`);
      await this.post({ type: 'loadError', error });
    }
  }

  private async sendStats(requestId: number, graphId: string, tensor: string): Promise<void> {
    const ref = this.tensors.get(tensorKey(graphId, tensor));
    if (!ref) return; // the parser checked; the model may have been reloaded since
    try {
      const stats = await tensorStatistics(ref, { signal: this.lifetime.signal, maxValues: 16 });
      await this.post({ type: 'tensorStats', requestId, graphId, tensor, stats });
    } catch (e) {
      if (this.lifetime.signal.aborted) return;
      this.logger.warn(`ONNX inspector: statistics of ${tensor} failed: ${(e as Error).message}`);
      await this.post({ type: 'tensorStatsError', requestId, graphId, tensor, message: (e as Error).message });
    }
  }

  /** Writers touch a file several times in a row: wait for it to settle. */
  private scheduleReload(): void {
    if (!this.ready) return;
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      this.load(true).catch((e: unknown) => this.logger.error(e instanceof Error ? e : new Error(String(e))));
    }, 300);
  }
}
