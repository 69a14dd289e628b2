/** A study's shapes, shared by the driver, the CLI and (through src/shared) the Compare view. Plain data only. */
import type { Params } from '../runs/runTypes';

export interface BestTrial {
  trial: number;
  value: number | null;
  params: Params;
}

export interface StudyTrialSummary {
  number: number;
  /** Optuna's state: complete, pruned, fail, running, waiting. */
  state: string;
  value: number | null;
  params: Params;
  /** The trial's run, once it was told. */
  runId: string | null;
  /** Intermediate values reported (pruning). */
  steps: number;
}

/** A study as its driver reads it from `.mlw/studies/<name>.db`. */
export interface StudySummary {
  study: string;
  direction: 'minimize' | 'maximize';
  objective: string | null;
  method: string | null;
  trials: StudyTrialSummary[];
  best: BestTrial | null;
  /**
   * Each parameter's importance (sums to 1): Optuna's fANOVA (`importanceMethod` "fanova", needs scikit-learn), else
   * "variance-share" (each parameter's share of the objective's variance across its values); null with fewer than
   * two completed trials (`importanceNote` says why).
   */
  importances: Record<string, number> | null;
  importanceMethod: 'fanova' | 'variance-share' | null;
  importanceNote: string | null;
}

/** The best objective value after each trial, in trial order (completed trials only move it). */
export function bestSoFar(
  summary: Pick<StudySummary, 'trials' | 'direction'>,
): Array<{ trial: number; value: number | null; best: number | null }> {
  let best: number | null = null;
  const better = (a: number, b: number) => (summary.direction === 'minimize' ? a < b : a > b);
  return [...summary.trials]
    .sort((a, b) => a.number - b.number)
    .map((t) => {
      const value = t.state === 'complete' ? t.value : null;
      if (value !== null && (best === null || better(value, best))) best = value;
      return { trial: t.number, value, best };
    });
}
