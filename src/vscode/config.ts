import * as vscode from 'vscode';

export const SECTION = 'mlWorkbench';

/** Typed access to the extension's settings; the keys are declared in package.json. */
export interface Settings {
  pythonPath: string;
  'docker.host': string;
  modelGlob: string;
  excludeGlob: string;
  'runs.parallelism': number;
  executionProviders: string[];
  executionProviderFallback: boolean;
}

export function setting<K extends keyof Settings>(key: K): Settings[K] {
  const value = vscode.workspace.getConfiguration(SECTION).get<Settings[K]>(key);
  if (value === undefined) throw new Error(`setting ${SECTION}.${key} is not declared in package.json`);
  return value;
}

export function openSettings(query = SECTION): Thenable<unknown> {
  return vscode.commands.executeCommand('workbench.action.openSettings', query);
}
