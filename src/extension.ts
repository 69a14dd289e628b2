import * as vscode from 'vscode';
import { registerCommands, type CommandTable } from './commands';
import { EnvironmentPanel } from './features/environment/environmentPanel';
import { ModelsTree } from './features/models/modelsTree';
import { OnnxInspectorProvider } from './features/models/onnxInspectorProvider';
import { openSettings } from './vscode/config';

const loadStart = performance.now();

/** Composition root: builds the services and registers the features. Nothing else lives here. */
export function activate(context: vscode.ExtensionContext): void {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('ML Workbench', { log: true });
  context.subscriptions.push(log);

  const models = new ModelsTree(log);
  const empty: vscode.TreeDataProvider<never> = { getChildren: () => [], getTreeItem: (n) => n };
  context.subscriptions.push(
    models,
    vscode.window.createTreeView('mlWorkbench.models', { treeDataProvider: models, showCollapseAll: true }),
    vscode.window.createTreeView('mlWorkbench.runs', { treeDataProvider: empty }),
    vscode.window.createTreeView('mlWorkbench.deployments', { treeDataProvider: empty }),
  );

  context.subscriptions.push(OnnxInspectorProvider.register(context, log));

  const commands: CommandTable = {
    'mlWorkbench.showLog': { run: () => log.show() },
    'mlWorkbench.checkEnvironment': { run: () => EnvironmentPanel.show(context.extensionUri, log) },
    'mlWorkbench.openSettings': { run: () => openSettings() },
    'mlWorkbench.refreshModels': { run: () => models.refresh() },
    'mlWorkbench.refreshRuns': { run: () => undefined },
    'mlWorkbench.refreshDeployments': { run: () => undefined },
  };
  context.subscriptions.push(...registerCommands(commands, log));

  const t1 = performance.now();
  log.info(`ML Workbench ${context.extension.packageJSON.version} activated in ${(t1 - t0).toFixed(1)} ms (module load ${(t0 - loadStart).toFixed(1)} ms)`);
}

export function deactivate(): void {
  // Subscriptions are disposed by VS Code; child processes owned by features are stopped by their disposables.
}
