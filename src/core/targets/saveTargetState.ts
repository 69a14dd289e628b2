import type { RunStore } from '../runs/RunStore';
import type { Run } from '../runs/runTypes';
import type { RunTargetState } from './targetTypes';

/**
 * Applies `change` to a followed remote run's target state (in `run` itself); when that changed anything, writes it
 * to run.json, tells `onState` (a listener's error is its own problem) and gives back the run as stored. Gives back
 * `run` unchanged otherwise.
 */
export async function saveTargetState(
  store: RunStore,
  run: Run,
  change: (t: RunTargetState) => void,
  onState?: (state: RunTargetState) => void,
): Promise<Run> {
  const before = JSON.stringify(run.target);
  change(run.target as RunTargetState);
  if (JSON.stringify(run.target) === before) return run;
  const target = { ...(run.target as RunTargetState) };
  const saved = await store.updateRun(run.id, (r) => {
    r.target = target;
  });
  try {
    onState?.({ ...target });
  } catch {
    /* a listener's problem */
  }
  return saved;
}
