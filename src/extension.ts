import * as vscode from 'vscode';
import { registerCommands, type CommandTable } from './commands';
import { EnvironmentPanel } from './features/environment/environmentPanel';
import { ModelsTree } from './features/models/modelsTree';
import { OnnxInspectorProvider } from './features/models/onnxInspectorProvider';
import { ModelSummaryCache } from './features/models/modelSummaryCache';
import { modelCommands } from './features/models/modelCommands';
import { ModelPathProviders } from './features/models/modelPathProviders';
import { openSettings } from './vscode/config';
import { registerDeployments } from './features/deploy/registerDeployments';
import { registerRuns } from './features/runs/registerRuns';
import { scaffoldCommands } from './features/scaffold/registerScaffold';

const loadStart = performance.now();

/** What `activate` returns to other extensions and to the integration suite: how long activation took. */
export interface ExtensionApi {
  activation: { moduleLoadMs: number; activateMs: number };
}

/** Composition root: builds the services and registers the features. Nothing else lives here. */
export function activate(context: vscode.ExtensionContext): ExtensionApi {
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
  const deployments = registerDeployments(context, log);

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
    ...deployments.commands,
    ...scaffoldCommands(log),
  };
  context.subscriptions.push(...registerCommands(commands, log));

  const t1 = performance.now();
  const activation = { moduleLoadMs: t0 - loadStart, activateMs: t1 - t0 };
  log.info(`ML Workbench ${context.extension.packageJSON.version} activated in ${activation.activateMs.toFixed(1)} ms (module load ${activation.moduleLoadMs.toFixed(1)} ms)`);
  return { activation };
}

export function deactivate(): void {
  // Subscriptions are disposed by VS Code; child processes owned by features are stopped by their disposables.
}
