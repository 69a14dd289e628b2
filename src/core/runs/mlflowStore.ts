import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { makeRun } from './makeRun';
import { inferValue } from './paramsFile';
import type { MetricSeries } from './readMetrics';
import { listArtifactFiles } from './listArtifactFiles';
import { mlflowStatus } from './mlflowStatus';
import type { MetricSummary, Run } from './runTypes';
import { summarizeMetrics } from './summarizeMetrics';

/**
 * Read-only access to an MLflow file store (`mlruns/`), mapped onto the Run shape with
 * `source: 'mlflow-file'`. Layout (MLflow FileStore):
 *   mlruns/<experiment_id>/meta.yaml                    experiment_id, name, lifecycle_stage, artifact_location
 *   mlruns/<experiment_id>/<run_id>/meta.yaml           run_id, run_name, status, start_time, end_time, lifecycle_stage, ...
 *   mlruns/<experiment_id>/<run_id>/params/<key>        the value (keys containing '/' are nested folders)
 *   mlruns/<experiment_id>/<run_id>/metrics/<key>       lines "<timestamp ms> <value> <step>" (step absent in old stores)
 *   mlruns/<experiment_id>/<run_id>/tags/<key>          the value (mlflow.runName, mlflow.source.git.commit, ...)
 *   mlruns/<experiment_id>/<run_id>/artifacts/          files
 * Deleted experiments and runs (lifecycle_stage: deleted, or under .trash) are skipped.
 * Artifacts are listed with their size and where MLflow keeps them; their sha256 is left empty (not computed while listing).
 */

const MAX_ARTIFACTS = 500;

async function readYaml(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    const { parse } = await import('yaml'); // loaded on first use, not at activation
    const data = parse(await fsp.readFile(file, 'utf8'));
    return data && typeof data === 'object' ? (data as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Files under `dir`, as '/'-joined paths relative to it (MLflow keys may contain '/'). */
async function walkFiles(dir: string, limit = Infinity, prefix = ''): Promise<string[]> {
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    if (out.length >= limit) break;
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walkFiles(path.join(dir, e.name), limit - out.length, rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

async function readKeyValues(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await walkFiles(dir)) out[key] = await fsp.readFile(path.join(dir, ...key.split('/')), 'utf8');
  return out;
}

function parseValue(text: string): number | undefined {
  const t = text.toLowerCase();
  if (t === 'nan') return NaN;
  if (t === 'inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  const v = Number(text);
  return Number.isNaN(v) ? undefined : v;
}

/** The metric series of one MLflow run folder, in the same shape as readMetrics gives. */
export async function readMlflowMetrics(runDir: string): Promise<Map<string, MetricSeries>> {
  const series = new Map<string, MetricSeries>();
  const dir = path.join(runDir, 'metrics');
  for (const key of await walkFiles(dir)) {
    const text = await fsp.readFile(path.join(dir, ...key.split('/')), 'utf8');
    const lines = text.split('\n');
    const steps: number[] = [];
    const values: number[] = [];
    const times: number[] = [];
    for (const line of lines) {
      const parts = line.trim().split(/\s+/);
      if (parts.length < 2) continue;
      const t = Number(parts[0]);
      const v = parseValue(parts[1]);
      const s = parts.length > 2 ? Number(parts[2]) : steps.length;
      if (!Number.isFinite(t) || v === undefined || !Number.isFinite(s)) continue;
      steps.push(s);
      values.push(v);
      times.push(t);
    }
    series.set(key, {
      name: key,
      steps: Float64Array.from(steps),
      values: Float64Array.from(values),
      timestamps: Float64Array.from(times),
    });
  }
  return series;
}

async function readRun(runDir: string, experimentName: string, withMetrics: boolean): Promise<Run | undefined> {
  const meta = await readYaml(path.join(runDir, 'meta.yaml'));
  if (!meta || meta.lifecycle_stage === 'deleted') return undefined;
  const id = String(meta.run_id ?? meta.run_uuid ?? path.basename(runDir));
  const [params, tags] = await Promise.all([readKeyValues(path.join(runDir, 'params')), readKeyValues(path.join(runDir, 'tags'))]);
  const startTime = typeof meta.start_time === 'number' ? meta.start_time : null;
  const endTime = typeof meta.end_time === 'number' ? meta.end_time : null;
  const run = makeRun({
    id,
    source: 'mlflow-file',
    name: String(tags['mlflow.runName'] ?? meta.run_name ?? meta.name ?? id) || id,
    experiment: experimentName,
    command: tags['mlflow.source.name'] ? [tags['mlflow.source.name']] : meta.source_name ? [String(meta.source_name)] : [],
    cwd: '',
    params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, inferValue(v)])),
    status: mlflowStatus(meta.status),
    startTime,
    endTime,
    durationMs: startTime !== null && endTime !== null ? endTime - startTime : null,
    tags: Object.fromEntries(Object.entries(tags).filter(([k]) => k !== 'mlflow.note.content')),
    notes: tags['mlflow.note.content'] ?? '',
  });
  const commit =
    tags['mlflow.source.git.commit'] ?? (typeof meta.source_version === 'string' && meta.source_version ? meta.source_version : undefined);
  if (commit) run.git = { commit, branch: tags['mlflow.source.git.branch'] ?? null, dirty: false, diffHash: null, patchFile: null };
  run.artifacts = await listArtifactFiles(path.join(runDir, 'artifacts'), MAX_ARTIFACTS);
  if (withMetrics) {
    const summary: Record<string, MetricSummary> = summarizeMetrics(await readMlflowMetrics(runDir));
    if (Object.keys(summary).length) run.metrics = summary;
  }
  return run;
}

export interface MlflowReadOptions {
  /** Read metric files to fill each run's metric summary. Default true. */
  metrics?: boolean;
  logger?: Logger;
}

/** Every live run of every live experiment of the store at `mlrunsDir`, newest first. [] when there is no store. */
export async function readMlflowRuns(mlrunsDir: string, options: MlflowReadOptions = {}): Promise<Run[]> {
  const logger = options.logger ?? silentLogger;
  let experiments;
  try {
    experiments = await fsp.readdir(mlrunsDir, { withFileTypes: true });
  } catch {
    return [];
  }
  const runs: Run[] = [];
  for (const exp of experiments) {
    if (!exp.isDirectory() || exp.name.startsWith('.') || exp.name === 'models') continue;
    const expDir = path.join(mlrunsDir, exp.name);
    const meta = await readYaml(path.join(expDir, 'meta.yaml'));
    if (!meta || meta.experiment_id === undefined) continue;
    if (meta.lifecycle_stage === 'deleted') continue;
    const name = String(meta.name ?? exp.name);
    const entries = await fsp.readdir(expDir, { withFileTypes: true });
    const found = await Promise.all(
      entries
        .filter((e) => e.isDirectory())
        .map((e) =>
          readRun(path.join(expDir, e.name), name, options.metrics !== false).catch((err: Error) => {
            logger.warn(`MLflow run ${e.name}: ${err.message}`);
            return undefined;
          }),
        ),
    );
    for (const r of found) if (r) runs.push(r);
  }
  return runs.sort((a, b) => (b.startTime ?? 0) - (a.startTime ?? 0));
}

/** Folder of MLflow run `runId` in the store, or undefined. */
export async function findMlflowRunDir(mlrunsDir: string, runId: string): Promise<string | undefined> {
  if (!/^[A-Za-z0-9_-]+$/.test(runId)) return undefined;
  let experiments;
  try {
    experiments = await fsp.readdir(mlrunsDir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const exp of experiments) {
    if (!exp.isDirectory() || exp.name.startsWith('.')) continue;
    const dir = path.join(mlrunsDir, exp.name, runId);
    if (
      await fsp.stat(path.join(dir, 'meta.yaml')).then(
        () => true,
        () => false,
      )
    )
      return dir;
  }
  return undefined;
}
