import * as vscode from 'vscode';
import * as path from 'node:path';
import type { CommandTable } from '../../../commands';
import type { Logger } from '../../../core/logger';
import { buildInferRequest, curlExample, inferPath, parseModelMetadata, type ModelMetadata } from '../../../core/serve/inferExample';
import { UserError } from '../../../vscode/userError';
import { isDeploymentNode, type DeploymentNode, type DeploymentsTree } from '../deploymentsTree';
import { localMonitorKey, type LocalServer, type LocalServers } from './localServers';
import { MonitorPanel, type MonitorTarget } from './monitorPanel';
import { Command } from '../../../commandIds';
import { runCommand } from '../../../commands';
import { findWorkspaceFiles } from '../../../vscode/findWorkspaceFiles';
import { pickModelVariant } from '../../../vscode/modelVariants';

const REQUEST_TIMEOUT_MS = 30_000;

/** The model file to act on: the argument, else the active ONNX editor, else a quick pick of workspace .onnx files. */
export async function pickModel(
  arg: unknown,
  title = 'Serve Model',
  placeHolder = 'ONNX model to serve locally',
): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg) return vscode.Uri.file(arg);
  const fromItem = (arg as { file?: { uri?: unknown } } | undefined)?.file?.uri;
  if (fromItem instanceof vscode.Uri) return fromItem;
  const tabInput = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const active = tabInput instanceof vscode.TabInputCustom || tabInput instanceof vscode.TabInputText ? tabInput.uri : undefined;
  const uris = await findWorkspaceFiles('**/*.onnx', 1000);
  if (active && active.path.endsWith('.onnx') && uris.length <= 1) return active;
  if (uris.length === 0 && !active?.path.endsWith('.onnx')) {
    throw new UserError(`There are no .onnx files in this workspace (${title}).`, [
      { title: 'Open File…', run: () => vscode.commands.executeCommand('workbench.action.files.openFile') },
    ]);
  }
  const items = uris
    .sort((a, b) => a.fsPath.localeCompare(b.fsPath))
    .map((uri) => ({ label: path.basename(uri.fsPath), description: vscode.workspace.asRelativePath(uri, false), uri }));
  if (active?.path.endsWith('.onnx')) {
    const i = items.findIndex((x) => x.uri.toString() === active.toString());
    const [current] =
      i >= 0
        ? items.splice(i, 1)
        : [{ label: path.basename(active.fsPath), description: vscode.workspace.asRelativePath(active, false), uri: active }];
    items.unshift({ ...current, description: `${current.description} · active editor` });
  }
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder });
  return picked?.uri;
}

async function fetchJson(url: string, init?: RequestInit): Promise<{ status: number; body: unknown; ms: number }> {
  const t0 = performance.now();
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw new UserError(`The server at ${new URL(url).origin} did not answer: ${cause ?? (e as Error).message}`);
  }
  const text = await res.text();
  const ms = performance.now() - t0;
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: res.status, body, ms };
}

function errorOf(body: unknown): string {
  if (typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string')
    return (body as { error: string }).error;
  return typeof body === 'string' ? body.slice(0, 500) : JSON.stringify(body).slice(0, 500);
}

export async function fetchModelMetadata(baseUrl: string, model: string): Promise<ModelMetadata> {
  const { status, body } = await fetchJson(`${baseUrl}/v2/models/${encodeURIComponent(model)}`);
  if (status !== 200) throw new UserError(`Could not read the metadata of model "${model}" (HTTP ${status}): ${errorOf(body)}`);
  return parseModelMetadata(body);
}

/**
 * Posts one request built from the model's metadata (random data) and shows request and answer beside the editor.
 * `failure` makes the error for an answer other than HTTP 200.
 */
export async function sendTestRequest(
  base: string,
  model: string,
  failure: (meta: ModelMetadata, status: number, body: unknown) => Error,
): Promise<unknown> {
  const meta = await fetchModelMetadata(base, model);
  const request = buildInferRequest(meta, 'random');
  const url = `${base}${inferPath(meta.name)}`;
  const { status, body, ms } = await fetchJson(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(request),
  });
  if (status !== 200) throw failure(meta, status, body);
  const content = JSON.stringify({ request: { url, ms: Math.round(ms * 10) / 10, body: request }, response: body }, null, 2);
  const doc = await vscode.workspace.openTextDocument({ language: 'json', content });
  await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
  return body;
}

/** What the monitor shows and does for a server the extension started. */
function localMonitorTarget(server: LocalServer, onTestRequest: () => unknown): MonitorTarget {
  return {
    ...localMonitorKey(server),
    url: () => (server.state === 'ready' && server.url ? server.url : { stopped: `server is ${server.state}` }),
    modelNames: () => server.models.map((m) => m.name),
    modelPath: (model) => server.models.find((m) => m.name === model)?.path,
    sendTestRequest: onTestRequest,
    openLog: () => server.log.show(),
    restart: () => runCommand(Command.restartServer, server.url),
  };
}

export function servingCommands(
  servers: LocalServers,
  tree: DeploymentsTree,
  view: vscode.TreeView<DeploymentNode>,
  logger: Logger,
): CommandTable {
  /** The server a command is about: a tree node, a URL, or a pick among the servers matching `filter`. */
  async function pickServer(arg: unknown, filter: (s: LocalServer) => boolean, what: string): Promise<LocalServer | undefined> {
    if (isDeploymentNode(arg) && (arg.type === 'server' || arg.type === 'model')) return arg.server;
    if (typeof arg === 'string') {
      const s = servers.byUrl(arg, filter);
      if (!s) throw new UserError(`No local server at ${arg}.`);
      return s;
    }
    const candidates = servers.all.filter(filter);
    if (candidates.length === 0)
      throw new UserError(`No local model server to ${what}.`, [{ title: 'Serve a Model', run: () => runCommand(Command.serveModel) }]);
    if (candidates.length === 1) return candidates[0];
    const picked = await vscode.window.showQuickPick(
      candidates.map((s) => ({ label: s.label, description: s.url ?? s.state, detail: s.modelPath, s })),
      { title: `Select the server to ${what}` },
    );
    return picked?.s;
  }

  /** The served model a request command is about. */
  async function pickServedModel(arg: unknown): Promise<{ server: LocalServer; model: string } | undefined> {
    if (isDeploymentNode(arg) && arg.type === 'model') return { server: arg.server, model: arg.model.name };
    const server = await pickServer(arg, (s) => s.state === 'ready', 'send requests to');
    if (!server) return undefined;
    if (server.state !== 'ready' || !server.url) throw new UserError(`${server.label} is not ready (${server.state}).`);
    if (server.models.length === 1) return { server, model: server.models[0].name };
    const picked = await vscode.window.showQuickPick(
      server.models.map((m) => ({ label: m.name, description: m.path })),
      { title: 'Select the model' },
    );
    return picked ? { server, model: picked.label } : undefined;
  }

  function offerNextSteps(server: LocalServer): void {
    void vscode.window
      .showInformationMessage(`${server.label} is served at ${server.url}`, 'Send Test Request', 'Copy curl Example')
      .then((choice) => {
        const node = tree.nodeFor(server);
        if (choice === 'Send Test Request') return runCommand(Command.sendTestRequest, node);
        if (choice === 'Copy curl Example') return runCommand(Command.copyCurlExample, node);
        return undefined;
      });
  }

  async function serveModel(arg: unknown): Promise<string | undefined> {
    const model = await pickModel(arg);
    if (!model) return undefined;
    if (model.scheme !== 'file') throw new UserError(`Only models on the local file system can be served (${model.toString()}).`);
    const uri = await pickModelVariant(model, 'Serve');
    const existing = servers.runningFor(uri.fsPath);
    if (existing?.state === 'ready') {
      offerNextSteps(existing);
      return existing.url;
    }
    const server = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Serving ${path.basename(uri.fsPath)}`, cancellable: true },
      async (progress, token) => {
        progress.report({ message: 'starting the server and loading the model…' });
        return servers.start(uri.fsPath, token);
      },
    );
    void view.reveal(tree.nodeFor(server), { select: false, focus: false, expand: true }).then(undefined, () => undefined);
    offerNextSteps(server);
    return server.url;
  }

  async function withServer(
    arg: unknown,
    filter: (s: LocalServer) => boolean,
    what: string,
    run: (s: LocalServer) => unknown,
  ): Promise<unknown> {
    const server = await pickServer(arg, filter, what);
    return server ? run(server) : undefined;
  }

  return {
    [Command.serveModel]: { trust: 'Serving models', run: serveModel },
    [Command.stopServer]: {
      run: (arg) =>
        withServer(
          arg,
          (s) => s.running,
          'stop',
          async (s) => {
            await servers.stop(s);
            logger.info(`Stopped server ${s.id} (${s.label})`);
          },
        ),
    },
    [Command.restartServer]: {
      trust: 'Serving models',
      run: (arg) =>
        withServer(
          arg,
          () => true,
          'restart',
          (s) =>
            vscode.window.withProgress(
              { location: vscode.ProgressLocation.Notification, title: `Restarting ${s.label}`, cancellable: true },
              async (_p, token) => (await servers.restart(s, token)).url,
            ),
        ),
    },
    [Command.removeServer]: {
      run: (arg) =>
        withServer(
          arg,
          (s) => !s.running,
          'remove',
          async (s) => servers.remove(s),
        ),
    },
    [Command.openServerMonitor]: {
      run: (arg) =>
        withServer(
          arg,
          (s) => s.state === 'ready',
          'monitor',
          (s) => {
            MonitorPanel.show(
              localMonitorTarget(s, () => runCommand(Command.sendTestRequest, tree.nodeFor(s))),
              servers.drift,
              servers.extensionUri,
              logger,
            );
          },
        ),
    },
    [Command.openServerLog]: {
      run: (arg) =>
        withServer(
          arg,
          () => true,
          'show the log of',
          async (s) => s.log.show(),
        ),
    },
    [Command.copyCurlExample]: {
      run: async (arg) => {
        const target = await pickServedModel(arg);
        if (!target) return undefined;
        const meta = await fetchModelMetadata(target.server.url!, target.model);
        const curl = curlExample(target.server.url!, meta);
        await vscode.env.clipboard.writeText(curl);
        void vscode.window.showInformationMessage(`curl example for ${meta.name} copied to the clipboard.`);
        return curl;
      },
    },
    [Command.sendTestRequest]: {
      run: async (arg) => {
        const target = await pickServedModel(arg);
        if (!target) return undefined;
        return sendTestRequest(
          target.server.url!,
          target.model,
          (meta, status, body) =>
            new UserError(`Test request to ${meta.name} failed with HTTP ${status}: ${errorOf(body)}`, [
              { title: 'Open Server Log', run: () => target.server.log.show() },
            ]),
        );
      },
    },
  };
}
