import * as vscode from 'vscode';
import { Command, View } from '../../commandIds';
import type { Feature, FeatureContext } from '../feature';
import { setting } from '../../vscode/config';
import { RunCodeLensProvider } from './runCodeLensProvider';
import { RunLauncher } from './runLauncher';
import { RemoteRuns } from './targets/remoteRuns';
import { runMetaCommands } from './runMetaCommands';
import { runsCommands } from './runsCommands';
import { RunsTree } from './runsTree';
import { MlflowConnection } from './mlflowServer/mlflowConnection';
import { mlflowServerCommands } from './mlflowServer/mlflowServerCommands';
import { ServerRunsSource } from './mlflowServer/ServerRunsSource';

/** Experiment runs: the Runs view, launching runs and sweeps, dashboards, Compare, and the CodeLens on training scripts. */
export function activate({ extension, log }: FeatureContext): Feature {
  const tree = new RunsTree(log);
  const connection = new MlflowConnection(extension.secrets, log);
  const launcher = new RunLauncher(tree, vscode.Uri.joinPath(extension.extensionUri, 'python').fsPath, log, async () => {
    if (!setting('mlflow.logRunsToServer')) return undefined;
    const client = await connection.client();
    return client && { client };
  });
  const remote = new RemoteRuns(tree, launcher.output, vscode.Uri.joinPath(extension.extensionUri, 'python').fsPath, log);
  for (const f of vscode.workspace.workspaceFolders ?? [])
    void remote.reattach(f.uri.fsPath).catch((e: Error) => log.warn(`Re-attaching remote runs: ${e.message}`));
  const server = new ServerRunsSource(connection, log, () => tree.redraw());
  tree.attachServer(server);
  return {
    commands: {
      [Command.refreshRuns]: { run: () => tree.refresh() },
      ...runsCommands(tree, launcher, extension.extensionUri, log, remote),
      ...runMetaCommands(tree),
      ...mlflowServerCommands(tree, connection, server, log),
    },
    disposables: [
      tree,
      launcher,
      remote,
      connection,
      connection.onDidChange(() => tree.refresh()),
      vscode.window.createTreeView(View.runs, { treeDataProvider: tree, canSelectMany: true }),
      RunCodeLensProvider.register(),
    ],
  };
}
