import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../core/logger';

/** One webview app: a bundle in dist/webview/<app>.js and the parser of what it may send. */
export interface WebviewAppSpec<FromWebview> {
  app: string;
  title: string;
  parse: (raw: unknown) => FromWebview | undefined;
  /**
   * Opt-in: worker bundles (dist/webview/<name>.js) the page may start. Each is named in a
   * `<meta name="mlw-worker" data-worker="<name>" content="<uri>">`; the CSP then allows fetching those files'
   * paths on the webview's resource hosts (connect-src) and starting workers from blob: URLs (worker-src), nothing
   * more. Without it the page gets no connect-src and no worker-src at all.
   */
  workers?: readonly string[];
}

export interface WebviewConnection<ToWebview> {
  post(message: ToWebview): Thenable<boolean>;
}

/** Where webview bundles and styles live; the only folders a webview may load from. */
export function webviewRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')];
}

/** The page every panel gets: strict CSP with a per-load nonce, no eval, no remote sources. */
export function webviewHtml(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  app: string,
  title: string,
  workers: readonly string[] = [],
): string {
  const nonce = randomBytes(18).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', `${app}.js`));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'webview.css'));
  const workerUris = workers.map((name) => ({
    name,
    uri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', `${name}.js`)).toString(),
  }));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    ...(workerUris.length
      ? ['worker-src blob:', `connect-src ${workerUris.flatMap((w) => onlyPath(webview.cspSource, w.uri)).join(' ')}`]
      : []),
  ].join('; ');
  const attr = (text: string): string => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const workerMeta = workerUris.map((w) => `<meta name="mlw-worker" data-worker="${attr(w.name)}" content="${attr(w.uri)}">\n`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${workerMeta}<link rel="stylesheet" href="${style}" nonce="${nonce}">
<title>${attr(title)}</title>
</head>
<body data-app="${app}">
<main id="app" aria-busy="true"><p class="muted">Loading…</p></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}

/**
 * CSP sources for exactly one resource: the webview's source hosts (a wildcard host such as
 * `https://*.vscode-cdn.net`, since a resource host like `vscode-remote+…` is not a valid CSP host) with the
 * resource's path appended. A scheme-only source stays as it is; keyword sources ('self') are left out.
 */
function onlyPath(cspSource: string, uri: string): string[] {
  const authority = uri.indexOf('//');
  const path = authority < 0 ? '' : uri.slice(uri.indexOf('/', authority + 2));
  return cspSource
    .split(/\s+/)
    .filter((s) => s.length > 0 && !s.startsWith("'")) // keywords such as 'self' take no path, and are not needed
    .map((source) => (source.endsWith(':') || !path.startsWith('/') ? source : `${source.replace(/\/+$/, '')}${path}`));
}

/**
 * Wires a webview to its app: options, HTML, and a message handler that only ever sees
 * messages that passed the app's parser. Malformed messages are logged and dropped.
 */
export function connectWebview<ToWebview, FromWebview>(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  spec: WebviewAppSpec<FromWebview>,
  onMessage: (message: FromWebview) => unknown,
  logger: Logger,
  disposables: vscode.Disposable[],
): WebviewConnection<ToWebview> {
  webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: webviewRoots(extensionUri) };
  webview.html = webviewHtml(webview, extensionUri, spec.app, spec.title, spec.workers);
  disposables.push(
    webview.onDidReceiveMessage(async (raw: unknown) => {
      const message = spec.parse(raw);
      if (!message) {
        logger.warn(`${spec.app} webview sent a malformed message; dropped: ${JSON.stringify(raw)?.slice(0, 200)}`);
        return;
      }
      try {
        await onMessage(message);
      } catch (e) {
        logger.error(e instanceof Error ? e : new Error(String(e)));
        void vscode.window.showErrorMessage(`${spec.title}: ${(e as Error).message}`);
      }
    }),
  );
  return { post: (message: ToWebview) => webview.postMessage(message) };
}
