import type { CommandTable } from '../../commands';
import type { Logger } from '../../core/logger';
import { newProject } from './newProjectCommand';

/** Project scaffolding: ML: New ML Project… (not trust-gated: it writes files, and checks the interpreter only in trusted workspaces). */
export function scaffoldCommands(log: Logger): CommandTable {
  return {
    'mlWorkbench.newProject': { run: (arg) => newProject(arg, log) },
  };
}
