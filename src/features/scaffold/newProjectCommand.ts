import * as vscode from 'vscode';
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import type { Logger } from '../../core/logger';
import { listTemplates, readTemplate, isTemplateId, type ProjectTemplate } from '../../core/scaffold/projectTemplates';
import { suggestProjectName, validateProjectName } from '../../core/scaffold/projectName';
import { defaultHelperDir } from '../../core/runs/buildChildCommand';
import { findConflicts, planProject, type ConflictPolicy } from '../../core/scaffold/renderTemplate';
import { scaffoldProject, type ScaffoldResult } from '../../core/scaffold/scaffoldProject';
import { checkInterpreter, describeInterpreterCheck, type InterpreterCheck } from '../../core/env/checkInterpreter';
import { SECTION } from '../../vscode/config';
import { UserError } from '../../vscode/userError';
import { pickInterpreter } from './pickInterpreter';

const TITLE = 'New ML Project';
const STEPS = 4;

/** `mlWorkbench.newProject` options for callers that skip the pickers (tests, the walkthrough, other extensions). */
export interface NewProjectOptions {
  template?: string;
  parentDir?: string;
  name?: string;
  python?: string;
  /** Used when files exist; without it the user is asked. */
  onConflict?: ConflictPolicy;
  /** What to do with the project afterwards; without it the user is asked. */
  open?: 'none' | 'window' | 'newWindow' | 'workspace';
}

function parseOptions(arg: unknown): NewProjectOptions {
  if (typeof arg === 'string') return { template: arg };
  return typeof arg === 'object' && arg !== null && !(arg instanceof vscode.Uri) ? (arg as NewProjectOptions) : {};
}

async function pickTemplate(): Promise<ProjectTemplate | undefined> {
  const templates = await listTemplates();
  const picked = await vscode.window.showQuickPick(
    templates.map((t) => ({ label: t.title, description: t.id, detail: `${t.description} ${t.detail}`.trim(), template: t })),
    {
      title: `${TITLE} (1/${STEPS}): template`,
      placeHolder: 'What should the project train?',
      matchOnDescription: true,
      matchOnDetail: true,
      ignoreFocusOut: true,
    },
  );
  return picked?.template;
}

async function pickParent(): Promise<string | undefined> {
  const first = vscode.workspace.workspaceFolders?.[0]?.uri;
  const picked = await vscode.window.showOpenDialog({
    title: `${TITLE} (2/${STEPS}): the folder to create the project in`,
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    openLabel: 'Create Project Here',
    defaultUri: first ? vscode.Uri.file(path.dirname(first.fsPath)) : vscode.Uri.file(os.homedir()),
  });
  const uri = picked?.[0];
  if (uri && uri.scheme !== 'file') throw new UserError(`Projects are created on the local file system, not in ${uri.scheme}: folders.`);
  return uri?.fsPath;
}

async function isNonEmptyDir(dir: string): Promise<boolean> {
  return fsp.readdir(dir).then(
    (e) => e.length > 0,
    () => false,
  );
}

async function askName(parent: string, template: ProjectTemplate): Promise<string | undefined> {
  let suggestion = suggestProjectName(template.id.replace('-classifier', '-model'));
  for (let i = 2; await isNonEmptyDir(path.join(parent, suggestion)); i++) suggestion = `${suggestProjectName(template.id)}-${i}`;
  return vscode.window.showInputBox({
    title: `${TITLE} (3/${STEPS}): project name`,
    prompt: `The project folder is created in ${parent}`,
    value: suggestion,
    ignoreFocusOut: true,
    validateInput: async (text) => {
      const invalid = validateProjectName(text);
      if (invalid) return invalid;
      if (await isNonEmptyDir(path.join(parent, text))) {
        return {
          message: `${path.join(parent, text)} exists and is not empty: you will be asked before any file in it is replaced.`,
          severity: vscode.InputBoxValidationSeverity.Warning,
        };
      }
      return undefined;
    },
  });
}

/** Asks what to do with files that are in the way; undefined when cancelled. */
async function askConflicts(dir: string, conflicts: string[]): Promise<ConflictPolicy | undefined> {
  const list = conflicts.slice(0, 8).join(', ') + (conflicts.length > 8 ? `, and ${conflicts.length - 8} more` : '');
  const choice = await vscode.window.showWarningMessage(
    `${conflicts.length} file${conflicts.length === 1 ? '' : 's'} of the template already exist${conflicts.length === 1 ? 's' : ''} in ${dir}.`,
    { modal: true, detail: `${list}\n\nKeep them (the other files are written), or replace them with the template's?` },
    'Keep Existing Files',
    'Replace Them',
  );
  return choice === 'Keep Existing Files' ? 'skip' : choice === 'Replace Them' ? 'overwrite' : undefined;
}

/**
 * Writes mlWorkbench.pythonPath into the project's own .vscode/settings.json (git-ignored), so its
 * runs use that interpreter, unless the user-level setting already names it (a value from the
 * current workspace's settings does not carry over to the new folder).
 */
async function rememberInterpreter(dir: string, python: string): Promise<void> {
  if (python === vscode.workspace.getConfiguration(SECTION).inspect<string>('pythonPath')?.globalValue) return;
  const file = path.join(dir, '.vscode', 'settings.json');
  let current: Record<string, unknown> = {};
  try {
    current = JSON.parse(await fsp.readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    /* none yet, or not plain JSON: leave an existing file alone */
    if (
      await fsp.stat(file).then(
        () => true,
        () => false,
      )
    )
      return;
  }
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, JSON.stringify({ ...current, 'mlWorkbench.pythonPath': python }, null, 2) + '\n');
}

function reportInterpreter(check: InterpreterCheck, log: Logger): void {
  log.info(`New ML Project: ${describeInterpreterCheck(check)}`);
  if (check.ok) return;
  const [pip, apt] = check.advice;
  const actions = [...(pip ? ['Copy pip Command'] : []), ...(apt ? ['Copy apt Command'] : []), 'Choose Another Interpreter'];
  void Promise.resolve(
    vscode.window.showWarningMessage(`The project was created, but ${describeInterpreterCheck(check)}`, ...actions),
  ).then((choice) => {
    const command = (text: string | undefined) => (text ?? '').replace(/^Debian\/Ubuntu system Python: /, '').replace(/\s+\(or: .*\)$/, '');
    if (choice === 'Copy pip Command') void vscode.env.clipboard.writeText(command(pip));
    else if (choice === 'Copy apt Command') void vscode.env.clipboard.writeText(command(apt));
    else if (choice === 'Choose Another Interpreter')
      void vscode.commands.executeCommand('workbench.action.openSettings', 'mlWorkbench.pythonPath');
  });
}

async function openProject(dir: string, how: NewProjectOptions['open'], note: string): Promise<void> {
  const uri = vscode.Uri.file(dir);
  let choice = how;
  if (!choice) {
    const picked = await vscode.window.showInformationMessage(
      `Project ${path.basename(dir)} is ready in ${dir}.${note}`,
      'Open Folder',
      'Open in New Window',
      'Add to Workspace',
    );
    choice =
      picked === 'Open Folder'
        ? 'window'
        : picked === 'Open in New Window'
          ? 'newWindow'
          : picked === 'Add to Workspace'
            ? 'workspace'
            : 'none';
  }
  if (choice === 'window' || choice === 'newWindow')
    await vscode.commands.executeCommand('vscode.openFolder', uri, { forceNewWindow: choice === 'newWindow' });
  else if (choice === 'workspace') vscode.workspace.updateWorkspaceFolders(vscode.workspace.workspaceFolders?.length ?? 0, 0, { uri });
}

/**
 * ML: New ML Project… — template, parent folder, name, interpreter; writes the project (asking
 * before replacing anything), git init + first commit, checks the interpreter (trusted
 * workspaces only: it runs a program), then offers to open it. Returns the result, or undefined when cancelled.
 */
export async function newProject(arg: unknown, log: Logger): Promise<ScaffoldResult | undefined> {
  const opts = parseOptions(arg);
  if (opts.template && !isTemplateId(opts.template)) throw new UserError(`Unknown template "${opts.template}".`);
  const template = opts.template ? await readTemplate(opts.template) : await pickTemplate();
  if (!template) return undefined;
  const parent = opts.parentDir ?? (await pickParent());
  if (!parent) return undefined;
  const name = opts.name ?? (await askName(parent, template));
  if (!name) return undefined;
  const invalid = validateProjectName(name);
  if (invalid) throw new UserError(`"${name}" is not a valid project name: ${invalid}`);
  const python = opts.python ?? (await pickInterpreter(`${TITLE} (4/${STEPS}): Python interpreter`, 4, STEPS, log));
  if (!python) return undefined;
  const dir = path.join(parent, name);

  let policy: ConflictPolicy = opts.onConflict ?? 'fail';
  // Planned once, with the run helper the project vendors, so every file that exists is asked about.
  const files = await planProject(template, { name, helperDir: defaultHelperDir() });
  const conflicts = await findConflicts(files, dir);
  if (conflicts.length && !opts.onConflict) {
    const answer = await askConflicts(dir, conflicts);
    if (!answer) return undefined;
    policy = answer;
  }

  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Creating ${name}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      try {
        progress.report({ message: `writing the ${template.id} template…` });
        const made = await scaffoldProject({
          template: template.id,
          dir,
          name,
          files,
          onConflict: policy,
          logger: log,
          signal: abort.signal,
        });
        await rememberInterpreter(dir, python);
        return made;
      } finally {
        sub.dispose();
      }
    },
  );
  log.info(
    `New ML Project: ${result.written.length} files written to ${dir} in ${result.durationMs.toFixed(0)} ms; git ${result.git.status}${result.git.status === 'committed' ? ` ${result.git.commit.slice(0, 12)}` : result.git.status === 'skipped' ? `: ${result.git.reason}` : `: ${result.git.error}`}`,
  );
  if (result.git.status === 'failed')
    void vscode.window.showWarningMessage(`${name} was created, but git init / the first commit failed: ${result.git.error}`);

  if (vscode.workspace.isTrusted) {
    const check = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Checking ${python}` }, () =>
      checkInterpreter(python, template.requires),
    );
    reportInterpreter(check, log);
  } else {
    log.info('New ML Project: interpreter not checked (Restricted Mode: checking runs the interpreter)');
  }
  await openProject(dir, opts.open, result.git.status === 'skipped' ? ` It is not a git repository of its own: ${result.git.reason}.` : '');
  return result;
}
