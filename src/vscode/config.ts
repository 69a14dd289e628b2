import * as vscode from 'vscode';

export const SECTION = 'mlWorkbench';

/** Typed access to the extension's settings; the keys are declared in package.json. */
export interface Settings {
  pythonPath: string;
  'docker.host': string;
  modelGlob: string;
  excludeGlob: string;
  'runs.parallelism': number;
  'runs.captureScalars': boolean;
  'runs.scalarPattern': string;
  'runs.snapshotMaxBytes': number;
  targets: Record<string, unknown>;
  'mlflow.trackingUri': string;
  'mlflow.logRunsToServer': boolean;
  'runs.systemMetricsInterval': number;
  executionProviders: string[];
  executionProviderFallback: boolean;
}

/** A setting's value; `scope` (a file or folder) picks the folder's value of resource-scoped settings. */
export function setting<K extends keyof Settings>(key: K, scope?: vscode.Uri): Settings[K] {
  const value = vscode.workspace.getConfiguration(SECTION, scope).get<Settings[K]>(key);
  if (value === undefined) throw new Error(`setting ${SECTION}.${key} is not declared in package.json`);
  return value;
}

export function openSettings(query = SECTION): Thenable<unknown> {
  return vscode.commands.executeCommand('workbench.action.openSettings', query);
}
