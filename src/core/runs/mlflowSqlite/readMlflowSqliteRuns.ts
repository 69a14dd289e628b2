import * as path from 'node:path';
import { existsSync } from 'node:fs';
import type { Database } from 'sql.js';
import type { Logger } from '../../logger';
import { silentLogger } from '../../logger';
import { listArtifactFiles } from '../listArtifactFiles';
import { makeRun } from '../makeRun';
import { mlflowStatus } from '../mlflowStatus';
import { inferValue } from '../paramsFile';
import type { MetricSummary, Run } from '../runTypes';
import { artifactDir } from './artifactDir';
import { queryRows, readSqliteSnapshot } from './readSqliteSnapshot';

/**
 * The runs of an MLflow SQLite tracking store (`mlflow.db`, MLflow's default store), mapped onto the
 * Run shape with `source: 'mlflow-sqlite'`. Tables (MLflow's SQLAlchemy models):
 *   experiments(experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
 *   runs(run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time,
 *        source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time)
 *   latest_metrics(key, value, timestamp, step, is_nan, run_uuid)   params(key, value, run_uuid)   tags(key, value, run_uuid)
 * Deleted experiments and runs (lifecycle_stage 'deleted') are left out. Listing reads latest_metrics
 * only, so each metric's summary has its last value and step; min, max and count are NaN (not read)
 * until the series is (readMlflowSqliteMetrics).
 */

const MAX_ARTIFACTS = 500;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

interface RunRow {
  id: string;
  name: string | undefined;
  status: unknown;
  startTime: number | null;
  endTime: number | null;
  sourceName: string | undefined;
  sourceVersion: string | undefined;
  artifactUri: string | undefined;
  experiment: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, MetricSummary>;
}

function readRows(db: Database): RunRow[] {
  const runs = new Map<string, RunRow>();
  const rows = queryRows(
    db,
    `SELECT r.run_uuid, r.name, r.status, r.start_time, r.end_time, r.source_name, r.source_version, r.artifact_uri, e.name
       FROM runs r JOIN experiments e ON e.experiment_id = r.experiment_id
      WHERE IFNULL(r.lifecycle_stage, 'active') != 'deleted' AND IFNULL(e.lifecycle_stage, 'active') != 'deleted'
      ORDER BY r.start_time DESC`,
  );
  for (const [id, name, status, start, end, sourceName, sourceVersion, artifactUri, experiment] of rows) {
    if (typeof id !== 'string') continue;
    runs.set(id, {
      id,
      name: str(name),
      status,
      startTime: num(start),
      endTime: num(end),
      sourceName: str(sourceName),
      sourceVersion: str(sourceVersion),
      artifactUri: str(artifactUri),
      experiment: str(experiment) ?? 'Default',
      params: {},
      tags: {},
      metrics: {},
    });
  }
  for (const [id, key, value] of queryRows(db, 'SELECT run_uuid, key, value FROM params')) {
    const r = runs.get(String(id));
    if (r && typeof key === 'string') r.params[key] = str(value) ?? '';
  }
  for (const [id, key, value] of queryRows(db, 'SELECT run_uuid, key, value FROM tags')) {
    const r = runs.get(String(id));
    if (r && typeof key === 'string') r.tags[key] = str(value) ?? '';
  }
  for (const [id, key, value, step, isNan] of queryRows(db, 'SELECT run_uuid, key, value, step, is_nan FROM latest_metrics')) {
    const r = runs.get(String(id));
    if (!r || typeof key !== 'string') continue;
    const last = isNan === 1 || typeof value !== 'number' ? NaN : value;
    r.metrics[key] = { last, step: typeof step === 'number' ? step : NaN, min: NaN, max: NaN, count: NaN };
  }
  return [...runs.values()];
}

async function toRun(row: RunRow, storeDir: string): Promise<Run> {
  const { tags } = row;
  const run = makeRun({
    id: row.id,
    source: 'mlflow-sqlite',
    name: row.name || tags['mlflow.runName'] || row.id,
    experiment: row.experiment,
    command: tags['mlflow.source.name'] ? [tags['mlflow.source.name']] : row.sourceName ? [row.sourceName] : [],
    params: Object.fromEntries(Object.entries(row.params).map(([k, v]) => [k, inferValue(v)])),
    status: mlflowStatus(row.status),
    startTime: row.startTime,
    endTime: row.endTime,
    durationMs: row.startTime !== null && row.endTime !== null ? row.endTime - row.startTime : null,
    tags: Object.fromEntries(Object.entries(tags).filter(([k]) => k !== 'mlflow.note.content')),
    notes: tags['mlflow.note.content'] ?? '',
  });
  const commit = tags['mlflow.source.git.commit'] ?? row.sourceVersion;
  if (commit) run.git = { commit, branch: tags['mlflow.source.git.branch'] ?? null, dirty: false, diffHash: null, patchFile: null };
  if (Object.keys(row.metrics).length) run.metrics = row.metrics;
  const dir = artifactDir(row.artifactUri, storeDir);
  if (dir) run.artifacts = await listArtifactFiles(dir, MAX_ARTIFACTS);
  return run;
}

export interface MlflowSqliteReadOptions {
  logger?: Logger;
}

/**
 * Every live run of every live experiment of the SQLite store `dbFile`, newest first. [] when the file
 * does not exist; a file that cannot be read (not SQLite, not an MLflow store, too large) is logged and gives [].
 */
export async function readMlflowSqliteRuns(dbFile: string, options: MlflowSqliteReadOptions = {}): Promise<Run[]> {
  if (!existsSync(dbFile)) return [];
  let rows: RunRow[];
  try {
    rows = await readSqliteSnapshot(dbFile, readRows);
  } catch (e) {
    const message = (e as Error).message;
    (options.logger ?? silentLogger).warn(
      /no such table/.test(message) ? `${dbFile} is not an MLflow tracking store (${message})` : `MLflow store ${dbFile}: ${message}`,
    );
    return [];
  }
  return Promise.all(rows.map((r) => toRun(r, path.dirname(dbFile))));
}
