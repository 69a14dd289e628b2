import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Params } from '../../../core/runs/runTypes';
import { STUDY_NAME } from '../../../core/sweeps/runStudy';
import { parseObjective, parsePrune, parseSpaceText, SpaceError, type PrunerSpec } from '../../../core/sweeps/searchSpace';
import { UserError } from '../../../vscode/userError';
import type { StudySpec } from '../runLauncher';

export type SweepMethod = 'grid' | 'random' | 'tpe';

/** Options of `mlWorkbench.runSweep` for a study, when called with a script URI (tests, other extensions): no pickers. */
export interface StudyOptions {
  method: 'random' | 'tpe';
  /** `lr=1e-5:1e-1:log; layers=2,4,8` */
  space: string;
  objective: string;
  trials: number;
  prune?: string;
  study?: string;
  seed?: number;
}

/** Run Sweep…'s first question. */
export async function pickSweepMethod(): Promise<SweepMethod> {
  const items: Array<vscode.QuickPickItem & { method: SweepMethod }> = [
    { label: '$(symbol-array) Grid', description: 'every combination of listed values', method: 'grid' },
    { label: '$(question) Random', description: 'an Optuna study sampling the space at random', method: 'random' },
    { label: '$(sparkle) TPE (Bayesian)', description: "Optuna's TPE: each trial chosen from the results so far", method: 'tpe' },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'Run Sweep: method', ignoreFocusOut: true });
  if (!pick) throw new vscode.CancellationError();
  return pick.method;
}

/** A search space to start from: a log range around each positive number of the params file. */
function suggestedSpace(base: Params): string {
  return Object.entries(base)
    .filter(([, v]) => typeof v === 'number' && v > 0)
    .slice(0, 3)
    .map(([k, v]) =>
      Number.isInteger(v)
        ? `${k}=${Math.max(1, Math.floor((v as number) / 2))}:${(v as number) * 2}:int`
        : `${k}=${(v as number) / 10}:${(v as number) * 10}:log`,
    )
    .join('; ');
}

function validator(parse: (text: string) => unknown): (text: string) => string | undefined {
  return (text) => {
    try {
      parse(text);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  };
}

async function ask(title: string, options: vscode.InputBoxOptions): Promise<string> {
  const text = await vscode.window.showInputBox({ title, ignoreFocusOut: true, ...options });
  if (text === undefined) throw new vscode.CancellationError();
  return text.trim();
}

const positiveTrials = (t: string): number => {
  const n = Number(t);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new Error('A whole number of trials, 1 to 10000');
  return n;
};

/** The study of a random or TPE sweep: from `given` (no pickers), else asked for. A bad value is a UserError naming it. */
export async function askStudy(
  script: vscode.Uri,
  base: Params,
  method: 'random' | 'tpe',
  parallel: number,
  given?: Partial<StudyOptions>,
): Promise<StudySpec> {
  const title = `Sweep ${path.basename(script.fsPath)}: ${method === 'tpe' ? 'TPE' : 'random'}`;
  const stem = path.basename(script.fsPath).replace(/\.[^.]*$/, '');
  try {
    const spaceText =
      given?.space ??
      (await ask(`${title}: search space`, {
        prompt: 'Per param: a:b (uniform), a:b:log, a:b:int or x,y,z (one of), separated by ;',
        placeHolder: 'lr=1e-5:1e-1:log; layers=2,4,8',
        value: suggestedSpace(base),
        validateInput: validator(parseSpaceText),
      }));
    const objectiveText =
      given?.objective ??
      (await ask(`${title}: objective`, {
        prompt: 'The metric to optimise (its last logged value): METRIC:min or METRIC:max',
        value: 'val_loss:min',
        validateInput: validator(parseObjective),
      }));
    const trials =
      given?.trials ??
      positiveTrials(
        await ask(`${title}: trials`, {
          prompt: 'How many trials the study runs in all',
          value: '20',
          validateInput: validator(positiveTrials),
        }),
      );
    const study =
      given?.study ??
      (given
        ? stem
        : await ask(`${title}: study name`, {
            prompt: 'Kept in .mlw/studies/<name>.db: a study of this name that exists continues',
            value: stem,
            validateInput: (t) => (STUDY_NAME.test(t) ? undefined : 'Letters, digits, _ . - (at most 100)'),
          }));
    let pruner: PrunerSpec | null = given?.prune ? parsePrune(given.prune) : null;
    if (!given) {
      const pick = await vscode.window.showQuickPick(
        [
          { label: 'Prune trials that fall behind', description: "Optuna's median pruner, as the objective is logged", prune: true },
          { label: 'Run every trial to the end', prune: false },
        ],
        { title: `${title}: pruning`, ignoreFocusOut: true },
      );
      if (!pick) throw new vscode.CancellationError();
      if (pick.prune) pruner = parsePrune('median');
    }
    if (!STUDY_NAME.test(study)) throw new UserError(`Study name ${study}: use letters, digits, _ . -`);
    return {
      study,
      space: parseSpaceText(spaceText),
      objective: parseObjective(objectiveText),
      method,
      trials,
      parallel,
      pruner,
      seed: given?.seed ?? 0,
    };
  } catch (e) {
    if (e instanceof SpaceError) throw new UserError(e.message);
    throw e;
  }
}
