import * as vscode from 'vscode';
import { Disposable } from '../../vscode/disposable';

export const READONLY_SCHEME = 'mlw-view';

/**
 * Read-only documents the extension writes and the user reads: generated Dockerfiles and manifests
 * for review, container logs that follow while open, lineage reports. Content lives in memory;
 * `append` coalesces bursts (a log stream) into one change event every 200 ms.
 */
export class ReadonlyDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly changed = this.track(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changed.event;
  private readonly texts = new Map<string, string>();
  private readonly pending = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;

  static register(): ReadonlyDocuments {
    const docs = new ReadonlyDocuments();
    docs.track(vscode.workspace.registerTextDocumentContentProvider(READONLY_SCHEME, docs));
    return docs;
  }

  /** A URI whose last path segment is the tab title; `key` keeps two documents with the same title apart. */
  static uri(title: string, key: string): vscode.Uri {
    return vscode.Uri.from({ scheme: READONLY_SCHEME, path: `/${title}`, query: key });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  set(uri: vscode.Uri, text: string): void {
    this.texts.set(uri.toString(), text);
    this.changed.fire(uri);
  }

  /** Appends text, keeping at most `maxChars` (the oldest text is dropped at a line boundary). */
  append(uri: vscode.Uri, text: string, maxChars = 2_000_000): void {
    const key = uri.toString();
    let next = (this.texts.get(key) ?? '') + text;
    if (next.length > maxChars) {
      const cut = next.indexOf('\n', next.length - maxChars);
      next = next.slice(cut >= 0 ? cut + 1 : next.length - maxChars);
    }
    this.texts.set(key, next);
    this.pending.add(key);
    this.flushTimer ??= setTimeout(() => this.flush(), 200);
  }

  private flush(): void {
    this.flushTimer = undefined;
    for (const key of this.pending) this.changed.fire(vscode.Uri.parse(key));
    this.pending.clear();
  }

  forget(uri: vscode.Uri): void {
    this.texts.delete(uri.toString());
  }

  /** Opens (or reveals) the document, with a language for highlighting. */
  async show(uri: vscode.Uri, language?: string, opts: vscode.TextDocumentShowOptions = {}): Promise<vscode.TextEditor> {
    let doc = await vscode.workspace.openTextDocument(uri);
    if (language && doc.languageId !== language) doc = await vscode.languages.setTextDocumentLanguage(doc, language);
    return vscode.window.showTextDocument(doc, { preview: false, ...opts });
  }

  /** True while some editor tab shows the document. */
  static isOpen(uri: vscode.Uri): boolean {
    const key = uri.toString();
    return vscode.window.tabGroups.all.some((g) =>
      g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === key),
    );
  }

  override dispose(): void {
    clearTimeout(this.flushTimer);
    super.dispose();
  }
}
