import * as vscode from 'vscode';
import type { CommandId } from './commandIds';
import { UserError } from './vscode/userError';

/** A command handler; `trust` names the action when it must not run in Restricted Mode. */
export interface CommandSpec {
  run: (...args: unknown[]) => unknown;
  trust?: string;
}

/** The commands a feature registers, keyed by the ids in `commandIds.ts`. */
export type CommandTable = Partial<Record<CommandId, CommandSpec>>;

/** Runs one of ML Workbench's own commands (from a notification's button, say), with its error policy. */
export function runCommand(id: CommandId, ...args: unknown[]): Thenable<unknown> {
  return vscode.commands.executeCommand(id, ...args);
}

function isCancellation(e: unknown): boolean {
  return e instanceof vscode.CancellationError || (e instanceof Error && e.name === 'AbortError');
}

/**
 * Registers every command with one error policy: a cancelled command is silent; a UserError
 * shows its message with its own ways out plus "Show Log"; anything else is logged with its
 * stack and shown with "Show Log". Nothing reaches the extension host as an unhandled rejection.
 */
export function registerCommands(table: CommandTable, log: vscode.LogOutputChannel): vscode.Disposable[] {
  return (Object.entries(table) as [CommandId, CommandSpec][]).map(([id, spec]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        if (spec.trust && !vscode.workspace.isTrusted) {
          throw new UserError(
            `${spec.trust} is disabled in Restricted Mode: this workspace is not trusted. Inspecting models and runs still works.`,
            [{ title: 'Manage Workspace Trust', run: () => vscode.commands.executeCommand('workbench.trust.manage') }],
          );
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
