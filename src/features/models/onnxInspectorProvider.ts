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
import { OnnxEditDocument, parseEditBackup } from './editing/onnxEditDocument';

/**
 * The custom editor for *.onnx files: summary page and graph view, and edits of the signature, metadata, doc
 * string and version that the document keeps until Save (undo and redo through VS Code's history).
 */
export class OnnxInspectorProvider implements vscode.CustomEditorProvider<OnnxEditDocument> {
  static readonly viewType = View.onnxInspector;
  private readonly edits = new vscode.EventEmitter<vscode.CustomDocumentEditEvent<OnnxEditDocument>>();
  readonly onDidChangeCustomDocument = this.edits.event;

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

  async openCustomDocument(uri: vscode.Uri, context: vscode.CustomDocumentOpenContext): Promise<OnnxEditDocument> {
    let backup;
    if (context.backupId !== undefined) {
      try {
        backup = parseEditBackup(new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.parse(context.backupId))));
      } catch (e) {
        this.log.warn(`ONNX inspector: the edits backed up for ${uri.fsPath} cannot be read: ${(e as Error).message}`);
      }
    }
    const document = new OnnxEditDocument(uri, this.log, backup);
    document.onDidEdit((e) => this.edits.fire(e));
    return document;
  }

  resolveCustomEditor(document: OnnxEditDocument, panel: vscode.WebviewPanel): void {
    new InspectorSession(document, panel, this.extensionUri, this.log);
  }

  saveCustomDocument(document: OnnxEditDocument, cancellation: vscode.CancellationToken): Promise<void> {
    return document.save(cancellation);
  }

  saveCustomDocumentAs(document: OnnxEditDocument, destination: vscode.Uri, cancellation: vscode.CancellationToken): Promise<void> {
    return document.saveAs(destination, cancellation);
  }

  revertCustomDocument(document: OnnxEditDocument): Promise<void> {
    document.revert();
    return Promise.resolve();
  }

  backupCustomDocument(document: OnnxEditDocument, context: vscode.CustomDocumentBackupContext): Promise<vscode.CustomDocumentBackup> {
    return document.backup(context.destination);
  }

  /** Sends Measure Shapes' values to every open inspector of `uri`; how many there were. */
  static async postMeasured(uri: vscode.Uri, values: InspectorValue[]): Promise<number> {
    const open = [...InspectorSession.open].filter((s) => s.uri.toString() === uri.toString());
    await Promise.all(open.map((s) => s.sendMeasured(values)));
    return open.length;
  }
}

/** One open inspector: loads the model, answers the webview, shows the document's edits, reloads when the file changes on disk. */
class InspectorSession extends WebviewPanelHost<InspectorToWebview, InspectorFromWebview> {
  static readonly open = new Set<InspectorSession>();
  private tensors = new Map<string, TensorRef>();
  private loadController: AbortController | undefined;
  private readonly lifetime = new AbortController();
  private generation = 0;
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;

  readonly uri: vscode.Uri;

  constructor(
    private readonly document: OnnxEditDocument,
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
    const uri = (this.uri = document.uri);
    this.track(document.onDidChangeEdits(() => void this.post({ type: 'edits', edits: document.state() })));
    this.track(document.onDidRequestReload(() => this.scheduleReload()));
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
      case 'edit':
        await this.document.edit(message.step);
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
      // The document tells every inspector of it the edits on this model (this one included).
      this.document.loaded(loaded.model, loaded.state.summary);
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
