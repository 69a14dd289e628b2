import * as path from 'node:path';
import { NOTEBOOK_DRIVER, paramArgs } from '../../core/runs/buildChildCommand';
import type { Run } from '../../core/runs/runTypes';
import { UserError } from '../../vscode/userError';
import type { LaunchSpec } from './runLauncher';

/**
 * How to run an earlier run again: same interpreter, script, extra arguments, params, working
 * directory and experiment. The param arguments launchRun appended are taken off the recorded
 * command and passed as params again; a notebook run reruns its notebook with its params.
 */
export function rerunSpec(run: Run, workspace: string): LaunchSpec {
  if (run.source !== 'mlw' || run.command.length === 0)
    throw new UserError(`Run ${run.name} cannot be rerun: it was not started by ML Workbench.`);
  const tail = paramArgs(run.params);
  let rest = run.command.slice(run.interpreter ? 2 : 0);
  const endsWithParams = tail.length > 0 && rest.length >= tail.length && tail.every((a, i) => rest[rest.length - tail.length + i] === a);
  if (endsWithParams) rest = rest.slice(0, rest.length - tail.length);
  const base = { workspace, params: endsWithParams ? run.params : {}, cwd: run.cwd || workspace, experiment: run.experiment };
  // A notebook ran as `<interpreter> …/mlw_notebook.py <notebook>`, its params injected from MLW_PARAMS, not arguments.
  if (run.interpreter && run.command.length === 3 && path.basename(run.command[1]) === NOTEBOOK_DRIVER)
    return { ...base, script: run.command[2], args: [], interpreter: run.interpreter, params: run.params };
  if (run.interpreter) return { ...base, script: run.command[1], args: rest, interpreter: run.interpreter };
  return { ...base, command: rest };
}
