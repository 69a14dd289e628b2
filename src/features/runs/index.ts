import * as vscode from 'vscode';
import { Command, View } from '../../commandIds';
import type { Feature, FeatureContext } from '../feature';
import { RunCodeLensProvider } from './runCodeLensProvider';
import { RunLauncher } from './runLauncher';
import { runMetaCommands } from './runMetaCommands';
import { runsCommands } from './runsCommands';
import { RunsTree } from './runsTree';

/** Experiment runs: the Runs view, launching runs and sweeps, dashboards, Compare, and the CodeLens on training scripts. */
export function activate({ extension, log }: FeatureContext): Feature {
  const tree = new RunsTree(log);
  const launcher = new RunLauncher(tree, vscode.Uri.joinPath(extension.extensionUri, 'python').fsPath, log);
  return {
    commands: {
      [Command.refreshRuns]: { run: () => tree.refresh() },
      ...runsCommands(tree, launcher, extension.extensionUri, log),
      ...runMetaCommands(tree),
    },
    disposables: [
      tree,
      launcher,
      vscode.window.createTreeView(View.runs, { treeDataProvider: tree, canSelectMany: true }),
      RunCodeLensProvider.register(),
    ],
  };
}
