import type { MetricSummary, Run, RunStatus } from '../../runs/runTypes';
import type { MlflowRun } from '../mlflowRunJson';

const STATUS: Record<string, RunStatus> = {
  RUNNING: 'running',
  SCHEDULED: 'queued',
  FINISHED: 'finished',
  FAILED: 'failed',
  KILLED: 'stopped',
};

/** protobuf's JSON writes NaN and the infinities as strings. */
export const toNumber = (v: unknown): number =>
  typeof v === 'number' ? v : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : typeof v === 'string' ? Number(v) : NaN;

/** A params value as the run store types them: numbers and booleans as such, everything else a string. */
function paramValue(s: string): string | number | boolean {
  if (s === 'True' || s === 'true') return true;
  if (s === 'False' || s === 'false') return false;
  if (s.trim() !== '' && /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s.trim())) return Number(s);
  return s;
}

/**
 * A run of a tracking server as the Runs view, the dashboard and `mlw runs --json` show runs
 * (source `mlflow-server`). The listing knows only each metric's latest value: min and max are NaN
 * and count 1 until the series is read (metrics/get-history).
 */
export function serverRunToRun(r: MlflowRun, server: string, experimentName: string): Run {
  const tags = Object.fromEntries((r.data?.tags ?? []).map((t) => [t.key, t.value]));
  const metrics: Record<string, MetricSummary> = {};
  for (const m of r.data?.metrics ?? [])
    metrics[m.key] = { last: toNumber(m.value), step: Number(m.step ?? 0), min: NaN, max: NaN, count: 1 };
  const start = r.info.start_time !== undefined ? Number(r.info.start_time) : null;
  const end = r.info.end_time !== undefined && r.info.end_time !== null ? Number(r.info.end_time) : null;
  return {
    schema: 1,
    id: r.info.run_id,
    source: 'mlflow-server',
    name: r.info.run_name || tags['mlflow.runName'] || r.info.run_id,
    experiment: experimentName,
    command: [],
    interpreter: null,
    cwd: '',
    params: Object.fromEntries((r.data?.params ?? []).map((p) => [p.key, paramValue(p.value)])),
    status: STATUS[r.info.status] ?? 'finished',
    exitCode: null,
    signal: null,
    pid: null,
    startTime: start,
    endTime: end,
    durationMs: start !== null && end !== null ? end - start : null,
    git: null,
    dataInputs: [],
    artifacts: [],
    tags,
    notes: tags['mlflow.note.content'] ?? '',
    metrics,
    remote: { url: server, experimentId: r.info.experiment_id },
    ...(tags['mlflow.parentRunId'] ? { parentId: tags['mlflow.parentRunId'] } : {}),
  };
}
