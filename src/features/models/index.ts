import * as vscode from 'vscode';
import { Command, View } from '../../commandIds';
import type { Feature, FeatureContext } from '../feature';
import { exportOnnxCommand } from './export/exportOnnxCommand';
import { modelCommands } from './modelCommands';
import { optimizeCommands } from './optimize/optimizeCommand';
import { ModelPathProviders } from './modelPathProviders';
import { ModelsTree } from './modelsTree';
import { ModelSummaryCache } from './modelSummaryCache';
import { OnnxInspectorProvider } from './onnxInspectorProvider';
import { promoteCommand } from './registry/promoteCommand';
import { retrainCommand } from './registry/retrainCommand';
import { useSecretsForRegistryMirror } from './registry/mirrorRegistryChange';
import { registryCommands } from './registry/registryCommands';
import { WeightsInspectorProvider } from './weightsInspectorProvider';

/**
 * Models: the Models view, the ONNX and weights (safetensors, PyTorch) inspectors (custom editors), hovers and links
 * on model paths, and the model commands.
 */
export function activate({ extension, log }: FeatureContext): Feature {
  const summaries = new ModelSummaryCache();
  const tree = new ModelsTree(log, summaries);
  useSecretsForRegistryMirror(extension.secrets, log);
  return {
    commands: {
      [Command.refreshModels]: { run: () => tree.refresh() },
      ...modelCommands({ context: extension, log, summaries }),
      ...optimizeCommands(extension.extensionUri, log),
      [Command.promoteRegistryVersion]: {
        trust: 'Promoting a registry version (it rolls what serves the alias)',
        run: (node?: unknown) => promoteCommand(node, log, () => tree.refresh(), extension.extensionUri.fsPath),
      },
      ...registryCommands(extension.extensionUri, log, () => tree.refresh()),
      [Command.retrainOnRecentData]: {
        trust: 'Retraining on recent data',
        run: (arg?: unknown) => retrainCommand(arg, log, () => tree.refresh()),
      },
      [Command.exportToOnnx]: {
        trust: 'Exporting models to ONNX',
        run: (arg?: unknown, opts?: unknown) => exportOnnxCommand(extension, log, arg, opts),
      },
    },
    disposables: [
      tree,
      vscode.window.createTreeView(View.models, { treeDataProvider: tree, showCollapseAll: true }),
      OnnxInspectorProvider.register(extension, log),
      WeightsInspectorProvider.register(extension, log),
      ModelPathProviders.register(summaries, log),
    ],
  };
}
