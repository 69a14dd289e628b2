import { Command } from '../../commandIds';
import type { Feature, FeatureContext } from '../feature';
import { newProject } from './newProjectCommand';

/** Project scaffolding: ML: New ML Project… (not trust-gated: it writes files, and checks the interpreter only in trusted workspaces). */
export function activate({ log }: FeatureContext): Feature {
  return {
    commands: { [Command.newProject]: { run: (arg) => newProject(arg, log) } },
    disposables: [],
  };
}
