import type { EnvironmentCheck } from './environmentReport';

/** Where the interpreter for runs comes from (the order of src/vscode/pythonInterpreter.ts). */
export type InterpreterOrigin = 'setting' | 'python-extension' | 'MLW_PYTHON' | 'PATH';

/** What the editor knows about the mlWorkbench.pythonPath setting: its inspect() values and its effective value. */
export interface PythonPathSetting {
  globalValue?: string;
  workspaceValue?: string;
  workspaceFolderValue?: string;
  /** What `get()` returns: the value VS Code really applies in this window. */
  effective?: string;
}

export interface InterpreterFacts {
  setting: PythonPathSetting;
  /** The Python extension's selected interpreter, when it is installed and answered. */
  pythonExtension?: string;
  /** `$MLW_PYTHON` of the extension host. */
  mlwPython?: string;
  /** `vscode.env.remoteName`: 'ssh-remote', 'wsl', 'dev-container'... undefined in a local window. */
  remoteName?: string;
  /** The absolute path the chosen command resolved to, when known. */
  resolved?: string;
}

export interface InterpreterExplanation {
  origin: InterpreterOrigin;
  /** The command or path runs will start (before resolving on PATH). */
  command: string;
  /** The Check Environment row. */
  check: EnvironmentCheck;
  /**
   * Set when a User-level mlWorkbench.pythonPath is not applied in this window (the setting is
   * machine-scoped, so a remote window ignores the local User value): the value to offer for the workspace.
   */
  ignoredUserValue?: string;
}

const nonEmpty = (v: string | undefined): string | undefined => (v && v.trim() ? v.trim() : undefined);

/**
 * Which interpreter runs will use and why, as Check Environment shows it: the setting (naming the
 * level it was set at), else the Python extension's choice, else `$MLW_PYTHON`, else `python3` on
 * PATH. Says so when the setting is set at User level but not applied here, and how to fix that.
 */
export function explainInterpreter(facts: InterpreterFacts): InterpreterExplanation {
  const s = facts.setting;
  const effective = nonEmpty(s.effective);
  const folder = nonEmpty(s.workspaceFolderValue);
  const workspace = nonEmpty(s.workspaceValue);
  const user = nonEmpty(s.globalValue);
  // A value is applied only when VS Code applies it: the effective value must be the one set at that level.
  const level =
    effective === undefined
      ? undefined
      : effective === folder
        ? 'folder settings'
        : effective === workspace
          ? 'workspace settings'
          : effective === user
            ? 'User settings'
            : 'settings';
  const ignoredUserValue = user !== undefined && effective !== user && !folder && !workspace ? user : undefined;

  let origin: InterpreterOrigin;
  let command: string;
  let why: string;
  if (effective !== undefined) {
    origin = 'setting';
    command = effective;
    why = `from mlWorkbench.pythonPath (${level})`;
  } else if (nonEmpty(facts.pythonExtension)) {
    origin = 'python-extension';
    command = nonEmpty(facts.pythonExtension) as string;
    why = 'selected in the Python extension (mlWorkbench.pythonPath is not set)';
  } else if (nonEmpty(facts.mlwPython)) {
    origin = 'MLW_PYTHON';
    command = nonEmpty(facts.mlwPython) as string;
    why = 'from $MLW_PYTHON (no mlWorkbench.pythonPath, no Python extension selection)';
  } else {
    origin = 'PATH';
    command = 'python3';
    why = 'python3 on PATH (no mlWorkbench.pythonPath, no Python extension selection, no $MLW_PYTHON)';
  }
  const shown = facts.resolved && facts.resolved !== command ? `${command} → ${facts.resolved}` : command;
  const detail = `${shown}, ${why}`;
  const check: EnvironmentCheck = { id: 'python.origin', label: 'Interpreter for runs', status: 'ok', detail };
  if (ignoredUserValue !== undefined) {
    const where = facts.remoteName ? `this remote window (${facts.remoteName})` : 'this window';
    check.status = 'warning';
    check.detail = `${detail}. mlWorkbench.pythonPath is set in your User settings (${ignoredUserValue}) but ${where} ignores it: the setting is machine-scoped`;
    check.fix = 'Set mlWorkbench.pythonPath for this workspace (Set for Workspace), or in the Remote settings of this machine.';
    check.action = { id: 'setWorkspacePythonPath', label: 'Set for Workspace…' };
  } else if (facts.remoteName && effective === undefined) {
    // inspect() may not show a local User value at all in a remote window: say what would happen to one.
    check.detail = `${detail}. In this remote window (${facts.remoteName}) a mlWorkbench.pythonPath in your local User settings is not applied (machine-scoped)`;
    check.action = { id: 'setWorkspacePythonPath', label: 'Set for Workspace…' };
  }
  return { origin, command, check, ignoredUserValue };
}
