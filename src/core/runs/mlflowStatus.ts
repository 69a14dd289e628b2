import type { RunStatus } from './runTypes';

// MLflow's RunStatus enum: RUNNING=1, SCHEDULED=2, FINISHED=3, FAILED=4, KILLED=5. The file store's
// meta.yaml holds the number (older stores) or the name; the SQLite store's runs.status the name.
const STATUS: Record<string, RunStatus> = {
  '1': 'running',
  RUNNING: 'running',
  '2': 'queued',
  SCHEDULED: 'queued',
  '3': 'finished',
  FINISHED: 'finished',
  '4': 'failed',
  FAILED: 'failed',
  '5': 'stopped',
  KILLED: 'stopped',
};

/** Our status for an MLflow run status (name or enum number); an unknown one reads as finished. */
export function mlflowStatus(status: unknown): RunStatus {
  return STATUS[String(status)] ?? 'finished';
}
