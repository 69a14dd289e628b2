import * as vscode from 'vscode';
import { Command, View } from '../../commandIds';
import { RegistryCredentials } from '../../vscode/secrets';
import type { Feature, FeatureContext } from '../feature';
import { BuiltImages } from './containers/builtImages';
import { containerCommands } from './containers/containerCommands';
import { containerizeModelCommand } from './containers/containerizeCommand';
import { ContainerWatcher } from './containers/containerWatcher';
import { watchContainerDrift } from './containers/containerDriftWatch';
import { DockerService } from './containers/dockerService';
import { pushImageCommand } from './containers/pushImageCommand';
import { readAllLineage, type DeployContext } from './deployContext';
import { DeploymentsTree } from './deploymentsTree';
import { ReadonlyDocuments } from './readonlyDocuments';
import { LocalServers } from './serving/localServers';
import { servingCommands } from './serving/servingCommands';
import { aliasServingCommands } from './serving/aliasServing';
import { AliasDeploymentsWatch } from './aliasNodes';
import { deployKubernetesCommand } from './targets/deployKubernetesCommand';
import { deployCloudCommand } from './targets/deployCloudCommand';

/**
 * Deployments: one view over local model servers (`serving/`), containers on the Docker engine and their
 * registry pushes (`containers/`), and deployment targets with their lineage (`targets/`). Nothing here
 * touches the engine until the view is shown or a command runs.
 */
export function activate({ extension, log }: FeatureContext): Feature {
  const localServers = new LocalServers(extension.extensionUri, log, extension.workspaceState);
  void localServers.offerReattach().catch((e: Error) => log.warn(`Could not check for servers left running: ${e.message}`));
  const docker = new DockerService(log);
  const watcher = new ContainerWatcher(docker, log);
  const docs = ReadonlyDocuments.register();
  const aliases = new AliasDeploymentsWatch(localServers);
  const tree = new DeploymentsTree(localServers, watcher, docker, readAllLineage, aliases);
  const view = vscode.window.createTreeView(View.deployments, { treeDataProvider: tree });
  // Follow the engine only while someone looks at the view.
  watcher.setVisible(view.visible);

  const ctx: DeployContext = {
    context: extension,
    log,
    docker,
    docs,
    watcher,
    tree,
    view,
    drift: localServers.drift,
    images: new BuiltImages(extension.workspaceState),
    credentials: new RegistryCredentials(extension.secrets, (m) => log.warn(m)),
  };
  return {
    commands: {
      [Command.refreshDeployments]: {
        run: async () => {
          tree.refresh();
          if (view.visible) await watcher.refresh();
        },
      },
      ...servingCommands(localServers, tree, view, log),
      ...aliasServingCommands({ servers: localServers, tree, view, aliases, docker, extensionUri: extension.extensionUri, logger: log }),
      ...containerCommands(ctx),
      [Command.containerizeModel]: { trust: 'Building container images', run: (arg) => containerizeModelCommand(ctx, arg) },
      [Command.pushImage]: { trust: 'Pushing images', run: (arg, target) => pushImageCommand(ctx, arg, target) },
      [Command.deployKubernetes]: { trust: 'Deploying to Kubernetes', run: (arg) => deployKubernetesCommand(ctx, arg) },
      [Command.deployToSageMaker]: { trust: 'Deploying to SageMaker', run: (arg) => deployCloudCommand(ctx, 'sagemaker', arg) },
      [Command.deployToVertex]: { trust: 'Deploying to Vertex AI', run: (arg) => deployCloudCommand(ctx, 'vertex', arg) },
      [Command.deployToAzureML]: { trust: 'Deploying to Azure ML', run: (arg) => deployCloudCommand(ctx, 'azureml', arg) },
    },
    disposables: [
      localServers,
      aliases,
      docker,
      watcher,
      docs,
      tree,
      view,
      view.onDidChangeVisibility((e) => watcher.setVisible(e.visible)),
      watchContainerDrift(watcher, localServers.drift),
    ],
  };
}
