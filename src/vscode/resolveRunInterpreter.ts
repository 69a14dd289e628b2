import * as vscode from 'vscode';
import type { Logger } from '../core/logger';
import { InterpreterNotFoundError, resolveInterpreter } from '../core/runs/resolveInterpreter';
import { openSettings } from './config';
import { describeSource, pythonInterpreter, type InterpreterChoice } from './pythonInterpreter';
import { UserError } from './userError';

/**
 * The absolute path of the interpreter runs use in `cwd`: `explicit` (e.g. the one a rerun recorded), else
 * mlWorkbench.pythonPath when set, else the Python extension's selection, else `$MLW_PYTHON` / python3 on PATH (see
 * pythonInterpreter.ts). A missing one is a UserError with Open Settings. Runs and Export to ONNX both use it.
 */
export async function resolveRunInterpreter(cwd: string, logger: Logger, explicit?: string): Promise<string> {
  const choice: InterpreterChoice = explicit
    ? { command: explicit, source: 'setting' }
    : await pythonInterpreter(vscode.Uri.file(cwd), logger);
  const from = explicit ? 'recorded with the run' : describeSource(choice.source);
  try {
    const found = await resolveInterpreter(choice.command, process.env, cwd);
    logger.info(`Python interpreter: ${found} (${from})`);
    return found;
  } catch (e) {
    if (!(e instanceof InterpreterNotFoundError)) throw e;
    throw new UserError(
      `Python interpreter not found: ${e.interpreter} (${from}). Set mlWorkbench.pythonPath, or select an interpreter in the Python extension.`,
      [{ title: 'Open Settings', run: () => openSettings('mlWorkbench.pythonPath') }],
    );
  }
}
