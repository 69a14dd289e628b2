import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { silentLogger } from '../../../src/core/logger';
import type { CliContext } from '../../../src/cli/cliCommand';
import { runsCommand } from '../../../src/cli/commands/runs';
import { RunStore } from '../../../src/core/runs/RunStore';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { writeMlflowDb } from '../../support/writeMlflowDb';
import { tempDir } from './runsTestSupport';

// The CLI contract (issue 12): scripts and CI read these shapes, the same for every source.

function put(file: string, text: string) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

async function cli(ws: string, args: string[]): Promise<unknown> {
  const out: string[] = [];
  const ctx: CliContext = {
    workspace: ws,
    json: true,
    out: (t) => void out.push(t),
    err: () => undefined,
    logger: silentLogger,
    signal: new AbortController().signal,
  };
  assert.equal(await runsCommand.run(args, ctx), 0);
  return JSON.parse(out.join(''));
}

const FILE_RUN = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const SQLITE_RUN = 'ffeeddccbbaa99887766554433221100';

/** One run of each local source: ML Workbench, the MLflow file store, the MLflow SQLite store. */
async function workspace(): Promise<{ ws: string; mlwId: string }> {
  const ws = tempDir();
  const store = new RunStore(ws);
  const mlw = await store.createRun({
    name: 'ours',
    experiment: 'e',
    status: 'finished',
    startTime: 3,
    params: { lr: 0.1 },
    tags: { k: 'v' },
    artifacts: [{ path: 'model.onnx', sha256: 'ab'.repeat(32), size: 3 }],
    metrics: { loss: { last: 0.2, step: 1, min: 0.2, max: 0.5, count: 2 } },
  });
  writeFileSync(path.join(store.runDir(mlw.id), 'metrics.jsonl'), '{"k":"loss","v":0.5,"s":0,"t":10}\n{"k":"loss","v":0.2,"s":1,"t":20}\n');

  const root = path.join(ws, 'mlruns');
  put(path.join(root, '1', 'meta.yaml'), `experiment_id: '1'\nlifecycle_stage: active\nname: file-exp\n`);
  put(
    path.join(root, '1', FILE_RUN, 'meta.yaml'),
    `run_id: ${FILE_RUN}\nrun_name: from-file\nstatus: 3\nstart_time: 2\nend_time: 5\nlifecycle_stage: active\nexperiment_id: '1'\n`,
  );
  put(path.join(root, '1', FILE_RUN, 'params', 'lr'), '0.2');
  put(path.join(root, '1', FILE_RUN, 'tags', 'team'), 'a');
  put(path.join(root, '1', FILE_RUN, 'metrics', 'loss'), '100 0.7 0\n200 0.3 1\n');
  put(path.join(root, '1', FILE_RUN, 'artifacts', 'model.onnx'), 'abcd');

  writeMlflowDb(path.join(ws, 'mlflow.db'), {
    experiments: [{ id: 1, name: 'sqlite-exp' }],
    runs: [
      {
        id: SQLITE_RUN,
        experimentId: 1,
        name: 'from-sqlite',
        status: 'FINISHED',
        start: 1,
        end: 4,
        params: { lr: '0.3' },
        tags: { team: 'b' },
        metrics: [
          { key: 'loss', value: 0.9, timestamp: 300, step: 0 },
          { key: 'loss', value: 0.4, timestamp: 400, step: 1 },
        ],
      },
    ],
  });
  return { ws, mlwId: mlw.id };
}

const hasSqlite3 = () => existsSync(SYSTEM_PYTHON) && pythonHas('sqlite3');

describe('mlw runs --json / mlw runs show --json shapes', () => {
  it('lists an mlw, an MLflow file-store and an MLflow SQLite run with id, name, status, source and each metric last value', async (t) => {
    if (!needs(t, 'Debian python3 with sqlite3', hasSqlite3(), 'apt-get install python3')) return;
    delete process.env.MLFLOW_TRACKING_URI;
    const { ws, mlwId } = await workspace();
    const runs = (await cli(ws, [])) as Array<Record<string, unknown> & { metrics: Record<string, { last: number }> }>;
    assert.deepEqual(
      runs.map((r) => [r.id, r.name, r.status, r.source, r.metrics.loss.last]),
      [
        [mlwId, 'ours', 'finished', 'mlw', 0.2],
        [FILE_RUN, 'from-file', 'finished', 'mlflow-file', 0.3],
        [SQLITE_RUN, 'from-sqlite', 'finished', 'mlflow-sqlite', 0.4],
      ],
    );
  });

  it('shows each with the same keys: params, tags, metrics with their series (step, value, time), artifacts (path, sha256, size, stored)', async (t) => {
    if (!needs(t, 'Debian python3 with sqlite3', hasSqlite3(), 'apt-get install python3')) return;
    delete process.env.MLFLOW_TRACKING_URI;
    const { ws, mlwId } = await workspace();
    const expected = {
      [mlwId]: {
        source: 'mlw',
        params: { lr: 0.1 },
        tags: { k: 'v' },
        series: [
          { step: 0, value: 0.5, time: 10 },
          { step: 1, value: 0.2, time: 20 },
        ],
        artifacts: [{ path: 'model.onnx', sha256: 'ab'.repeat(32), size: 3 }],
      },
      [FILE_RUN]: {
        source: 'mlflow-file',
        params: { lr: 0.2 },
        tags: { team: 'a' },
        series: [
          { step: 0, value: 0.7, time: 100 },
          { step: 1, value: 0.3, time: 200 },
        ],
        artifacts: [{ path: 'model.onnx', sha256: '', size: 4, stored: path.join(ws, 'mlruns', '1', FILE_RUN, 'artifacts', 'model.onnx') }],
      },
      [SQLITE_RUN]: {
        source: 'mlflow-sqlite',
        params: { lr: 0.3 },
        tags: { team: 'b' },
        series: [
          { step: 0, value: 0.9, time: 300 },
          { step: 1, value: 0.4, time: 400 },
        ],
        artifacts: [],
      },
    };
    for (const [id, want] of Object.entries(expected)) {
      const doc = (await cli(ws, ['show', id])) as Record<string, unknown> & {
        metrics: Record<string, Record<string, unknown> & { series: unknown[] }>;
        run: { id: string };
      };
      assert.deepEqual(
        Object.keys(doc),
        ['id', 'name', 'status', 'source', 'experiment', 'params', 'tags', 'metrics', 'artifacts', 'run'],
        id,
      );
      assert.equal(doc.id, id);
      assert.equal(doc.run.id, id, 'the whole run is kept under run');
      assert.equal(doc.source, want.source);
      assert.equal(doc.status, 'finished');
      assert.deepEqual(doc.params, want.params);
      assert.deepEqual(doc.tags, want.tags);
      assert.deepEqual(Object.keys(doc.metrics), ['loss']);
      assert.deepEqual(doc.metrics.loss.series, want.series, `${want.source} series`);
      for (const k of ['last', 'step', 'min', 'max', 'count', 'best', 'lowerIsBetter'])
        assert.ok(k in doc.metrics.loss, `${want.source}: metrics.loss.${k}`);
      assert.deepEqual(doc.artifacts, want.artifacts, `${want.source} artifacts`);
    }
  });
});
