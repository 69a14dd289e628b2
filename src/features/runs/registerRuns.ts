import * as vscode from 'vscode';
import { registerCommands } from '../../commands';
import { RunCodeLensProvider } from './runCodeLensProvider';
import { RunLauncher } from './runLauncher';
import { runsCommands } from './runsCommands';
import { RunsTree } from './runsTree';

/** The experiment-runs feature: the Runs view, its commands, the CodeLens. Returns the tree (for Refresh Runs). */
export function registerRuns(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): RunsTree {
  const tree = new RunsTree(log);
  const launcher = new RunLauncher(tree, vscode.Uri.joinPath(context.extensionUri, 'python').fsPath, log);
  context.subscriptions.push(
    tree,
    launcher,
    vscode.window.createTreeView('mlWorkbench.runs', { treeDataProvider: tree, canSelectMany: true }),
    RunCodeLensProvider.register(),
    ...registerCommands(runsCommands(tree, launcher, context.extensionUri, log), log),
  );
  return tree;
}
