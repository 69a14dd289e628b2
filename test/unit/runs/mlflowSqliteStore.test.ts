import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { findRun, listWorkspaceRuns, readRunMetrics } from '../../../src/core/runs/listWorkspaceRuns';
import { readMlflowSqliteRuns } from '../../../src/core/runs/mlflowSqlite/readMlflowSqliteRuns';
import { sqliteTrackingUri } from '../../../src/core/runs/mlflowSqlite/sqliteTrackingUri';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { writeMlflowDb, type MlflowDbSpec } from '../../support/writeMlflowDb';
import { REPO_ROOT, tempDir } from './runsTestSupport';

const FINISHED = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const RUNNING = 'ffeeddccbbaa99887766554433221100';
const DELETED = 'd0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0';
const IN_DELETED_EXPERIMENT = 'e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0';
const T0 = 1_700_000_000_000;

const MLW = path.join(REPO_ROOT, 'dist', 'mlw.js');

/** Two experiments (one deleted), a finished run with params, tags, metric history and an artifact, a running run, a deleted run. */
function spec(ws: string): MlflowDbSpec {
  const artifacts = path.join(ws, 'mlruns', '1', FINISHED, 'artifacts');
  mkdirSync(path.join(artifacts, 'model'), { recursive: true });
  writeFileSync(path.join(artifacts, 'model', 'model.onnx'), 'onnx-bytes');
  return {
    experiments: [
      { id: 1, name: 'iris-sqlite', artifactLocation: `file://${path.join(ws, 'mlruns', '1')}` },
      { id: 2, name: 'old-stuff', lifecycle: 'deleted' },
    ],
    runs: [
      {
        id: FINISHED,
        experimentId: 1,
        name: 'bold-cat-42',
        status: 'FINISHED',
        start: T0,
        end: T0 + 60_000,
        sourceName: 'train.py',
        artifactUri: `file://${artifacts}`,
        params: { lr: '0.01', optimizer: 'adam', 'model/depth': '3' },
        tags: {
          'mlflow.runName': 'bold-cat-42',
          'mlflow.source.git.commit': '0123456789abcdef0123456789abcdef01234567',
          'mlflow.note.content': 'first try',
          team: 'vision',
        },
        // Logged out of order, as MLflow allows: the series comes back by step.
        metrics: [
          { key: 'loss', value: 0.25, timestamp: T0 + 3000, step: 2 },
          { key: 'loss', value: 0.9, timestamp: T0 + 1000, step: 0 },
          { key: 'loss', value: 0.5, timestamp: T0 + 2000, step: 1 },
          { key: 'val/acc', value: 0.7, timestamp: T0 + 1000, step: 0 },
          { key: 'val/acc', value: 'nan', timestamp: T0 + 2000, step: 1 },
          { key: 'val/acc', value: 0.8, timestamp: T0 + 3000, step: 2 },
        ],
      },
      {
        id: RUNNING,
        experimentId: 1,
        name: 'still-running',
        status: 'RUNNING',
        start: T0 + 100_000,
        end: null,
        metrics: [{ key: 'loss', value: 1.5, timestamp: T0 + 101_000, step: 0 }],
      },
      {
        id: DELETED,
        experimentId: 1,
        name: 'deleted-run',
        status: 'FINISHED',
        start: T0 + 200_000,
        end: T0 + 201_000,
        lifecycle: 'deleted',
      },
      { id: IN_DELETED_EXPERIMENT, experimentId: 2, name: 'in-deleted-exp', status: 'FINISHED', start: T0 + 300_000, end: T0 + 301_000 },
    ],
  };
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const hasSqlite3 = () => existsSync(SYSTEM_PYTHON) && pythonHas('sqlite3');

describe('MLflow SQLite store (mlflow.db)', () => {
  it('lists exactly the live runs of live experiments, and reads their series by step', async (t) => {
    if (!needs(t, 'Debian python3 with sqlite3', hasSqlite3(), 'apt-get install python3')) return;
    const ws = tempDir();
    const db = path.join(ws, 'mlflow.db');
    writeMlflowDb(db, spec(ws));
    const before = sha256(db);

    const runs = await listWorkspaceRuns(ws);
    assert.deepEqual(
      runs.map((r) => [r.id, r.source, r.name, r.status, r.experiment]),
      [
        [RUNNING, 'mlflow-sqlite', 'still-running', 'running', 'iris-sqlite'],
        [FINISHED, 'mlflow-sqlite', 'bold-cat-42', 'finished', 'iris-sqlite'],
      ],
    );
    const r = runs[1];
    assert.deepEqual(r.params, { lr: 0.01, optimizer: 'adam', 'model/depth': 3 });
    assert.equal(r.tags.team, 'vision');
    assert.equal(r.tags['mlflow.note.content'], undefined);
    assert.equal(r.notes, 'first try');
    assert.equal(r.git?.commit, '0123456789abcdef0123456789abcdef01234567');
    assert.deepEqual(r.command, ['train.py']);
    assert.equal(r.startTime, T0);
    assert.equal(r.durationMs, 60_000);
    // From latest_metrics: the last value and its step (min and max are not read while listing).
    assert.equal(r.metrics?.loss.last, 0.25);
    assert.equal(r.metrics?.loss.step, 2);
    assert.equal(r.metrics?.['val/acc'].last, 0.8);
    assert.equal(runs[0].metrics?.loss.last, 1.5);
    assert.deepEqual(r.artifacts, [
      {
        path: 'model/model.onnx',
        sha256: '',
        size: 10,
        stored: path.join(ws, 'mlruns', '1', FINISHED, 'artifacts', 'model', 'model.onnx'),
      },
    ]);

    const series = await readRunMetrics(ws, r);
    assert.deepEqual([...series.keys()].sort(), ['loss', 'val/acc']);
    assert.deepEqual([...series.get('loss')!.steps], [0, 1, 2]);
    assert.deepEqual([...series.get('loss')!.values], [0.9, 0.5, 0.25]);
    assert.deepEqual([...series.get('loss')!.timestamps], [T0 + 1000, T0 + 2000, T0 + 3000]);
    const acc = [...series.get('val/acc')!.values];
    assert.equal(acc[0], 0.7);
    assert.ok(Number.isNaN(acc[1]), 'an is_nan point reads as NaN, not as the 0 stored for it');
    assert.equal(acc[2], 0.8);

    assert.equal((await findRun(ws, 'bold-cat-42')).id, FINISHED);
    assert.equal((await findRun(ws, FINISHED.slice(0, 8))).source, 'mlflow-sqlite');
    assert.equal(sha256(db), before, 'mlflow.db is never written');
    assert.ok(!existsSync(`${db}-journal`) && !existsSync(`${db}-wal`), 'no journal or log was created beside it');
  });

  it('sees the commits still in mlflow.db-wal (MLflow keeps its store in WAL mode), without touching either file', async (t) => {
    if (!needs(t, 'Debian python3 with sqlite3', hasSqlite3(), 'apt-get install python3')) return;
    const ws = tempDir();
    const db = path.join(ws, 'mlflow.db');
    writeMlflowDb(db, { ...spec(ws), wal: { walRuns: 3 } }); // the running, deleted and other runs only in the log
    assert.ok(statSync(`${db}-wal`).size > 0, 'precondition: the last commits are in mlflow.db-wal');
    const before = [sha256(db), sha256(`${db}-wal`)];
    const runs = await listWorkspaceRuns(ws);
    assert.deepEqual(
      runs.map((r) => r.id),
      [RUNNING, FINISHED],
    );
    const series = await readRunMetrics(ws, runs[0]);
    assert.deepEqual([...series.get('loss')!.values], [1.5]);
    assert.deepEqual([sha256(db), sha256(`${db}-wal`)], before);
  });

  it('skips a file named mlflow.db that is not an MLflow store, saying why', async () => {
    const ws = tempDir();
    writeFileSync(path.join(ws, 'mlflow.db'), 'not a database at all, just text that is long enough to have a header......'.repeat(2));
    const warnings: string[] = [];
    const logger = { trace() {}, debug() {}, info() {}, error() {}, warn: (m: string | Error) => void warnings.push(String(m)) };
    assert.deepEqual(await readMlflowSqliteRuns(path.join(ws, 'mlflow.db'), { logger }), []);
    assert.match(warnings.join('\n'), /mlflow\.db is not an SQLite database/);
    assert.deepEqual(await listWorkspaceRuns(tempDir()), [], 'no store, no runs, no error');
  });

  it('finds the store MLFLOW_TRACKING_URI names', () => {
    assert.equal(sqliteTrackingUri('sqlite:///mlflow.db', '/work/proj'), '/work/proj/mlflow.db');
    assert.equal(sqliteTrackingUri('sqlite:////var/mlflow/store.db?timeout=5', '/work/proj'), '/var/mlflow/store.db');
    assert.equal(sqliteTrackingUri('sqlite://', '/w'), undefined);
    assert.equal(sqliteTrackingUri('http://127.0.0.1:5000', '/w'), undefined);
    assert.equal(sqliteTrackingUri(undefined, '/w'), undefined);
  });

  it('mlw runs --json and mlw runs show ID --json (the built CLI) see exactly those runs, and the MLFLOW_TRACKING_URI store', (t) => {
    if (!needs(t, 'Debian python3 with sqlite3', hasSqlite3(), 'apt-get install python3')) return;
    if (!needs(t, 'dist/mlw.js', existsSync(MLW), 'npm run build')) return;
    const ws = tempDir();
    writeMlflowDb(path.join(ws, 'mlflow.db'), spec(ws));
    const elsewhere = tempDir();
    const other = path.join(elsewhere, 'team.db');
    writeMlflowDb(other, {
      experiments: [{ id: 1, name: 'team' }],
      runs: [{ id: 'c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0', experimentId: 1, name: 'from-env', status: 'FAILED', start: T0, end: T0 + 5 }],
    });
    const env = { ...process.env, MLFLOW_TRACKING_URI: 'sqlite:///team.db' }; // relative: to the current directory
    const mlw = (...args: string[]) =>
      spawnSync(process.execPath, [MLW, '--workspace', ws, ...args], { encoding: 'utf8', timeout: 60_000, cwd: elsewhere, env });

    const list = mlw('runs', '--json');
    assert.equal(list.status, 0, list.stderr);
    const runs = JSON.parse(list.stdout) as Array<{
      id: string;
      name: string;
      status: string;
      source: string;
      metrics: Record<string, { last: number }>;
    }>;
    assert.deepEqual(
      runs.map((r) => [r.id, r.name, r.status, r.source]),
      [
        [RUNNING, 'still-running', 'running', 'mlflow-sqlite'],
        [FINISHED, 'bold-cat-42', 'finished', 'mlflow-sqlite'],
        ['c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0', 'from-env', 'failed', 'mlflow-sqlite'],
      ],
    );
    assert.equal(runs[1].metrics.loss.last, 0.25);
    assert.deepEqual(runs[2].metrics, {});

    const show = mlw('runs', 'show', FINISHED.slice(-6), '--json');
    assert.equal(show.status, 0, show.stderr);
    const doc = JSON.parse(show.stdout);
    assert.equal(doc.id, FINISHED);
    assert.equal(doc.source, 'mlflow-sqlite');
    assert.deepEqual(doc.params, { lr: 0.01, optimizer: 'adam', 'model/depth': 3 });
    assert.equal(doc.tags.team, 'vision');
    assert.deepEqual(doc.metrics.loss.series, [
      { step: 0, value: 0.9, time: T0 + 1000 },
      { step: 1, value: 0.5, time: T0 + 2000 },
      { step: 2, value: 0.25, time: T0 + 3000 },
    ]);
    assert.deepEqual(doc.metrics['val/acc'].series[1], { step: 1, value: null, time: T0 + 2000 }, 'NaN prints as null');
    assert.equal(doc.metrics.loss.min, 0.25);
    assert.equal(doc.metrics.loss.best, 0.25);
    assert.deepEqual(doc.artifacts, [
      {
        path: 'model/model.onnx',
        sha256: '',
        size: 10,
        stored: path.join(ws, 'mlruns', '1', FINISHED, 'artifacts', 'model', 'model.onnx'),
      },
    ]);
    const fromEnv = mlw('runs', 'show', 'from-env', '--json');
    assert.equal(fromEnv.status, 0, fromEnv.stderr);
    assert.equal(JSON.parse(fromEnv.stdout).status, 'failed');
  });
});
