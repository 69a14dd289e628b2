import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import type { Logger } from '../../core/logger';
import { setting } from '../../vscode/config';
import { pythonExtensionInterpreter } from '../../vscode/pythonInterpreter';

/** Debian's interpreter, which sees the python3-torch / python3-sklearn packages (a pyenv python3 on PATH does not). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

interface InterpreterItem extends vscode.QuickPickItem {
  value?: string;
  browse?: boolean;
}

/**
 * Step 4 of New ML Project: the interpreter for the project's runs. Offers the
 * mlWorkbench.pythonPath setting, the Python extension's choice, Debian's /usr/bin/python3,
 * `python3` on PATH, or a file picked with Browse. Undefined when cancelled.
 */
export async function pickInterpreter(title: string, step: number, totalSteps: number, log: Logger): Promise<string | undefined> {
  const items: InterpreterItem[] = [];
  const seen = new Set<string>();
  const add = (value: string | undefined, label: string, detail: string) => {
    if (!value || seen.has(value)) return;
    seen.add(value);
    items.push({ label, description: value, detail, value });
  };
  add(setting('pythonPath') || undefined, '$(gear) From the mlWorkbench.pythonPath setting', 'The interpreter runs use now');
  add(
    await pythonExtensionInterpreter(undefined, log),
    '$(symbol-namespace) Selected in the Python extension',
    'The interpreter the Python extension uses for this workspace',
  );
  if (existsSync(SYSTEM_PYTHON))
    add(
      SYSTEM_PYTHON,
      '$(terminal-debian) System Python',
      "Debian/Ubuntu's interpreter: sees apt packages such as python3-torch and python3-sklearn",
    );
  add('python3', '$(terminal) python3 on PATH', 'Whatever python3 the PATH finds when a run starts');
  items.push({
    label: '$(folder-opened) Browse…',
    detail: 'Pick a python executable, e.g. in a virtual environment (.venv/bin/python)',
    browse: true,
  });

  const picked = await new Promise<InterpreterItem | undefined>((resolve) => {
    const qp = vscode.window.createQuickPick<InterpreterItem>();
    qp.title = title;
    qp.step = step;
    qp.totalSteps = totalSteps;
    qp.placeholder = 'Python interpreter for this project’s training runs';
    qp.items = items;
    qp.matchOnDescription = true;
    qp.ignoreFocusOut = true;
    let done = false;
    qp.onDidAccept(() => {
      done = true;
      resolve(qp.selectedItems[0]);
      qp.hide();
    });
    qp.onDidHide(() => {
      if (!done) resolve(undefined);
      qp.dispose();
    });
    qp.show();
  });
  if (!picked) return undefined;
  if (!picked.browse) return picked.value;
  const files = await vscode.window.showOpenDialog({
    title: 'Select a Python interpreter',
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: false,
    openLabel: 'Use This Interpreter',
  });
  return files?.[0]?.fsPath;
}
