import * as path from 'node:path';
import type { CliContext } from './cliCommand';
import { UsageError } from './cliCommand';
import { scriptOutput } from './scriptOutput';
import type { LocalTrialBase } from '../core/sweeps/launchTrial';
import { localTrialLauncher } from '../core/sweeps/launchTrial';
import { remoteTrialLauncher } from '../core/targets/remoteTrialLauncher';
import type { Target } from '../core/targets/targetTypes';
import { runStudy, STUDY_NAME, type StudyResult } from '../core/sweeps/runStudy';
import {
  objectiveTag,
  parseObjective,
  parsePrune,
  parseSpace,
  type Objective,
  type PrunerSpec,
  type SpaceParam,
} from '../core/sweeps/searchSpace';
import { missingOptunaMessage, StudyError } from '../core/sweeps/StudyDriver';
import { paramToString } from '../core/runs/buildChildCommand';
import { formatDuration, formatMetric, textTable } from '../core/runs/formatRun';

export interface StudyFlags {
  method: 'tpe' | 'random';
  space: string[];
  trials?: string;
  objective?: string;
  prune?: string;
  study?: string;
  seed?: string;
  parallel: number;
  script: string;
}

export interface StudyPlan {
  method: 'tpe' | 'random';
  space: SpaceParam[];
  objective: Objective;
  pruner: PrunerSpec | null;
  trials: number;
  study: string;
  seed: number;
}

/** Checks the study flags of `mlw sweep` before anything runs: a bad token throws a SpaceError naming it (one line, no usage). */
export function planStudy(f: StudyFlags): StudyPlan {
  {
    if (f.objective === undefined) throw new UsageError(`a --method ${f.method} sweep needs --objective METRIC:min|max, e.g. val_loss:min`);
    if (f.trials === undefined) throw new UsageError(`a --method ${f.method} sweep needs --trials N`);
    const trials = Number(f.trials);
    if (!Number.isInteger(trials) || trials < 1 || trials > 10_000)
      throw new UsageError(`--trials must be an integer in 1..10000, not ${f.trials}`);
    const seed = f.seed === undefined ? 0 : Number(f.seed);
    if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, not ${f.seed}`);
    const study = f.study ?? path.basename(f.script).replace(/\.[^.]*$/, '');
    if (!STUDY_NAME.test(study)) throw new UsageError(`--study ${study}: use letters, digits, _ . - (it names .mlw/studies/<name>.db)`);
    return {
      method: f.method,
      space: parseSpace(f.space),
      objective: parseObjective(f.objective),
      pruner: f.prune === undefined ? null : parsePrune(f.prune),
      trials,
      study,
      seed,
    };
  }
}

/**
 * `mlw sweep --method tpe|random --space ...`: an Optuna study, each trial a run (here, or a remote run on
 * `base.target`); prints the trials and the best.
 */
export async function runStudySweep(
  plan: StudyPlan,
  base: LocalTrialBase & { interpreter: string; target?: Target },
  parallel: number,
  experiment: string | undefined,
  ctx: CliContext,
): Promise<number> {
  const output = scriptOutput(ctx);
  const objective = objectiveTag(plan.objective);
  let result: StudyResult;
  try {
    result = await runStudy({
      workspace: ctx.workspace,
      study: plan.study,
      space: plan.space,
      objective: plan.objective,
      method: plan.method,
      trials: plan.trials,
      parallel,
      seed: plan.seed,
      pruner: plan.pruner,
      interpreter: base.interpreter,
      launchTrial: base.target
        ? remoteTrialLauncher({
            store: base.store,
            target: base.target,
            script: base.script ?? '',
            args: base.args,
            cwd: base.cwd,
            snapshotMaxBytes: base.snapshotMaxBytes,
            scalars: base.scalars,
            onOutput: (text) => output.emit(text, 'stdout'),
            logger: ctx.logger,
          })
        : localTrialLauncher({ ...base, onOutput: output.emit }, ctx.logger),
      experiment,
      logger: ctx.logger,
      signal: ctx.signal,
      onEvent: (e) => {
        if (e.type === 'opened')
          ctx.err(
            e.resumed
              ? `mlw: resuming study ${plan.study}: ${e.trials} of ${plan.trials} trials done${e.best ? `, best ${plan.objective.metric} ${formatMetric(e.best.value ?? NaN)} (trial ${e.best.trial})` : ''}${e.stale ? `; ${e.stale} left running by an earlier sweep marked failed` : ''}`
              : `mlw: study ${plan.study} (${plan.method}, ${objective}) -> ${path.join('.mlw', 'studies', `${plan.study}.db`)}: ${plan.trials} trials, ${parallel} at a time`,
          );
        else if (e.type === 'started')
          ctx.err(
            `mlw: trial ${e.trial} run ${e.runId} ${Object.entries(e.params)
              .map(([k, v]) => `${k}=${paramToString(v)}`)
              .join(' ')}`,
          );
        else if (e.type === 'pruning')
          ctx.err(
            `mlw: trial ${e.trial} pruned at step ${e.step} (${plan.objective.metric} ${formatMetric(e.value)} behind earlier trials)`,
          );
        else
          ctx.err(
            `mlw: trial ${e.trial} ${e.outcome}${e.value !== undefined ? ` ${plan.objective.metric}=${formatMetric(e.value)}` : ''}${e.best ? ` · best ${formatMetric(e.best.value ?? NaN)} (trial ${e.best.trial})` : ''}`,
          );
      },
    });
  } catch (e) {
    // One line each, without the usage: neither is a mistake in how the command was typed.
    if (e instanceof StudyError && e.code === 'missing-optuna')
      throw new Error(missingOptunaMessage(base.interpreter, '--python PATH or $MLW_PYTHON'));
    throw e;
  }
  output.flush();
  if (ctx.json) {
    ctx.out(
      JSON.stringify(
        { study: result.study, storage: result.storage, previous: result.previous, best: result.best, trials: result.trials },
        null,
        2,
      ),
    );
  } else {
    const keys = plan.space.map((p) => p.name);
    ctx.out(
      textTable(
        ['TRIAL', 'RUN', 'STATUS', 'DURATION', ...keys, objective],
        result.trials.map((t) => [
          String(t.trial),
          t.run.id,
          t.run.status,
          formatDuration(t.run.durationMs),
          ...keys.map((k) => (t.run.params && k in t.run.params ? paramToString(t.run.params[k]) : '')),
          t.value === undefined ? '' : formatMetric(t.value),
        ]),
      ),
    );
    if (result.best)
      ctx.err(
        `mlw: best ${plan.objective.metric} ${formatMetric(result.best.value ?? NaN)} (trial ${result.best.trial}: ${Object.entries(
          result.best.params,
        )
          .map(([k, v]) => `${k}=${paramToString(v)}`)
          .join(' ')}) in study ${result.study}`,
      );
    if (!result.trials.length) ctx.err(`mlw: study ${result.study} already has ${result.previous} trials: raise --trials to run more`);
  }
  if (ctx.signal.aborted) return 130;
  return result.trials.every((t) => t.outcome === 'complete' || t.outcome === 'pruned') ? 0 : 1;
}
