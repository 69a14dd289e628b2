/**
 * Writes an MLflow SQLite tracking store (`mlflow.db`) with Debian's Python and its stdlib sqlite3,
 * from the schema of MLflow's SQLAlchemy models (mlflow/store/tracking/dbmodels/models.py) as its
 * migrations leave it on SQLite, plus the alembic_version table MLflow keeps. NaN metric values are
 * stored as MLflow stores them (value 0, is_nan 1); latest_metrics holds, per run and key, the point
 * with the greatest (step, timestamp, value), as MLflow maintains it. Not a test file itself.
 */
import { execFileSync } from 'node:child_process';
import { SYSTEM_PYTHON } from './requires';

export const MLFLOW_SCHEMA = `
CREATE TABLE alembic_version (
  version_num VARCHAR(32) NOT NULL,
  CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE experiments (
  experiment_id INTEGER NOT NULL,
  name VARCHAR(256) NOT NULL,
  artifact_location VARCHAR(256),
  lifecycle_stage VARCHAR(32),
  creation_time BIGINT,
  last_update_time BIGINT,
  CONSTRAINT experiment_pk PRIMARY KEY (experiment_id),
  UNIQUE (name),
  CONSTRAINT experiments_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted'))
);
CREATE TABLE experiment_tags (
  key VARCHAR(250) NOT NULL,
  value VARCHAR(5000),
  experiment_id INTEGER NOT NULL,
  CONSTRAINT experiment_tag_pk PRIMARY KEY (key, experiment_id),
  FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);
CREATE TABLE runs (
  run_uuid VARCHAR(32) NOT NULL,
  name VARCHAR(250),
  source_type VARCHAR(20),
  source_name VARCHAR(500),
  entry_point_name VARCHAR(50),
  user_id VARCHAR(256),
  status VARCHAR(9),
  start_time BIGINT,
  end_time BIGINT,
  source_version VARCHAR(50),
  lifecycle_stage VARCHAR(20),
  artifact_uri VARCHAR(200),
  experiment_id INTEGER,
  deleted_time BIGINT,
  CONSTRAINT run_pk PRIMARY KEY (run_uuid),
  CONSTRAINT source_type CHECK (source_type IN ('NOTEBOOK', 'JOB', 'LOCAL', 'UNKNOWN', 'PROJECT')),
  CONSTRAINT status CHECK (status IN ('SCHEDULED', 'FAILED', 'FINISHED', 'RUNNING', 'KILLED')),
  CONSTRAINT runs_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')),
  FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);
CREATE TABLE metrics (
  key VARCHAR(250) NOT NULL,
  value FLOAT NOT NULL,
  timestamp BIGINT NOT NULL,
  run_uuid VARCHAR(32) NOT NULL,
  step BIGINT DEFAULT '0' NOT NULL,
  is_nan BOOLEAN DEFAULT '0' NOT NULL,
  CONSTRAINT metric_pk PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan),
  FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid),
  CHECK (is_nan IN (0, 1))
);
CREATE INDEX index_metrics_run_uuid ON metrics (run_uuid);
CREATE TABLE latest_metrics (
  key VARCHAR(250) NOT NULL,
  value FLOAT NOT NULL,
  timestamp BIGINT,
  step BIGINT NOT NULL,
  is_nan BOOLEAN NOT NULL,
  run_uuid VARCHAR(32) NOT NULL,
  CONSTRAINT latest_metric_pk PRIMARY KEY (key, run_uuid),
  FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid),
  CHECK (is_nan IN (0, 1))
);
CREATE INDEX index_latest_metrics_run_uuid ON latest_metrics (run_uuid);
CREATE TABLE params (
  key VARCHAR(250) NOT NULL,
  value VARCHAR(8000) NOT NULL,
  run_uuid VARCHAR(32) NOT NULL,
  CONSTRAINT param_pk PRIMARY KEY (key, run_uuid),
  FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)
);
CREATE INDEX index_params_run_uuid ON params (run_uuid);
CREATE TABLE tags (
  key VARCHAR(250) NOT NULL,
  value VARCHAR(8000),
  run_uuid VARCHAR(32) NOT NULL,
  CONSTRAINT tag_pk PRIMARY KEY (key, run_uuid),
  FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)
);
CREATE INDEX index_tags_run_uuid ON tags (run_uuid);
`;

export interface MlflowDbRun {
  id: string;
  experimentId: number;
  name: string;
  status: 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
  start: number;
  end?: number | null;
  lifecycle?: 'active' | 'deleted';
  sourceName?: string;
  artifactUri?: string;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  /** value 'nan' for a NaN point. */
  metrics?: Array<{ key: string; value: number | 'nan'; timestamp: number; step: number }>;
}

export interface MlflowDbSpec {
  experiments: Array<{ id: number; name: string; lifecycle?: 'active' | 'deleted'; artifactLocation?: string }>;
  runs: MlflowDbRun[];
  /** Many runs made by Python itself (benchmarks): `runs` runs in experiment 1, each with `metrics` series of `steps` points. */
  synthetic?: { runs: number; metrics: number; steps: number };
  /** Open the store in WAL mode (as MLflow does) and leave the last `walRuns` runs' rows in mlflow.db-wal, not checkpointed. */
  wal?: { walRuns: number };
}

const SCRIPT = String.raw`
import json, math, os, sqlite3, sys
path, schema = sys.argv[1], sys.argv[2]
spec = json.load(sys.stdin)
db = sqlite3.connect(path)
wal = spec.get('wal')
if wal:
    db.execute('PRAGMA journal_mode=WAL')
    db.execute('PRAGMA wal_autocheckpoint=0')
db.executescript(schema)
db.execute("INSERT INTO alembic_version VALUES ('97727af70f4d')")
for e in spec['experiments']:
    db.execute('INSERT INTO experiments VALUES (?,?,?,?,?,?)', (e['id'], e['name'], e.get('artifactLocation'), e.get('lifecycle', 'active'), 1700000000000, 1700000000000))

def add_run(r):
    db.execute('INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)', (
        r['id'], r['name'], 'LOCAL', r.get('sourceName'), '', 'tester', r['status'], r['start'], r.get('end'), '',
        r.get('lifecycle', 'active'), r.get('artifactUri'), r['experimentId'], None))
    for k, v in r.get('params', {}).items():
        db.execute('INSERT INTO params VALUES (?,?,?)', (k, v, r['id']))
    for k, v in r.get('tags', {}).items():
        db.execute('INSERT INTO tags VALUES (?,?,?)', (k, v, r['id']))
    latest = {}
    rows = []
    for m in r.get('metrics', []):
        is_nan = m['value'] == 'nan'
        value = 0.0 if is_nan else float(m['value'])
        rows.append((m['key'], value, m['timestamp'], r['id'], m['step'], 1 if is_nan else 0))
        order = (m['step'], m['timestamp'], value)
        if m['key'] not in latest or order >= latest[m['key']][0]:
            latest[m['key']] = (order, (m['key'], value, m['timestamp'], m['step'], 1 if is_nan else 0, r['id']))
    db.executemany('INSERT INTO metrics VALUES (?,?,?,?,?,?)', rows)
    db.executemany('INSERT INTO latest_metrics VALUES (?,?,?,?,?,?)', [v[1] for v in latest.values()])

runs = spec['runs']
split = len(runs) - (wal['walRuns'] if wal else 0)
for r in runs[:split]:
    add_run(r)
db.commit()
syn = spec.get('synthetic')
if syn:
    for i in range(syn['runs']):
        rid = '%032x' % (i + 1)
        db.execute('INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)', (rid, 'run-%d' % i, 'LOCAL', 'train.py', '', 'bench', 'FINISHED',
            1700000000000 + i * 1000, 1700000000000 + i * 1000 + 500, '', 'active', None, 1, None))
        db.executemany('INSERT INTO params VALUES (?,?,?)', [('lr', str(0.001 * (i % 10 + 1)), rid), ('seed', str(i), rid)])
        rows = []
        for k in range(syn['metrics']):
            key = 'metric_%d' % k
            rows.extend((key, math.sin(s * 0.01 + k) + i * 1e-3, 1700000000000 + s, rid, s, 0) for s in range(syn['steps']))
        db.executemany('INSERT INTO metrics VALUES (?,?,?,?,?,?)', rows)
        last = syn['steps'] - 1
        db.executemany('INSERT INTO latest_metrics VALUES (?,?,?,?,?,?)',
            [('metric_%d' % k, math.sin(last * 0.01 + k) + i * 1e-3, 1700000000000 + last, last, 0, rid) for k in range(syn['metrics'])])
        if i % 50 == 49:
            db.commit()
    db.commit()
if wal:
    db.execute('PRAGMA wal_checkpoint(TRUNCATE)')
    for r in runs[split:]:
        add_run(r)
    db.commit()
    os._exit(0)  # leave the last commits in mlflow.db-wal, as a live MLflow process does
db.close()
`;

/** Writes `file` (which must not exist yet) from `spec`. Needs Debian's /usr/bin/python3. */
export function writeMlflowDb(file: string, spec: MlflowDbSpec): void {
  execFileSync(SYSTEM_PYTHON, ['-c', SCRIPT, file, MLFLOW_SCHEMA], { input: JSON.stringify(spec), stdio: ['pipe', 'inherit', 'inherit'] });
}
