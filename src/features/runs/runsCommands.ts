import * as vscode from 'vscode';
import * as path from 'node:path';
import type { CommandTable } from '../../commands';
import type { Logger } from '../../core/logger';
import { formatTime } from '../../core/runs/formatRun';
import { applyOverrides, findParamsFile, readParamsFile } from '../../core/runs/paramsFile';
import { isNotebook, paramToString } from '../../core/runs/buildChildCommand';
import { stopRunById } from '../../core/runs/stopRunById';
import { SweepError } from '../../core/runs/expandSweep';
import { parseGridText } from '../../core/runs/parseSweepArgs';
import { checkoutCommit, CheckoutRefusedError } from '../../core/git/checkoutCommit';
import type { ParamValue, Params } from '../../core/runs/runTypes';
import { setting } from '../../vscode/config';
import { UserError } from '../../vscode/userError';
import { openRunArtifacts } from './artifacts/openRunArtifacts';
import { RunComparePanel } from './runComparePanel';
import { RunDashboardPanel } from './runDashboardPanel';
import type { RunLauncher } from './runLauncher';
import { rerunSpec } from './rerunSpec';
import { splitAssignments } from './splitAssignments';
import { orderScripts, readMainGuards, SCRIPT_GLOB } from '../../core/runs/orderScripts';
import { runSourceLabel } from '../../core/runs/runSourceLabel';
import type { RunsNode, RunsTree, WorkspaceRun } from './runsTree';
import { Command } from '../../commandIds';
import { runCommand } from '../../commands';
import { findWorkspaceFiles } from '../../vscode/findWorkspaceFiles';
import { askStudy, pickSweepMethod, type StudyOptions } from './sweeps/askStudy';
import { pickTarget, type RemoteRuns } from './targets/remoteRuns';

/** Options of `mlWorkbench.runExperiment` when called with a script URI (tests, other extensions). */
export interface RunExperimentOptions {
  params?: Record<string, string>;
  wait?: boolean;
  /** The experiment the run goes into (default: `Default`). */
  experiment?: string;
  /** A compute target of .mlw/targets.yaml or mlWorkbench.targets, or `local`; without it the picker asks when there are targets. */
  target?: string;
}

/** Options of `mlWorkbench.runSweep` when called with a script URI (tests, other extensions): no pickers. */
export interface RunSweepOptions {
  grid: Record<string, Array<string | number>>;
  wait?: boolean;
  parallelism?: number;
  /** A random or TPE study instead of the grid (see StudyOptions). */
  study?: StudyOptions;
  /** A compute target's name, or `local` (the default without pickers); with pickers Run Sweep asks when there are targets. */
  target?: string;
}

function isNode(v: unknown): v is RunsNode {
  return typeof v === 'object' && v !== null && ((v as RunsNode).type === 'run' || (v as RunsNode).type === 'experiment');
}

/** A grid value given as a string: typed like a params override (`0.1` is a number). */
function inferGridValue(text: string): ParamValue {
  return applyOverrides({}, [`v=${text}`]).v;
}

/** The Runs view's commands: run, stop, delete, rerun, dashboard, compare. */
export function runsCommands(
  tree: RunsTree,
  launcher: RunLauncher,
  extensionUri: vscode.Uri,
  logger: Logger,
  remote: RemoteRuns,
): CommandTable {
  /** The run a command is about: the tree node, a run id, or one picked from a list. */
  async function runFor(arg: unknown, title: string, filter: (e: WorkspaceRun) => boolean = () => true): Promise<WorkspaceRun> {
    if (isNode(arg) && arg.type === 'run') return (await tree.find(arg.entry.run.id)) ?? arg.entry;
    if (typeof arg === 'string') {
      const hit = await tree.find(arg);
      if (!hit) throw new UserError(`No run with id ${arg} in this workspace.`);
      return hit;
    }
    const candidates = (await tree.runs()).filter(filter);
    if (candidates.length === 0) throw new UserError('No matching runs in this workspace.');
    const picked = await vscode.window.showQuickPick(
      candidates.map((e) => ({
        label: e.run.name,
        description: `${e.run.status} · ${e.run.experiment}`,
        detail: formatTime(e.run.startTime),
        entry: e,
      })),
      { title, matchOnDescription: true },
    );
    if (!picked) throw new vscode.CancellationError();
    return picked.entry;
  }

  /** The script picker: the active editor's script, then entry scripts (train*.py, a __main__ block); no vendored or test files. */
  async function pickScript(title = 'Run Experiment: pick the training script'): Promise<vscode.Uri> {
    const active = vscode.window.activeTextEditor?.document;
    const notebook = vscode.window.activeNotebookEditor?.notebook.uri;
    const uris = await findWorkspaceFiles(SCRIPT_GLOB, 2000);
    const first =
      active?.languageId === 'python' && active.uri.scheme === 'file'
        ? active.uri
        : notebook?.scheme === 'file' && isNotebook(notebook.fsPath)
          ? notebook
          : undefined;
    if (first && !uris.some((u) => u.toString() === first.toString())) uris.push(first);
    const candidates = await readMainGuards(uris.map((uri) => ({ uri, file: uri.fsPath, relative: vscode.workspace.asRelativePath(uri) })));
    const ordered = orderScripts(candidates, first && vscode.workspace.asRelativePath(first));
    if (ordered.length === 0)
      throw new UserError('No Python scripts (*.py) or notebooks (*.ipynb) in this workspace, apart from tests and installed packages.');
    const picked = await vscode.window.showQuickPick(
      ordered.map(({ uri, relative }) => ({ label: path.basename(uri.fsPath), description: relative, uri })),
      { title, matchOnDescription: true },
    );
    if (!picked) throw new vscode.CancellationError();
    return picked.uri;
  }

  /** An open, edited notebook is saved before it runs: the run executes the file. */
  async function saveNotebook(uri: vscode.Uri): Promise<void> {
    const nb = vscode.workspace.notebookDocuments.find((d) => d.uri.toString() === uri.toString());
    if (nb?.isDirty) await nb.save();
  }

  async function runExperiment(arg?: unknown, options?: unknown): Promise<unknown> {
    const given = arg instanceof vscode.Uri ? arg : undefined;
    // Options (a plain object) come from code: no params prompt. The Explorer (uri, [uris]), the CodeLens (uri) and the palette ask.
    const programmatic = typeof options === 'object' && options !== null && !Array.isArray(options);
    const opts: RunExperimentOptions = programmatic ? (options as RunExperimentOptions) : {};
    const experiment = isNode(arg) && arg.type === 'experiment' ? arg.own?.name : opts.experiment;
    if (isNode(arg) && arg.type === 'experiment' && !experiment)
      throw new UserError(`Experiment ${arg.name} belongs to another tool's store: runs launched here go to ML Workbench experiments.`);
    const script = given ?? (await pickScript(experiment ? `Run in ${experiment}: pick the training script` : undefined));
    if (script.scheme !== 'file') throw new UserError('Only scripts on the local file system can be run.');
    const folder = vscode.workspace.getWorkspaceFolder(script) ?? vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new UserError('Open a folder to run experiments: runs are kept in the workspace under .mlw/runs.');
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === script.toString());
    if (doc?.isDirty) await doc.save();
    await saveNotebook(script);
    const workspace = folder.uri.fsPath;
    await launcher.interpreter(workspace); // fail early, before asking for params
    const paramsFile = await findParamsFile(path.dirname(script.fsPath));
    let params: Params = paramsFile ? await readParamsFile(paramsFile) : {};
    if (given && programmatic) {
      params = applyOverrides(
        params,
        Object.entries(opts.params ?? {}).map(([k, v]) => `${k}=${v}`),
      );
    } else {
      const text = await vscode.window.showInputBox({
        title: `Run ${path.basename(script.fsPath)}: params`,
        ignoreFocusOut: true,
        prompt: paramsFile
          ? `From ${vscode.workspace.asRelativePath(paramsFile)}; edit to override (k=v, k=v)`
          : 'Params passed as --key=value (k=v, k=v); empty for none',
        value: Object.entries(params)
          .map(([k, v]) => `${k}=${paramToString(v)}`)
          .join(', '),
        validateInput: (t) => {
          try {
            applyOverrides({}, splitAssignments(t));
            return undefined;
          } catch (e) {
            return (e as Error).message;
          }
        },
      });
      if (text === undefined) throw new vscode.CancellationError();
      params = applyOverrides({}, splitAssignments(text));
    }
    const target = await pickTarget(workspace, logger, given && programmatic ? (opts.target ?? 'local') : undefined);
    const spec = { workspace, script: script.fsPath, params, cwd: workspace, experiment };
    if (target) return remote.start(spec, target, opts.wait === true);
    return launcher.start(spec, opts.wait === true);
  }

  async function runSweep(arg?: unknown, options?: unknown): Promise<unknown> {
    const given = arg instanceof vscode.Uri ? arg : undefined;
    const opts = typeof options === 'object' && options !== null ? (options as Partial<RunSweepOptions>) : {};
    const experiment = isNode(arg) && arg.type === 'experiment' ? arg.own?.name : undefined;
    const script = given ?? (await pickScript('Run Sweep: pick the training script'));
    if (script.scheme !== 'file') throw new UserError('Only scripts on the local file system can be run.');
    const folder = vscode.workspace.getWorkspaceFolder(script) ?? vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new UserError('Open a folder to run sweeps: runs are kept in the workspace under .mlw/runs.');
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === script.toString());
    if (doc?.isDirty) await doc.save();
    await saveNotebook(script);
    const workspace = folder.uri.fsPath;
    await launcher.interpreter(workspace);
    const paramsFile = await findParamsFile(path.dirname(script.fsPath));
    const base: Params = paramsFile ? await readParamsFile(paramsFile) : {};
    const parallelism = opts.parallelism ?? setting('runs.parallelism');
    const programmatic = given && (opts.grid || opts.study);
    const method = programmatic ? (opts.study?.method ?? 'grid') : await pickSweepMethod();
    const target = await pickTarget(workspace, logger, programmatic ? (opts.target ?? 'local') : undefined, 'Run Sweep: where?');
    if (method !== 'grid') {
      const study = await askStudy(script, base, method, parallelism, given ? opts.study : undefined);
      const spec = { workspace, script: script.fsPath, params: base, cwd: workspace, experiment };
      return launcher.startStudy(spec, study, opts.wait === true, target);
    }
    let grid: Record<string, ParamValue[]>;
    if (given && opts.grid) {
      grid = Object.fromEntries(
        Object.entries(opts.grid).map(([k, vs]) => [k, vs.map((v) => (typeof v === 'number' ? v : inferGridValue(v)))]),
      );
    } else {
      const numeric = Object.entries(base)
        .filter(([, v]) => typeof v === 'number')
        .slice(0, 2);
      const text = await vscode.window.showInputBox({
        title: `Sweep ${path.basename(script.fsPath)}: grid`,
        ignoreFocusOut: true,
        prompt: 'Values to try per param: k=v1,v2; k2=v3,v4 (every combination runs; other params from the params file)',
        placeHolder: 'lr=0.1,0.01; epochs=3,5',
        value: numeric.map(([k, v]) => `${k}=${paramToString(v)}`).join('; '),
        validateInput: (t) => {
          try {
            const g = parseGridText(t);
            const n = Object.values(g).reduce((a, vs) => a * vs.length, 1);
            return n > 1
              ? undefined
              : { message: `${n} combination: add more values to sweep`, severity: vscode.InputBoxValidationSeverity.Info };
          } catch (e) {
            return (e as Error).message;
          }
        },
      });
      if (text === undefined) throw new vscode.CancellationError();
      try {
        grid = parseGridText(text);
      } catch (e) {
        if (e instanceof SweepError) throw new UserError(e.message);
        throw e;
      }
    }
    try {
      const spec = { workspace, script: script.fsPath, params: base, cwd: workspace, experiment };
      if (target) return await remote.startSweep(spec, { grid }, parallelism, target, opts.wait === true);
      return await launcher.startSweep(spec, { grid }, parallelism, opts.wait === true);
    } catch (e) {
      if (e instanceof SweepError) throw new UserError(e.message);
      throw e;
    }
  }

  return {
    [Command.runExperiment]: { trust: 'Running experiments', run: runExperiment },
    [Command.runSweep]: { trust: 'Running experiments', run: runSweep },
    [Command.openRunArtifacts]: {
      run: async (arg) =>
        openRunArtifacts(
          await runFor(arg, 'Open the artifacts of which run?'),
          (e) => (e.run.source === 'mlw' ? tree.store(e.workspace) : undefined),
          () => tree.runs(),
        ),
    },
    [Command.checkoutRunCode]: {
      trust: 'Checking out run code',
      run: async (arg) => {
        const { run, workspace } = await runFor(arg, 'Check out the code of which run?', (e) => !!e.run.git?.commit);
        const commit = run.git?.commit;
        if (!commit)
          throw new UserError(`Run ${run.name} has no recorded git commit: it was not started inside a git repository with commits.`);
        const branch = `run/${run.id}`;
        try {
          await checkoutCommit(run.cwd || workspace, commit, branch, {
            logger,
            ignorePaths: run.source === 'mlw' ? [tree.store(workspace).dir] : undefined,
          });
        } catch (e) {
          if (!(e instanceof CheckoutRefusedError)) throw e;
          const actions =
            e.reason === 'dirty' ? [{ title: 'Open Source Control', run: () => vscode.commands.executeCommand('workbench.view.scm') }] : [];
          throw new UserError(`Cannot check out the code of run ${run.name}: ${e.message}`, actions);
        }
        const note = run.git?.dirty ? ' The run was started with uncommitted changes; they are saved in its git.patch.' : '';
        void vscode.window.showInformationMessage(`Checked out ${branch} at ${commit.slice(0, 12)}, the code of run ${run.name}.${note}`);
        return branch;
      },
    },
    [Command.stopRun]: {
      run: async (arg) => {
        const { run, workspace } = await runFor(arg, 'Stop which run?', (e) => e.run.status === 'running' && e.run.source === 'mlw');
        if (run.source !== 'mlw') throw new UserError(`Run ${run.name} comes from ${runSourceLabel(run.source)}: it is read-only here.`);
        if (run.status !== 'running') throw new UserError(`Run ${run.name} is ${run.status}, not running.`);
        const handle = launcher.handle(run.id);
        if (handle) await handle.stop();
        else await stopRunById(tree.store(workspace), run.id, { logger });
        tree.refresh();
      },
    },
    [Command.deleteRun]: {
      run: async (arg) => {
        const { run, workspace } = await runFor(arg, 'Delete which run?', (e) => e.run.source === 'mlw');
        if (run.source !== 'mlw') {
          throw new UserError(
            `Run ${run.name} comes from ${runSourceLabel(run.source)}: it is read-only here; delete it with the tool that made it.`,
          );
        }
        if (run.status === 'running') {
          throw new UserError(`Run ${run.name} is still running: stop it first.`, [
            { title: 'Stop Run', run: () => runCommand(Command.stopRun, run.id) },
          ]);
        }
        const choice = await vscode.window.showWarningMessage(
          `Delete run "${run.name}"?`,
          { modal: true, detail: `Its folder .mlw/runs/${run.id} (metrics, output, copied artifacts) is removed. This cannot be undone.` },
          'Delete',
        );
        if (choice !== 'Delete') return;
        RunDashboardPanel.close(run.id);
        await tree.store(workspace).deleteRun(run.id);
        tree.refresh();
      },
    },
    [Command.rerun]: {
      trust: 'Running experiments',
      run: async (arg) => {
        const { run, workspace } = await runFor(arg, 'Rerun which run?', (e) => e.run.source === 'mlw');
        return launcher.start(rerunSpec(run, workspace));
      },
    },
    [Command.openRunDashboard]: {
      run: async (arg) => {
        const entry = await runFor(arg, 'Open the dashboard of which run?');
        RunDashboardPanel.show(entry, tree, extensionUri, logger);
      },
    },
    [Command.compareRuns]: {
      run: async (arg, selected) => {
        let entries: WorkspaceRun[] = [];
        const nodes = Array.isArray(selected) ? selected.filter(isNode) : [];
        if (nodes.length >= 2) entries = nodes.flatMap((n) => (n.type === 'run' ? [n.entry] : n.runs));
        else if (isNode(arg) && arg.type === 'experiment') entries = arg.runs;
        if (entries.length < 2) {
          const all = await tree.runs();
          if (all.length < 2) throw new UserError('Comparing needs at least two runs.');
          const preselected = isNode(arg) && arg.type === 'run' ? arg.entry.run.id : undefined;
          const picked = await vscode.window.showQuickPick(
            all.map((e) => ({
              label: e.run.name,
              description: `${e.run.status} · ${e.run.experiment}`,
              picked: e.run.id === preselected,
              entry: e,
            })),
            { title: 'Compare runs: pick two or more', canPickMany: true, matchOnDescription: true },
          );
          if (!picked) throw new vscode.CancellationError();
          if (picked.length < 2) throw new UserError('Pick at least two runs to compare.');
          entries = picked.map((p) => p.entry);
        }
        const unique = [...new Map(entries.map((e) => [`${e.run.source}:${e.run.id}`, e])).values()];
        RunComparePanel.show(unique, tree, extensionUri, logger);
      },
    },
  };
}
