import { execFile } from 'node:child_process';
import type { Params } from '../runs/runTypes';
import { driverScript, studyPath, StudyError, type BestTrial } from './StudyDriver';

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

/** Runs `mlw_optuna.py summary` on the study (a second or so: Optuna's import and fANOVA). */
export function readStudySummary(
  interpreter: string,
  workspace: string,
  study: string,
  options: { helperDir?: string; signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<StudySummary> {
  const config = JSON.stringify({ storage: studyPath(workspace, study), study });
  return new Promise((resolve, reject) => {
    execFile(
      interpreter,
      [driverScript(options.helperDir), 'summary', config],
      { signal: options.signal, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, windowsHide: true },
      (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        let reply: Record<string, unknown> | undefined;
        try {
          reply = JSON.parse(line) as Record<string, unknown>;
        } catch {
          reply = undefined;
        }
        if (reply && typeof reply.error === 'string') return reject(new StudyError(reply.error, String(reply.message ?? reply.error)));
        if (!reply || error)
          return reject(new StudyError('failed', `Reading study ${study} failed: ${(error?.message ?? stderr.trim()) || 'no reply'}`));
        resolve(reply as unknown as StudySummary);
      },
    );
  });
}
