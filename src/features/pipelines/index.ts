import * as vscode from 'vscode';
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import { Command } from '../../commandIds';
import { DVC_YAML } from '../../core/pipelines/readPipeline';
import { UserError } from '../../vscode/userError';
import type { Feature, FeatureContext } from '../feature';
import { PipelineCodeLensProvider } from './pipelineCodeLensProvider';
import { PipelinePanel } from './pipelinePanel';

/** The folder of the dvc.yaml to show: the one given (a dvc.yaml or its folder), the active editor's, or a workspace folder's. */
async function pipelineRoot(arg: unknown): Promise<string> {
  const fromUri = (uri: vscode.Uri): string => (path.basename(uri.fsPath) === DVC_YAML ? path.dirname(uri.fsPath) : uri.fsPath);
  if (arg instanceof vscode.Uri) return fromUri(arg);
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.scheme === 'file' && path.basename(active.fsPath) === DVC_YAML) return path.dirname(active.fsPath);
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => existsSync(path.join(f.uri.fsPath, DVC_YAML)));
  if (folders.length === 1) return folders[0].uri.fsPath;
  if (folders.length > 1) {
    const pick = await vscode.window.showQuickPick(
      folders.map((f) => ({ label: f.name, description: f.uri.fsPath, root: f.uri.fsPath })),
      { title: 'Show the pipeline of which folder?' },
    );
    if (!pick) throw new vscode.CancellationError();
    return pick.root;
  }
  throw new UserError(
    `No ${DVC_YAML} in the workspace: write one (stages with cmd, deps, outs), or start from a template with ML: New Project.`,
  );
}

/** Pipelines: the stage graph of dvc.yaml in a webview, Run Pipeline / Run Stage, and the CodeLens on dvc.yaml. */
export function activate({ extension, log }: FeatureContext): Feature {
  const output = vscode.window.createOutputChannel('ML Workbench: Pipeline');
  return {
    commands: {
      [Command.showPipeline]: {
        run: async (arg) => {
          PipelinePanel.show(await pipelineRoot(arg), extension.extensionUri, log, output);
        },
      },
    },
    disposables: [output, PipelineCodeLensProvider.register()],
  };
}
