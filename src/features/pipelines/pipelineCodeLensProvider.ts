import * as vscode from 'vscode';
import { Command } from '../../commandIds';

/** "Show Pipeline" above `stages:` of a dvc.yaml (or its first line). */
export class PipelineCodeLensProvider implements vscode.CodeLensProvider {
  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    let line = 0;
    for (let i = 0; i < document.lineCount; i++)
      if (/^stages\s*:/.test(document.lineAt(i).text)) {
        line = i;
        break;
      }
    return [
      new vscode.CodeLens(document.lineAt(line).range, {
        title: '$(type-hierarchy) Show Pipeline',
        tooltip: 'The stage graph: each stage fresh or stale, and why; run the pipeline or a stage',
        command: Command.showPipeline,
        arguments: [document.uri],
      }),
    ];
  }

  static register(): vscode.Disposable {
    return vscode.languages.registerCodeLensProvider({ scheme: 'file', pattern: '**/dvc.yaml' }, new PipelineCodeLensProvider());
  }
}
