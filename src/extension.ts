import * as vscode from 'vscode';
import { registerCommands, type CommandTable } from './commands';
import { EnvironmentPanel } from './features/environment/environmentPanel';
import { ModelsTree } from './features/models/modelsTree';
import { OnnxInspectorProvider } from './features/models/onnxInspectorProvider';
import { ModelSummaryCache } from './features/models/modelSummaryCache';
import { modelCommands } from './features/models/modelCommands';
import { ModelPathProviders } from './features/models/modelPathProviders';
import { openSettings } from './vscode/config';
import { LocalServers } from './features/deploy/localServers';
import { DeploymentsTree } from './features/deploy/deploymentsTree';
import { registerDeployCommands } from './features/deploy/deployCommands';
import { registerRuns } from './features/runs/registerRuns';

const loadStart = performance.now();

/** Composition root: builds the services and registers the features. Nothing else lives here. */
export function activate(context: vscode.ExtensionContext): void {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('ML Workbench', { log: true });
  context.subscriptions.push(log);

  const modelSummaries = new ModelSummaryCache();
  const models = new ModelsTree(log, modelSummaries);
  const runs = registerRuns(context, log);
  context.subscriptions.push(
    models,
    vscode.window.createTreeView('mlWorkbench.models', { treeDataProvider: models, showCollapseAll: true }),
  );
  const localServers = new LocalServers(context.extensionUri, log);
  const deployments = new DeploymentsTree(localServers);
  const deploymentsView = vscode.window.createTreeView('mlWorkbench.deployments', { treeDataProvider: deployments });
  context.subscriptions.push(localServers, deployments, deploymentsView);

  context.subscriptions.push(OnnxInspectorProvider.register(context, log));
  context.subscriptions.push(ModelPathProviders.register(modelSummaries, log));

  const commands: CommandTable = {
    'mlWorkbench.showLog': { run: () => log.show() },
    'mlWorkbench.checkEnvironment': { run: () => EnvironmentPanel.show(context.extensionUri, log) },
    'mlWorkbench.openSettings': { run: () => openSettings() },
    'mlWorkbench.refreshModels': { run: () => models.refresh() },
    ...modelCommands({ context, log, summaries: modelSummaries }),
    'mlWorkbench.refreshRuns': { run: () => runs.refresh() },
    'mlWorkbench.refreshDeployments': { run: () => deployments.refresh() },
    ...registerDeployCommands(localServers, deployments, deploymentsView, log),
  };
  context.subscriptions.push(...registerCommands(commands, log));

  const t1 = performance.now();
  log.info(`ML Workbench ${context.extension.packageJSON.version} activated in ${(t1 - t0).toFixed(1)} ms (module load ${(t0 - loadStart).toFixed(1)} ms)`);
}

export function deactivate(): void {
  // Subscriptions are disposed by VS Code; child processes owned by features are stopped by their disposables.
}
