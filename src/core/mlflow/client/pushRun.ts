import * as path from 'node:path';
import { paramToString } from '../../runs/buildChildCommand';
import { readRunMetrics } from '../../runs/listWorkspaceRuns';
import type { MetricSeries } from '../../runs/readMetrics';
import type { RunStore } from '../../runs/RunStore';
import type { Run } from '../../runs/runTypes';
import { locateArtifact } from '../../runs/snapshot/locateArtifact';
import { sha256File } from '../../sha256File';
import { MAX_METRICS_PER_BATCH, MAX_PARAMS_TAGS_PER_BATCH, validateName } from '../mlflowLimits';
import { jsonDouble } from '../mlflowRunJson';
import { MLFLOW_STATUS_OF } from '../TrackedRun';
import type { KeyValue, MetricPoint, MlflowClient } from './MlflowClient';
import { artifactUploadUrl, ArtifactStoreUnreachableError } from './artifactUploadUrl';

/** The tag a pushed run carries: the id of the run it was pushed from. */
export const PUSHED_FROM_TAG = 'mlw.pushedFrom';
/** MLflow's tag for a run's notes (what its UI shows as the description). */
export const NOTE_TAG = 'mlflow.note.content';

export interface PushProgress {
  /** 0..1 of the work (batches and artifact bytes). */
  fraction: number;
  message: string;
}

export interface PushOptions {
  workspace: string;
  store?: RunStore;
  /** The server experiment to push into (created when missing); default the run's experiment. */
  experiment?: string;
  onProgress?: (p: PushProgress) => void;
}

export interface PushResult {
  runId: string;
  experimentId: string;
  experiment: string;
  /** The run's page on the server. */
  url: string;
  params: number;
  tags: number;
  metricPoints: number;
  /** runs/log-batch calls made. */
  batches: number;
  artifacts: Array<{ path: string; size: number }>;
  /** Artifacts not sent, each with why (no bytes on disk, the file changed since the run, a store the server does not proxy). */
  skippedArtifacts: Array<{ path: string; reason: string }>;
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Where an artifact goes under the run's artifact root: its recorded relative path, or the file name of an absolute one. */
export function remotePath(p: string): string {
  const posix = p.replace(/\\/g, '/');
  if (path.isAbsolute(p) || posix.startsWith('../') || /^[A-Za-z]:\//.test(posix)) return path.posix.basename(posix);
  return posix
    .split('/')
    .filter((s) => s && s !== '.')
    .join('/');
}

/** Metric series as MLflow metric points (whole-number steps and epoch-ms times; `fallbackTime` where a time is missing). */
export function toMetricPoints(series: Iterable<MetricSeries>, fallbackTime: number): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const s of series) {
    for (let i = 0; i < s.values.length; i++) {
      const t = s.timestamps[i];
      const step = s.steps[i];
      points.push({
        key: s.name,
        value: jsonDouble(s.values[i]),
        timestamp: Number.isFinite(t) ? Math.round(t) : fallbackTime,
        step: Number.isFinite(step) ? Math.round(step) : 0,
      });
    }
  }
  return points;
}

/** The id of the server's experiment `name`, created when it is missing. */
export async function ensureExperiment(client: MlflowClient, name: string): Promise<string> {
  const found = (await client.getExperimentByName(name))?.experiment_id;
  if (found !== undefined) return found;
  try {
    return await client.createExperiment(name);
  } catch (e) {
    // made by someone else meanwhile
    const id = (await client.getExperimentByName(name))?.experiment_id;
    if (id === undefined) throw e;
    return id;
  }
}

/**
 * Uploads an ended run's artifacts (its snapshot bytes, else the file when it still has the
 * recorded sha256) under `artifactUri` through the server's artifact proxy, adding each to
 * `into.artifacts` or, with why, to `into.skipped`. `onEach` is called before (with the remote
 * path) and after (without) each upload.
 */
export async function uploadArtifacts(
  client: MlflowClient,
  run: Run,
  artifactUri: string,
  options: Pick<PushOptions, 'workspace' | 'store'>,
  into: Pick<PushResult, 'artifacts'> & { skipped: PushResult['skippedArtifacts'] },
  onEach: (a: Run['artifacts'][number], remote?: string) => void = () => undefined,
): Promise<void> {
  try {
    artifactUploadUrl(client.url, artifactUri, 'x');
  } catch (e) {
    if (!(e instanceof ArtifactStoreUnreachableError)) throw e;
    for (const a of run.artifacts) into.skipped.push({ path: a.path, reason: e.message });
    return;
  }
  for (const a of run.artifacts) {
    const where = await locateArtifact(options.store, run, a, options.workspace);
    if (!where) {
      into.skipped.push({ path: a.path, reason: 'its bytes are not on disk (no snapshot, and the file is gone)' });
      continue;
    }
    if (where.kind === 'current' && a.sha256 && (await sha256File(where.file)).sha256 !== a.sha256) {
      into.skipped.push({
        path: a.path,
        reason: `the file at ${where.file} changed since the run (sha256 differs) and the run has no snapshot`,
      });
      continue;
    }
    const rel = remotePath(a.path);
    onEach(a, rel);
    await client.uploadArtifact(artifactUri, rel, where.file);
    into.artifacts.push({ path: rel, size: a.size });
    onEach(a);
  }
}

/**
 * Sends a finished local run to an MLflow tracking server as a new run there: params, tags (and
 * notes as mlflow.note.content), every metric's whole history in runs/log-batch calls within MLflow's
 * limits (100 params or tags, 1,000 metrics per call), its artifacts (the run's own snapshot bytes,
 * through the server's artifact proxy), then its status and end time. If a step fails the remote run
 * is marked FAILED (KILLED when cancelled) and the error says so; the local run never changes.
 */
export async function pushRun(client: MlflowClient, run: Run, options: PushOptions): Promise<PushResult> {
  if (run.source === 'mlflow-server') throw new Error(`Run ${run.id} is already on the MLflow server ${run.remote?.url ?? ''}.`);
  if (run.status === 'running' || run.status === 'queued')
    throw new Error(`Run ${run.id} is ${run.status}: push it when it has ended (its records are not complete yet).`);
  const progress = options.onProgress ?? (() => undefined);
  const experiment = options.experiment ?? (run.experiment || 'Default');
  const series = await readRunMetrics(options.workspace, run, options.store);
  const points = toMetricPoints(series.values(), run.startTime ?? 0);
  const params: KeyValue[] = Object.entries(run.params).map(([key, v]) => ({ key, value: paramToString(v) }));
  const tags: KeyValue[] = Object.entries(run.tags).map(([key, value]) => ({ key, value }));
  if (run.notes && !run.tags[NOTE_TAG]) tags.push({ key: NOTE_TAG, value: run.notes });
  tags.push({ key: PUSHED_FROM_TAG, value: run.id });

  // Names MLflow refuses (any version: alphanumerics, _ - . space /) are found before anything is made on the server.
  try {
    for (const p of params) validateName('parameter', p.key);
    for (const t of tags) validateName('tag', t.key);
    for (const k of series.keys()) validateName('metric', k);
  } catch (e) {
    throw new Error(`Run ${run.id} cannot be pushed as it is: ${(e as Error).message} Nothing was sent.`);
  }
  progress({ fraction: 0, message: `experiment ${experiment}` });
  const experimentId = await ensureExperiment(client, experiment);
  const remote = await client.createRun({ experimentId, runName: run.name, startTime: run.startTime ?? undefined });
  const remoteId = remote.info.run_id;
  const artifactUri = remote.info.artifact_uri;
  const batches = [
    ...chunks(params, MAX_PARAMS_TAGS_PER_BATCH).map((p) => ({ params: p })),
    ...chunks(tags, MAX_PARAMS_TAGS_PER_BATCH).map((t) => ({ tags: t })),
    ...chunks(points, MAX_METRICS_PER_BATCH).map((m) => ({ metrics: m })),
  ];
  const artifacts: PushResult['artifacts'] = [];
  const skipped: PushResult['skippedArtifacts'] = [];
  try {
    const totalBytes = run.artifacts.reduce((n, a) => n + a.size, 0);
    const work = batches.length + totalBytes / 1_000_000 || 1;
    let done = 0;
    for (const b of batches) {
      await client.logBatch(remoteId, b);
      done++;
      progress({
        fraction: done / work,
        message: `${Math.min(points.length, done * MAX_METRICS_PER_BATCH)} of ${points.length} metric points`,
      });
    }
    await uploadArtifacts(client, run, artifactUri, options, { artifacts, skipped }, (a, rel) => {
      if (rel) progress({ fraction: done / work, message: `artifact ${rel}` });
      else done += a.size / 1_000_000;
    });
    const status = MLFLOW_STATUS_OF[run.status];
    await client.updateRun(remoteId, status === 'RUNNING' || status === 'SCHEDULED' ? 'FINISHED' : status, run.endTime ?? undefined);
    progress({ fraction: 1, message: 'done' });
  } catch (e) {
    const cancelled = (e as Error).name === 'AbortError';
    const mark = cancelled ? 'KILLED' : 'FAILED';
    await client
      .withSignal(undefined)
      .updateRun(remoteId, mark, Date.now())
      .catch(() => undefined);
    const err = e as Error;
    if (!cancelled) err.message = `${err.message} (the remote run ${remoteId} is marked ${mark}; push again to make a complete one)`;
    throw err;
  }
  return {
    runId: remoteId,
    experimentId,
    experiment,
    url: client.runPageUrl(experimentId, remoteId),
    params: params.length,
    tags: tags.length,
    metricPoints: points.length,
    batches: batches.length,
    artifacts,
    skippedArtifacts: skipped,
  };
}
