import * as vscode from 'vscode';
import type { CommandTable } from '../../../commands';
import { runCommand } from '../../../commands';
import { Command } from '../../../commandIds';
import type { Logger } from '../../../core/logger';
import { normalizeServerUrl, type MlflowAuth } from '../../../core/mlflow/client/mlflowAuth';
import { MlflowClient } from '../../../core/mlflow/client/MlflowClient';
import { MlflowServerError } from '../../../core/mlflow/client/MlflowServerError';
import { pushRun, type PushResult } from '../../../core/mlflow/client/pushRun';
import { UserError } from '../../../vscode/userError';
import type { RunsTree, WorkspaceRun } from '../runsTree';
import type { MlflowConnection } from './mlflowConnection';
import type { ServerNode, ServerRunsSource } from './ServerRunsSource';

/** Arguments of Connect when called by tests or other extensions: no prompts. */
export interface ConnectArgs {
  url: string;
  auth?: MlflowAuth;
}

const cancelled = (): never => {
  throw new vscode.CancellationError();
};

async function askAuth(url: string): Promise<MlflowAuth> {
  const kinds = [
    { label: 'Token', description: 'sent as "Authorization: Bearer" (MLFLOW_TRACKING_TOKEN)', auth: 'token' as const },
    { label: 'User name and password', description: 'basic auth (MLFLOW_TRACKING_USERNAME / PASSWORD)', auth: 'basic' as const },
    { label: 'None', description: 'the server needs no authentication', auth: 'none' as const },
  ];
  const picked = (await vscode.window.showQuickPick(kinds, { title: `How does ${url} authenticate?` })) ?? cancelled();
  if (picked.auth === 'none') return { kind: 'none' };
  if (picked.auth === 'token') {
    const token =
      (await vscode.window.showInputBox({
        title: `Token for ${url}`,
        password: true,
        ignoreFocusOut: true,
        prompt: 'Kept in VS Code secret storage',
      })) ?? cancelled();
    return { kind: 'token', token };
  }
  const username = (await vscode.window.showInputBox({ title: `User name for ${url}`, ignoreFocusOut: true })) ?? cancelled();
  const password =
    (await vscode.window.showInputBox({
      title: `Password for ${username} at ${url}`,
      password: true,
      ignoreFocusOut: true,
      prompt: 'Kept in VS Code secret storage',
    })) ?? cancelled();
  return { kind: 'basic', username, password };
}

function isServerNode(v: unknown, type: ServerNode['type']): v is ServerNode {
  return typeof v === 'object' && v !== null && (v as ServerNode).type === type;
}

/** Connect, Disconnect, Push Run to MLflow, and the server groups' Load more and Filter. */
export function mlflowServerCommands(tree: RunsTree, connection: MlflowConnection, source: ServerRunsSource, logger: Logger): CommandTable {
  async function localRun(arg: unknown): Promise<WorkspaceRun> {
    let entry: WorkspaceRun | undefined;
    if (typeof arg === 'object' && arg !== null && (arg as { type?: string }).type === 'run')
      entry = (arg as { entry: WorkspaceRun }).entry;
    else if (typeof arg === 'string') {
      entry = await tree.find(arg);
      if (!entry) throw new UserError(`No run with id ${arg} in this workspace.`);
    } else {
      const ended = (await tree.runs()).filter((e) => e.run.status !== 'running' && e.run.status !== 'queued');
      if (!ended.length) throw new UserError('No ended runs to push: a run can be pushed once it has finished.');
      const picked =
        (await vscode.window.showQuickPick(
          ended.map((e) => ({ label: e.run.name, description: `${e.run.status} · ${e.run.experiment}`, entry: e })),
          { title: 'Push which run to MLflow?', matchOnDescription: true },
        )) ?? cancelled();
      entry = picked.entry;
    }
    if (entry.run.source === 'mlflow-server') throw new UserError(`Run ${entry.run.name} is already on the MLflow server.`);
    return (await tree.find(entry.run.id)) ?? entry;
  }

  return {
    [Command.connectMlflowServer]: {
      trust: 'Connecting to an MLflow tracking server',
      run: async (arg) => {
        const given =
          typeof arg === 'object' && arg !== null && typeof (arg as ConnectArgs).url === 'string' ? (arg as ConnectArgs) : undefined;
        const url =
          given?.url ??
          (await vscode.window.showInputBox({
            title: 'Connect to MLflow Tracking Server',
            prompt: 'The tracking server URL (what MLFLOW_TRACKING_URI holds)',
            value: connection.url ?? 'http://',
            ignoreFocusOut: true,
            validateInput: (v) => {
              try {
                normalizeServerUrl(v);
                return undefined;
              } catch (e) {
                return (e as Error).message;
              }
            },
          })) ??
          cancelled();
        const normalized = normalizeServerUrl(url);
        const auth = given?.auth ?? (given ? { kind: 'none' as const } : await askAuth(normalized));
        const probe = new MlflowClient({ url: normalized, auth });
        let experiments: number;
        try {
          experiments = await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title: `Connecting to ${normalized}…` },
            async () => (await probe.allExperiments()).length,
          );
        } catch (e) {
          throw new UserError((e as Error).message, [
            { title: 'Retry', run: () => runCommand(Command.connectMlflowServer, { url: normalized, auth }) },
          ]);
        }
        await connection.connect(normalized, auth);
        tree.refresh();
        logger.info(`Connected to MLflow server ${normalized} (${experiments} experiments)`);
        void vscode.window.showInformationMessage(
          `Connected to MLflow server ${normalized}: ${experiments} experiment${experiments === 1 ? '' : 's'} in the Runs view.`,
        );
        return { url: normalized, experiments };
      },
    },
    [Command.disconnectMlflowServer]: {
      run: async () => {
        const url = await connection.disconnect();
        tree.refresh();
        if (url) void vscode.window.showInformationMessage(`Disconnected from MLflow server ${url}; its token or password was removed.`);
      },
    },
    [Command.pushRunToMlflow]: {
      trust: 'Pushing runs to an MLflow tracking server',
      run: async (arg): Promise<PushResult> => {
        const client = await connection.client();
        if (!client)
          throw new UserError('Not connected to an MLflow tracking server.', [
            { title: 'Connect…', run: () => runCommand(Command.connectMlflowServer) },
          ]);
        const { run, workspace } = await localRun(arg);
        let result: PushResult;
        try {
          result = await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title: `Pushing ${run.name} to MLflow`, cancellable: true },
            async (progress, token) => {
              const abort = new AbortController();
              token.onCancellationRequested(() => abort.abort());
              let shown = 0;
              return pushRun(client.withSignal(abort.signal), run, {
                workspace,
                store: tree.store(workspace),
                onProgress: (p) => {
                  const pct = Math.round(p.fraction * 100);
                  progress.report({ increment: pct - shown, message: p.message });
                  shown = pct;
                },
              });
            },
          );
        } catch (e) {
          if ((e as Error).name === 'AbortError') throw new vscode.CancellationError();
          const retry = { title: 'Retry', run: () => runCommand(Command.pushRunToMlflow, run.id) };
          throw new UserError((e as Error).message, e instanceof MlflowServerError && e.retryable ? [retry] : []);
        }
        tree.refresh();
        for (const s of result.skippedArtifacts) logger.warn(`Push of ${run.id}: artifact ${s.path} not pushed: ${s.reason}`);
        const skipped = result.skippedArtifacts.length ? ` (${result.skippedArtifacts.length} artifacts not pushed: see the log)` : '';
        void vscode.window
          .showInformationMessage(`Pushed run ${run.name} to MLflow as ${result.runId}${skipped}.`, 'Open in Browser')
          .then((choice) => (choice ? vscode.env.openExternal(vscode.Uri.parse(result.url)) : undefined));
        return result;
      },
    },
    [Command.loadMoreServerRuns]: {
      run: async (arg) => {
        if (!isServerNode(arg, 'serverMore') || arg.type !== 'serverMore') return;
        try {
          await source.loadMore(arg.experiment);
        } catch (e) {
          throw new UserError((e as Error).message, [{ title: 'Retry', run: () => runCommand(Command.loadMoreServerRuns, arg) }]);
        }
      },
    },
    [Command.filterServerRuns]: {
      run: async (arg) => {
        if (!isServerNode(arg, 'serverExperiment') || arg.type !== 'serverExperiment') return;
        const filter = await vscode.window.showInputBox({
          title: `Filter the runs of ${arg.experiment.name} on the server`,
          prompt: "MLflow search syntax, e.g. metrics.acc > 0.9 AND params.lr = '0.1'. Empty: all runs.",
          value: source.filterOf(arg.experiment.id) ?? '',
        });
        if (filter === undefined) return;
        source.setFilter(arg.experiment, filter);
      },
    },
  };
}
