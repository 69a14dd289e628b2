import * as vscode from 'vscode';
import { registerCommands } from './commands';
import type { FeatureContext } from './features/feature';
import * as deployments from './features/deployments';
import * as environment from './features/environment';
import * as models from './features/models';
import * as pipelines from './features/pipelines';
import * as runs from './features/runs';
import * as scaffold from './features/scaffold';

const loadStart = performance.now();

/** Every feature, each a folder under features/ whose index exports `activate(ctx): Feature`. */
const FEATURES = [environment, models, runs, pipelines, deployments, scaffold];

/** What `activate` returns to other extensions and to the integration suite: how long activation took. */
export interface ExtensionApi {
  activation: { moduleLoadMs: number; activateMs: number };
}

/** Composition root: activates each feature, registers its commands with one error and trust policy, and owns what it returns. */
export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('ML Workbench', { log: true });
  context.subscriptions.push(log);

  const ctx: FeatureContext = { extension: context, log };
  for (const feature of FEATURES) {
    const { commands, disposables } = feature.activate(ctx);
    context.subscriptions.push(...disposables, ...registerCommands(commands, log));
  }

  const t1 = performance.now();
  const activation = { moduleLoadMs: t0 - loadStart, activateMs: t1 - t0 };
  log.info(
    `ML Workbench ${context.extension.packageJSON.version} activated in ${activation.activateMs.toFixed(1)} ms (module load ${activation.moduleLoadMs.toFixed(1)} ms)`,
  );
  return { activation };
}

export function deactivate(): void {
  // Subscriptions are disposed by VS Code; child processes owned by features are stopped by their disposables.
}
