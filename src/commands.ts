import * as vscode from 'vscode';
import { UserError } from './vscode/userError';

/** A command handler; `trust` names the action when it must not run in Restricted Mode. */
export interface CommandSpec {
  run: (...args: unknown[]) => unknown;
  trust?: string;
}

export type CommandTable = Record<string, CommandSpec>;

function isCancellation(e: unknown): boolean {
  return e instanceof vscode.CancellationError || (e instanceof Error && e.name === 'AbortError');
}

/**
 * Registers every command with one error policy: a cancelled command is silent; a UserError
 * shows its message with its own ways out plus "Show Log"; anything else is logged with its
 * stack and shown with "Show Log". Nothing reaches the extension host as an unhandled rejection.
 */
export function registerCommands(table: CommandTable, log: vscode.LogOutputChannel): vscode.Disposable[] {
  return Object.entries(table).map(([id, spec]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        if (spec.trust && !vscode.workspace.isTrusted) {
          throw new UserError(`${spec.trust} is disabled in Restricted Mode: this workspace is not trusted. Inspecting models and runs still works.`, [
            { title: 'Manage Workspace Trust', run: () => vscode.commands.executeCommand('workbench.trust.manage') },
          ]);
        }
        return await spec.run(...args);
      } catch (e) {
        if (isCancellation(e)) {
          log.info(`${id}: cancelled`);
          return undefined;
        }
        const actions = e instanceof UserError ? e.actions : [];
        if (e instanceof UserError) log.warn(`${id}: ${e.message}`);
        else log.error(`${id} failed`, e);
        const message = e instanceof Error ? e.message : String(e);
        const choice = await vscode.window.showErrorMessage(message, ...actions.map((a) => a.title), 'Show Log');
        if (choice === 'Show Log') log.show(true);
        else actions.find((a) => a.title === choice)?.run();
        return undefined;
      }
    }),
  );
}
