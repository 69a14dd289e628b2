import * as vscode from 'vscode';
import { Command } from '../../commandIds';
import { MAIN_GUARD } from '../../core/runs/orderScripts';

/** "Run as Experiment" above `if __name__ == "__main__":` in Python files. */
export class RunCodeLensProvider implements vscode.CodeLensProvider {
  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const lenses: vscode.CodeLens[] = [];
    for (let i = 0; i < document.lineCount; i++) {
      const line = document.lineAt(i);
      if (MAIN_GUARD.test(line.text)) {
        lenses.push(
          new vscode.CodeLens(line.range, {
            title: '$(beaker) Run as Experiment',
            command: Command.runExperiment,
            arguments: [document.uri],
          }),
        );
      }
    }
    return lenses;
  }

  static register(): vscode.Disposable {
    return vscode.languages.registerCodeLensProvider({ language: 'python', scheme: 'file' }, new RunCodeLensProvider());
  }
}
