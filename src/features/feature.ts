import type * as vscode from 'vscode';
import type { CommandTable } from '../commands';

/** What every feature is given when the extension activates. */
export interface FeatureContext {
  readonly extension: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
}

/**
 * What every feature's `activate` returns: the commands it handles (registered by the composition root
 * with one error and trust policy) and what it owns (views, providers, services), disposed with the extension.
 */
export interface Feature {
  readonly commands: CommandTable;
  readonly disposables: readonly vscode.Disposable[];
}
