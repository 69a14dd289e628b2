import * as vscode from 'vscode';
import type { CommandTable } from '../../commands';
import { RegistryCredentials } from '../../vscode/secrets';
import { BuiltImages } from './builtImages';
import { containerCommands } from './containerCommands';
import { containerizeModelCommand } from './containerizeCommand';
import { ContainerWatcher } from './containerWatcher';
import { readAllLineage, type DeployContext } from './deployContext';
import { registerDeployCommands } from './deployCommands';
import { deployKubernetesCommand } from './deployKubernetesCommand';
import { DeploymentsTree } from './deploymentsTree';
import { DockerService } from './dockerService';
import { LocalServers } from './localServers';
import { pushImageCommand } from './pushImageCommand';
import { ReadonlyDocuments } from './readonlyDocuments';

/**
 * The Deployments feature: local model servers, containers on the Docker engine, registry pushes
 * and Kubernetes manifests. Nothing here touches the engine until the view is shown or a command runs.
 */
export function registerDeployments(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): { commands: CommandTable; refresh: () => Promise<void> } {
  const localServers = new LocalServers(context.extensionUri, log);
  const docker = new DockerService(log);
  const watcher = new ContainerWatcher(docker, log);
  const docs = ReadonlyDocuments.register();
  const tree = new DeploymentsTree(localServers, watcher, docker, readAllLineage);
  const view = vscode.window.createTreeView('mlWorkbench.deployments', { treeDataProvider: tree });
  context.subscriptions.push(localServers, docker, watcher, docs, tree, view);
  // Follow the engine only while someone looks at the view.
  watcher.setVisible(view.visible);
  context.subscriptions.push(view.onDidChangeVisibility((e) => watcher.setVisible(e.visible)));

  const ctx: DeployContext = { context, log, docker, docs, images: new BuiltImages(context.workspaceState), credentials: new RegistryCredentials(context.secrets, (m) => log.warn(m)), watcher, tree, view };
  const commands: CommandTable = {
    ...registerDeployCommands(localServers, tree, view, log),
    ...containerCommands(ctx),
    'mlWorkbench.containerizeModel': { trust: 'Building container images', run: (arg) => containerizeModelCommand(ctx, arg) },
    'mlWorkbench.pushImage': { trust: 'Pushing images', run: (arg, target) => pushImageCommand(ctx, arg, target) },
    'mlWorkbench.deployKubernetes': { trust: 'Deploying to Kubernetes', run: (arg) => deployKubernetesCommand(ctx, arg) },
  };
  return {
    commands,
    refresh: async () => {
      tree.refresh();
      if (view.visible) await watcher.refresh();
    },
  };
}
