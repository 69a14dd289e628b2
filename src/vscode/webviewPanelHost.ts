import * as vscode from 'vscode';
import type { Logger } from '../core/logger';
import { Disposable } from './disposable';
import { connectWebview, type WebviewAppSpec, type WebviewConnection } from './webviewHost';

/** Every page says `ready` when it has loaded (again, after a reload): the host then sends its whole state. */
type Ready = { type: 'ready' };

/** Where a new panel opens and whether its page is kept while hidden. */
export interface PanelPlacement {
  column?: vscode.ViewColumn;
  preserveFocus?: boolean;
  /** Keep the page alive while hidden (charts with history, a laid-out graph); otherwise it reloads and says ready again. */
  retainContextWhenHidden?: boolean;
}

/** Opens a webview panel of ML Workbench: its view type, title, the extension's icon, the placement. */
export function createPanel(
  viewType: string,
  title: string,
  extensionUri: vscode.Uri,
  placement: PanelPlacement = {},
): vscode.WebviewPanel {
  const panel = vscode.window.createWebviewPanel(
    viewType,
    title,
    { viewColumn: placement.column ?? vscode.ViewColumn.Active, preserveFocus: placement.preserveFocus },
    { retainContextWhenHidden: placement.retainContextWhenHidden ?? false },
  );
  panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'activitybar.svg');
  return panel;
}

/**
 * The base of every ML Workbench webview panel and custom editor: the page with its strict CSP, messages
 * validated by the app's parser, the ready handshake, and one owner for everything the panel holds.
 *
 * - `onReady` runs each time the page loads (first open, or again after a hidden, not retained page was
 *   discarded) and sends the whole state; `post` sends nothing before the page first said ready.
 * - `onMessage` sees only messages that passed the parser, never `ready`.
 * - What a subclass `track`s is disposed with the panel, whoever closes it.
 */
export abstract class WebviewPanelHost<ToWebview, FromWebview extends { type: string }> extends Disposable {
  private readonly connection: WebviewConnection<ToWebview>;
  private pageReady = false;
  private disposed = false;

  protected constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    app: WebviewAppSpec<FromWebview>,
    protected readonly logger: Logger,
  ) {
    super();
    const subscriptions: vscode.Disposable[] = [];
    this.connection = connectWebview<ToWebview, FromWebview>(
      panel.webview,
      extensionUri,
      app,
      (m) => this.receive(m),
      logger,
      subscriptions,
    );
    for (const d of subscriptions) this.track(d);
    this.track(panel.onDidDispose(() => this.dispose()));
  }

  /** Whether the page has said ready since it (re)loaded. */
  protected get ready(): boolean {
    return this.pageReady;
  }

  /** Sends a message to a loaded page; resolves false (and sends nothing) before the page said ready. */
  protected post(message: ToWebview): Thenable<boolean> {
    return this.pageReady ? this.connection.post(message) : Promise.resolve(false);
  }

  /** The page has loaded: send it the whole state. */
  protected abstract onReady(): unknown;

  protected abstract onMessage(message: Exclude<FromWebview, Ready>): unknown;

  private receive(message: FromWebview): unknown {
    if (message.type === 'ready') {
      this.pageReady = true;
      return this.onReady();
    }
    return this.onMessage(message as Exclude<FromWebview, Ready>);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Closes the panel (if open) and disposes what it holds; safe to call twice. */
  override dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    super.dispose();
    this.panel.dispose();
  }
}

/** The open panels of one kind, by key: `show` reveals the one for a key or creates it. */
export class PanelRegistry<P extends WebviewPanelHost<unknown, { type: string }>> {
  private readonly open = new Map<string, P>();

  /** The panel for `key`, revealed, or a new one from `create`; `reuse` updates a revealed one first. */
  show(key: string, create: () => P, reuse?: (existing: P) => void, preserveFocus?: boolean): P {
    const existing = this.open.get(key);
    if (existing && !existing.isDisposed) {
      reuse?.(existing);
      existing.panel.reveal(undefined, preserveFocus);
      return existing;
    }
    const created = create();
    this.open.set(key, created);
    created.panel.onDidDispose(() => {
      if (this.open.get(key) === created) this.open.delete(key);
    });
    return created;
  }

  get(key: string): P | undefined {
    return this.open.get(key);
  }

  has(key: string): boolean {
    return this.open.has(key);
  }

  /** Closes the panel for `key`, if one is open. */
  close(key: string): void {
    this.open.get(key)?.dispose();
  }
}
