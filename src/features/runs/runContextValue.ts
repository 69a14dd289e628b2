import type { Run } from '../../core/runs/runTypes';

/**
 * The Runs view's `contextValue` of a run, which the `when` clauses of package.json's
 * `view/item/context` menus match:
 *
 * - `run.<status>`: a run of ML Workbench's own store: open, compare, artifacts, check out, push,
 *   and the editing commands (rename, tags, notes, rerun, stop, delete);
 * - `readonlyRun.<status>`: a run another tool keeps in the workspace (MLflow's `mlruns/` or `mlflow.db`,
 *   TensorBoard logs): open, compare, artifacts, check out and push, no editing command;
 * - `serverRun.<status>`: a run of a connected tracking server: open and compare.
 *
 * The editing commands still refuse a read-only run called from the palette or by id.
 */
export function runContextValue(run: Pick<Run, 'source' | 'status'>): string {
  if (run.source === 'mlw') return `run.${run.status}`;
  if (run.source === 'mlflow-server') return `serverRun.${run.status}`;
  return `readonlyRun.${run.status}`;
}
