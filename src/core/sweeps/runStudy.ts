import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { readMetrics } from '../runs/readMetrics';
import { newRunId } from '../runs/runId';
import type { Run } from '../runs/runTypes';
import type { TrialHandle, TrialLauncher } from './launchTrial';
import { objectiveTag, type Objective, type PrunerSpec, type SpaceParam } from './searchSpace';
import { studyPath, StudyDriver, type BestTrial, type StudyConfig, type TrialOutcome } from './StudyDriver';

/** Study names become file names: `.mlw/studies/<name>.db`. */
export const STUDY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export interface RunStudyOptions {
  workspace: string;
  /** The study's name: its file `.mlw/studies/<name>.db`; running again with the same name continues it. */
  study: string;
  space: SpaceParam[];
  objective: Objective;
  method: 'tpe' | 'random';
  /** The study's size: trials run until it counts this many (completed, pruned or failed; stopped ones do not count). */
  trials: number;
  parallel: number;
  /** Seeds the sampler (a resumed study continues from seed + trials so far). Default 0; null: unseeded. */
  seed?: number | null;
  pruner?: PrunerSpec | null;
  /** The Python that runs the Optuna driver (normally the trials' interpreter). */
  interpreter: string;
  launchTrial: TrialLauncher;
  /** Experiment of the trials; default `study-<name>`. */
  experiment?: string;
  helperDir?: string;
  logger?: Logger;
  /** Aborting stops the running trials (they end `stopped`, and are not counted) and starts no more. */
  signal?: AbortSignal;
  onEvent?: (event: StudyEvent) => void;
  /** How often a running trial's metrics are read for the pruner. Default 200 ms. */
  pollMs?: number;
  /** A trial that goes on this long after its prune signal (a script without the helper) is stopped. Default 3000 ms. */
  pruneGraceMs?: number;
}

export type StudyEvent =
  | { type: 'opened'; trials: number; resumed: boolean; stale: number; best: BestTrial | null }
  | { type: 'started'; trial: number; runId: string; params: Run['params'] }
  | { type: 'pruning'; trial: number; runId: string; step: number; value: number }
  | { type: 'ended'; trial: number; run: Run; outcome: TrialOutcome; value?: number; best: BestTrial | null };

export interface TrialResult {
  trial: number;
  run: Run;
  outcome: TrialOutcome;
  value?: number;
}

export interface StudyResult {
  study: string;
  storage: string;
  /** Trials the study counted before this call. */
  previous: number;
  resumed: boolean;
  /** This call's trials, in trial order. */
  trials: TrialResult[];
  best: BestTrial | null;
}

/** The outcome Optuna is told for a trial that ended as `run`, with the objective's last logged value. */
export function trialOutcome(run: Run, objective: Objective): { outcome: TrialOutcome; value?: number } {
  const last = run.metrics?.[objective.metric]?.last;
  const value = typeof last === 'number' && Number.isFinite(last) ? last : undefined;
  if (run.status === 'pruned') return { outcome: 'pruned', value };
  if (run.status === 'stopped') return { outcome: 'stopped', value };
  if (run.status === 'finished' && value !== undefined) return { outcome: 'complete', value };
  return { outcome: 'fail', value };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

/**
 * A Bayesian (TPE) or random study over `space`: an Optuna driver process (mlw_optuna.py) suggests each trial
 * through ask/tell, each trial is an ordinary run started by `launchTrial` (at most `parallel` at once), the
 * objective is the last value of `objective.metric` the run logged. With a pruner, each running trial's metric is
 * reported as it is logged; when Optuna says prune, the driver writes the run's prune signal, the Python helper
 * ends the run there and it is recorded as `pruned` with its data kept. The study lives in
 * `.mlw/studies/<study>.db`: calling again with the same name continues it up to `trials`.
 */
export async function runStudy(o: RunStudyOptions): Promise<StudyResult> {
  const logger = o.logger ?? silentLogger;
  const storage = studyPath(o.workspace, o.study);
  await fsp.mkdir(path.dirname(storage), { recursive: true });
  const ignore = path.join(path.dirname(storage), '.gitignore');
  await fsp.writeFile(ignore, '# ML Workbench studies (Optuna SQLite): not versioned\n*\n', { flag: 'wx' }).catch(() => undefined);
  const config: StudyConfig = {
    storage,
    study: o.study,
    direction: o.objective.direction,
    method: o.method,
    seed: o.seed === undefined ? 0 : o.seed,
    parallel: Math.max(1, Math.floor(o.parallel)),
    objective: objectiveTag(o.objective),
    pruner: o.pruner ?? null,
    space: o.space,
  };
  const driver = await StudyDriver.open(o.interpreter, config, o.helperDir);
  const { trials: previous, resumed, stale, best: bestBefore } = driver.ready;
  o.onEvent?.({ type: 'opened', trials: previous, resumed, stale, best: bestBefore });
  const experiment = o.experiment ?? `study-${o.study}`;
  const sweepId = newRunId().slice(-6);
  const pollMs = o.pollMs ?? 200;
  const graceMs = o.pruneGraceMs ?? 3000;
  const results: TrialResult[] = [];
  const active = new Set<TrialHandle>();
  let best = bestBefore;
  let toRun = Math.max(0, o.trials - previous);
  let failure: Error | undefined;
  const onAbort = () => {
    for (const h of active) void h.stop();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });

  /** Reads what the trial appended to its metrics and reports the objective's new points; stops it once pruned. */
  const watch = async (trial: number, handle: TrialHandle, ended: () => boolean): Promise<void> => {
    let offset = 0;
    let pruneAt: number | undefined;
    while (!ended()) {
      await sleep(pollMs);
      if (ended()) return;
      if (pruneAt !== undefined) {
        if (Date.now() - pruneAt > graceMs) {
          logger.info(`Trial ${trial} (${handle.id}) ignored its prune signal for ${graceMs} ms: stopping it`);
          await handle.stop();
          return;
        }
        continue;
      }
      const read = await readMetrics(handle.dir, { sinceByteOffset: offset }).catch(() => undefined);
      if (!read) continue;
      offset = read.offset;
      const s = read.series.get(o.objective.metric);
      if (!s) continue;
      for (let i = 0; i < s.values.length && pruneAt === undefined; i++) {
        const step = Number.isFinite(s.steps[i]) ? s.steps[i] : i;
        if (!Number.isFinite(s.values[i])) continue;
        if (await driver.report(trial, step, s.values[i], handle.dir)) {
          pruneAt = Date.now();
          o.onEvent?.({ type: 'pruning', trial, runId: handle.id, step, value: s.values[i] });
        }
      }
    }
  };

  const one = async (): Promise<void> => {
    const { trial, params } = await driver.ask();
    let handle: TrialHandle;
    try {
      handle = await o.launchTrial(
        {
          trial,
          params,
          name: `${o.study}-t${trial}`,
          experiment,
          tags: {
            'mlw.sweep': sweepId,
            'mlw.sweep.index': String(trial),
            'mlw.study': o.study,
            'mlw.study.trial': String(trial),
            'mlw.study.objective': config.objective,
          },
        },
        o.signal,
      );
    } catch (e) {
      await driver.tell(trial, 'fail', undefined, undefined);
      throw e;
    }
    active.add(handle);
    o.onEvent?.({ type: 'started', trial, runId: handle.id, params });
    let ended = false;
    const watching = o.pruner
      ? watch(trial, handle, () => ended).catch((e) => logger.warn(`Trial ${trial}: ${(e as Error).message}`))
      : undefined;
    const run = await handle.done;
    ended = true;
    await watching;
    active.delete(handle);
    const { outcome, value } = trialOutcome(run, o.objective);
    if (outcome === 'fail' && run.status === 'finished')
      logger.warn(`Trial ${trial} (${run.id}) finished without logging ${o.objective.metric}: told Optuna it failed`);
    best = await driver.tell(trial, outcome, value, run.id);
    results.push({ trial, run, outcome, value });
    o.onEvent?.({ type: 'ended', trial, run, outcome, value, best });
  };

  const worker = async (): Promise<void> => {
    while (toRun > 0 && !o.signal?.aborted && !failure) {
      toRun--;
      try {
        await one();
      } catch (e) {
        failure ??= e as Error;
        onAbort();
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(config.parallel, toRun) }, worker));
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    if (failure) driver.kill();
    else await driver.close();
  }
  if (failure) throw failure;
  results.sort((a, b) => a.trial - b.trial);
  return { study: o.study, storage, previous, resumed, trials: results, best };
}
