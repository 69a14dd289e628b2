import * as vscode from 'vscode';
import type { CommandTable } from '../../commands';
import { Command } from '../../commandIds';
import { formatTime } from '../../core/runs/formatRun';
import { createExperiment, ExperimentError, experimentNames, renameExperiment } from '../../core/runs/experiments';
import { cleanName, formatTags, parseTags, tagEdits } from '../../core/runs/runMeta';
import { UserError } from '../../vscode/userError';
import { RunDashboardPanel } from './runDashboardPanel';
import type { RunsNode, RunsTree, WorkspaceRun } from './runsTree';

/** The store a run comes from, for a message. */
const storeName = (source: string): string =>
  source.startsWith('mlflow') ? 'MLflow' : source === 'tensorboard' ? 'TensorBoard logs' : `the ${source} store`;

/**
 * Rename Run…, Edit Run Tags…, Edit Run Notes…, New Experiment…, Rename Experiment…. Each edits only
 * the user-owned fields, in the run's meta.json (run.json never changes after a run ends; see
 * core/runs/runMeta.ts). Only runs of ML Workbench's own store can be edited; MLflow and TensorBoard
 * runs are read-only here. Called with a value after the run (tests, other extensions), no input box opens.
 */
export function runMetaCommands(tree: RunsTree): CommandTable {
  const isNode = (v: unknown): v is RunsNode => typeof v === 'object' && v !== null && ['run', 'experiment'].includes((v as RunsNode).type);

  /** The run to edit: a tree node, a run id, or one picked among ours. Refuses another store's run. */
  async function editableRun(arg: unknown, title: string): Promise<WorkspaceRun> {
    let entry: WorkspaceRun | undefined;
    if (isNode(arg) && arg.type === 'run') entry = (await tree.find(arg.entry.run.id)) ?? arg.entry;
    else if (typeof arg === 'string') {
      entry = await tree.find(arg);
      if (!entry) throw new UserError(`No run with id ${arg} in this workspace.`);
    } else {
      const ours = (await tree.runs()).filter((e) => e.run.source === 'mlw');
      if (!ours.length) throw new UserError('No ML Workbench runs in this workspace: MLflow and TensorBoard runs are read-only here.');
      const picked = await vscode.window.showQuickPick(
        ours.map((e) => ({
          label: e.run.name,
          description: `${e.run.status} · ${e.run.experiment}`,
          detail: formatTime(e.run.startTime),
          e,
        })),
        { title, matchOnDescription: true },
      );
      if (!picked) throw new vscode.CancellationError();
      entry = picked.e;
    }
    if (entry.run.source !== 'mlw')
      throw new UserError(
        `Run ${entry.run.name} comes from ${storeName(entry.run.source)}, not ML Workbench's own store: it is read-only here. Rename, tag and annotate it in the tool that made it.`,
      );
    return entry;
  }

  /** A value given after the run, else the user's answer to an input box (cancel: CancellationError). */
  async function ask(given: unknown, options: vscode.InputBoxOptions): Promise<string> {
    if (typeof given === 'string') {
      const error = options.validateInput?.(given);
      if (typeof error === 'string' && error) throw new UserError(error);
      return given;
    }
    const text = await vscode.window.showInputBox({ ignoreFocusOut: true, ...options });
    if (text === undefined) throw new vscode.CancellationError();
    return text;
  }

  const validName =
    (what: string) =>
    (text: string): string | undefined => {
      try {
        cleanName(text, what);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    };

  async function changed(entry: WorkspaceRun): Promise<void> {
    tree.refresh();
    await RunDashboardPanel.reload(entry.run.id);
  }

  /** The workspace folder for a new experiment: the only one, or one picked. */
  async function pickWorkspace(): Promise<string> {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    if (!folders.length) throw new UserError('Open a folder first: experiments are kept in the workspace under .mlw/runs.');
    if (folders.length === 1) return folders[0].uri.fsPath;
    const picked = await vscode.window.showWorkspaceFolderPick({ placeHolder: 'New experiment in which folder?' });
    if (!picked) throw new vscode.CancellationError();
    return picked.uri.fsPath;
  }

  return {
    [Command.renameRun]: {
      run: async (arg, value) => {
        const entry = await editableRun(arg, 'Rename which run?');
        const name = cleanName(
          await ask(value, {
            title: `Rename run ${entry.run.name}`,
            prompt: `New name (the run's id ${entry.run.id} stays the same)`,
            value: entry.run.name,
            validateInput: validName('run name'),
          }),
          'run name',
        );
        await tree.store(entry.workspace).updateMeta(entry.run.id, (m) => (m.name = name));
        await changed(entry);
        return name;
      },
    },
    [Command.editRunTags]: {
      run: async (arg, value) => {
        const entry = await editableRun(arg, 'Edit the tags of which run?');
        const validate = (t: string) => {
          try {
            parseTags(t);
            return undefined;
          } catch (e) {
            return (e as Error).message;
          }
        };
        const text = await ask(value, {
          title: `Tags of ${entry.run.name}`,
          prompt: 'Comma-separated: a word, or key=value (e.g. baseline, dataset=v2); empty removes them all',
          value: formatTags(entry.run.tags),
          validateInput: validate,
        });
        const edits = tagEdits(entry.run.tags, parseTags(text));
        await tree.store(entry.workspace).updateMeta(entry.run.id, (m) => (m.tags = { ...(m.tags ?? {}), ...edits }));
        await changed(entry);
        return (await tree.store(entry.workspace).readRun(entry.run.id))?.tags;
      },
    },
    [Command.editRunNotes]: {
      run: async (arg, value) => {
        const entry = await editableRun(arg, 'Edit the notes of which run?');
        const notes = await ask(value, {
          title: `Notes on ${entry.run.name}`,
          prompt: 'What this run was for, what you saw (one line here; empty removes the notes)',
          value: entry.run.notes,
        });
        await tree.store(entry.workspace).updateMeta(entry.run.id, (m) => (m.notes = notes.trim()));
        await changed(entry);
        return notes.trim();
      },
    },
    [Command.newExperiment]: {
      run: async (arg) => {
        const workspace = await pickWorkspace();
        const store = tree.store(workspace);
        const taken = new Set(await experimentNames(store));
        const name = await ask(typeof arg === 'string' ? arg : undefined, {
          title: 'New experiment',
          prompt: 'Its name; then run a script into it with the ▷ button beside it in the Runs view',
          validateInput: (t) => validName('experiment name')(t) ?? (taken.has(t.trim()) ? `"${t.trim()}" already exists.` : undefined),
        });
        try {
          const record = await createExperiment(store, name);
          tree.refresh();
          return record.name;
        } catch (e) {
          if (e instanceof ExperimentError || e instanceof RangeError) throw new UserError(e.message);
          throw e;
        }
      },
    },
    [Command.renameExperiment]: {
      run: async (arg, value) => {
        let node: Extract<RunsNode, { type: 'experiment' }> | undefined;
        if (isNode(arg) && arg.type === 'experiment') node = arg;
        else {
          const nodes = (await tree.getChildren()).filter((n): n is Extract<RunsNode, { type: 'experiment' }> => n.type === 'experiment');
          const name = typeof arg === 'string' ? arg : undefined;
          node = name
            ? nodes.find((n) => n.own?.name === name)
            : (
                await vscode.window.showQuickPick(
                  nodes.filter((n) => n.own).map((n) => ({ label: n.name, description: `${n.runs.length} runs`, n })),
                  { title: 'Rename which experiment?' },
                )
              )?.n;
          if (!node && name) throw new UserError(`No ML Workbench experiment named "${name}" in this workspace.`);
          if (!node) throw new vscode.CancellationError();
        }
        const own = node.own;
        if (!own) throw new UserError(`Experiment ${node.name} comes from another tool's store: it is read-only here.`);
        const to = cleanName(
          await ask(value, {
            title: `Rename experiment ${own.name}`,
            prompt: 'New name (an existing experiment of that name gets these runs too)',
            value: own.name,
            validateInput: validName('experiment name'),
          }),
          'experiment name',
        );
        const moved: string[] = [];
        try {
          for (const workspace of own.workspaces) moved.push(...(await renameExperiment(tree.store(workspace), own.name, to)));
        } catch (e) {
          if (e instanceof ExperimentError) throw new UserError(e.message);
          throw e;
        }
        tree.refresh();
        for (const id of moved) await RunDashboardPanel.reload(id);
        return to;
      },
    },
  };
}
