import * as vscode from 'vscode';
import type { Logger } from '../core/logger';
import type { PythonPathSetting } from '../core/env/explainInterpreter';
import { SECTION } from './config';

/** Where the interpreter for a run came from. */
export type InterpreterSource = 'setting' | 'python-extension' | 'default';

export interface InterpreterChoice {
  /** A path or a command name; undefined for `default` (the core picks `$MLW_PYTHON`, else `python3` on PATH). */
  command: string | undefined;
  source: InterpreterSource;
}

/** The part of the Python extension's API (ms-python.python, `environments`) this module uses. */
interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { id: string; path: string };
    resolveEnvironment(env: { id: string; path: string } | string): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  };
}

const PYTHON_EXTENSION_ID = 'ms-python.python';
const DEFAULT_TIMEOUT_MS = 3000;

class Timeout extends Error {}

function within<T>(p: Thenable<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    Promise.resolve(p).finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Timeout(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]);
}

/** What VS Code knows about mlWorkbench.pythonPath for `resource`: the value at each level and the one it applies. */
export function pythonPathSetting(resource: vscode.Uri | undefined): PythonPathSetting {
  const config = vscode.workspace.getConfiguration(SECTION, resource);
  const info = config.inspect<string>('pythonPath');
  return {
    globalValue: info?.globalValue,
    workspaceValue: info?.workspaceValue,
    workspaceFolderValue: info?.workspaceFolderValue,
    effective: config.get<string>('pythonPath'),
  };
}

/**
 * mlWorkbench.pythonPath when the user set it (user, workspace or folder) and VS Code applies it here,
 * else undefined. (The setting is machine-scoped: a remote window does not apply the local User value.)
 */
function explicitSetting(resource: vscode.Uri | undefined): string | undefined {
  const s = pythonPathSetting(resource);
  const effective = s.effective?.trim();
  if (!effective) return undefined;
  return [s.workspaceFolderValue, s.workspaceValue, s.globalValue].some((v) => v?.trim() === effective) ? effective : undefined;
}

/**
 * The executable of the Python extension's active environment for `resource`, or undefined when the
 * extension is not installed, has no environments API, or does not answer within `timeoutMs`
 * (activation and resolution each get that long; a slow Python extension never blocks a run).
 */
export async function pythonExtensionInterpreter(
  resource: vscode.Uri | undefined,
  logger: Logger,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await within(ext.activate(), timeoutMs, 'Activating the Python extension');
    const envs = api?.environments;
    if (!envs) return undefined;
    const active = envs.getActiveEnvironmentPath(resource);
    const resolved = await within(envs.resolveEnvironment(active), timeoutMs, 'Resolving the Python environment');
    return resolved?.executable.uri?.fsPath ?? (active.path || undefined);
  } catch (e) {
    logger.warn(`Python extension: ${(e as Error).message}; falling back to the default interpreter`);
    return undefined;
  }
}

/**
 * The interpreter for training runs, in this order:
 * 1. `mlWorkbench.pythonPath`, when set explicitly (user, workspace or folder settings);
 * 2. the interpreter selected in the Python extension (ms-python.python), when it is installed
 *    and answers within a timeout;
 * 3. the default: `$MLW_PYTHON`, else `python3` on PATH (resolved by the core).
 */
export async function pythonInterpreter(
  resource: vscode.Uri | undefined,
  logger: Logger,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<InterpreterChoice> {
  const fromSetting = explicitSetting(resource);
  if (fromSetting) return { command: fromSetting, source: 'setting' };
  const fromExtension = await pythonExtensionInterpreter(resource, logger, timeoutMs);
  if (fromExtension) return { command: fromExtension, source: 'python-extension' };
  return { command: undefined, source: 'default' };
}

/** How an interpreter's origin reads in a message. */
export function describeSource(source: InterpreterSource): string {
  switch (source) {
    case 'setting':
      return 'from the mlWorkbench.pythonPath setting';
    case 'python-extension':
      return 'selected in the Python extension';
    case 'default':
      return '$MLW_PYTHON, else python3 on PATH';
  }
}
