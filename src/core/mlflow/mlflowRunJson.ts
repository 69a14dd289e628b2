import { paramToString } from '../runs/buildChildCommand';
import type { Run } from '../runs/runTypes';
import { experimentIdOf } from './mlflowExperiments';
import { RUN_NAME_TAG } from './MlflowSession';
import { MLFLOW_STATUS_OF, TrackedRun, type MlflowMetric, type MlflowStatus } from './TrackedRun';

type KeyValue = { key: string; value: string };

export interface MlflowRunInfo {
  run_id: string;
  run_uuid: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: MlflowStatus;
  start_time: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage: 'active';
}

export interface MlflowRun {
  info: MlflowRunInfo;
  data: { metrics: MlflowMetric[]; params: KeyValue[]; tags: KeyValue[] };
  inputs: { dataset_inputs: unknown[] };
}

const pairs = (m: Map<string, string> | Record<string, string>): KeyValue[] =>
  (m instanceof Map ? [...m] : Object.entries(m)).map(([key, value]) => ({ key, value }));

/** A floating-point value as protobuf's JSON writes doubles: NaN and the infinities as strings. */
export function jsonDouble(v: number): number | string {
  if (Number.isFinite(v)) return v;
  return v !== v ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

function withName(tags: KeyValue[], name: string): KeyValue[] {
  return tags.some((t) => t.key === RUN_NAME_TAG) ? tags : [...tags, { key: RUN_NAME_TAG, value: name }];
}

/** The launched run, or a run the endpoint created, as MLflow returns runs (runs/get, runs/create, runs/search). */
export function trackedRunJson(t: TrackedRun): MlflowRun {
  const run = t.run;
  const ended = t.kind === 'owned' ? t.isEnded : t.mlflowStatus !== 'RUNNING';
  const endTime = t.kind === 'owned' ? run.endTime : t.mlflowEndTime;
  const info: MlflowRunInfo = {
    run_id: run.id,
    run_uuid: run.id,
    run_name: run.name,
    experiment_id: t.experimentId,
    user_id: t.tags.get('mlflow.user') ?? '',
    status: t.kind === 'owned' && t.isEnded ? MLFLOW_STATUS_OF[run.status] : t.mlflowStatus,
    start_time: run.startTime ?? 0,
    artifact_uri: t.artifactUri(),
    lifecycle_stage: 'active',
  };
  if (ended && endTime !== null) info.end_time = endTime;
  return {
    info,
    data: {
      metrics: [...t.latest.values()].map((m) => ({ ...m, value: jsonDouble(m.value) as number })),
      params: pairs(t.params),
      tags: withName(pairs(t.tags), run.name),
    },
    inputs: { dataset_inputs: t.inputs },
  };
}

/** Any run of the store (read-only) as MLflow returns runs: its summary's last values stand for the latest metrics. */
export function storeRunJson(run: Run): MlflowRun {
  const experimentId = experimentIdOf(run.experiment);
  const info: MlflowRunInfo = {
    run_id: run.id,
    run_uuid: run.id,
    run_name: run.name,
    experiment_id: experimentId,
    user_id: run.tags['mlflow.user'] ?? '',
    status: MLFLOW_STATUS_OF[run.status],
    start_time: run.startTime ?? 0,
    artifact_uri: `mlflow-artifacts:/${experimentId}/${run.id}/artifacts`,
    lifecycle_stage: 'active',
  };
  if (run.endTime !== null) info.end_time = run.endTime;
  const metrics = Object.entries(run.metrics ?? {}).map(([key, m]) => ({
    key,
    value: jsonDouble(m.last) as number,
    timestamp: run.endTime ?? run.startTime ?? 0,
    step: m.step,
  }));
  const params = Object.entries(run.params).map(([key, v]) => ({ key, value: paramToString(v) }));
  return { info, data: { metrics, params, tags: withName(pairs(run.tags), run.name) }, inputs: { dataset_inputs: [] } };
}

export function runJson(r: TrackedRun | Run): MlflowRun {
  return r instanceof TrackedRun ? trackedRunJson(r) : storeRunJson(r);
}
