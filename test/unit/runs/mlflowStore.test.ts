import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readMlflowMetrics, readMlflowRuns, findMlflowRunDir } from '../../../src/core/runs/mlflowStore';
import { findRun, listWorkspaceRuns, readRunMetrics } from '../../../src/core/runs/listWorkspaceRuns';
import { RunStore } from '../../../src/core/runs/RunStore';
import { tempDir } from './runsTestSupport';

function put(file: string, text: string) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** An MLflow FileStore as MLflow lays it out: experiment and run meta.yaml, params/, metrics/, tags/, artifacts/. */
function layOutStore(ws: string) {
  const root = path.join(ws, 'mlruns');
  const exp = (id: string, name: string, stage = 'active') =>
    put(
      path.join(root, id, 'meta.yaml'),
      `artifact_location: file://${root}/${id}\ncreation_time: 1700000000000\nexperiment_id: '${id}'\nlast_update_time: 1700000000000\nlifecycle_stage: ${stage}\nname: ${name}\n`,
    );
  const run = (expId: string, runId: string, fields: { name: string; status: number; start: number; end: number | null; stage?: string }) =>
    put(
      path.join(root, expId, runId, 'meta.yaml'),
      [
        `artifact_uri: file://${root}/${expId}/${runId}/artifacts`,
        `end_time: ${fields.end === null ? 'null' : fields.end}`,
        "entry_point_name: ''",
        `experiment_id: '${expId}'`,
        `lifecycle_stage: ${fields.stage ?? 'active'}`,
        `run_id: ${runId}`,
        `run_name: ${fields.name}`,
        `run_uuid: ${runId}`,
        "source_name: ''",
        'source_type: 4',
        "source_version: ''",
        `start_time: ${fields.start}`,
        `status: ${fields.status}`,
        'tags: []',
        'user_id: alice',
        '',
      ].join('\n'),
    );
  exp('0', 'Default');
  exp('1', 'iris-mlflow');
  exp('2', 'old-stuff', 'deleted');
  const a = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  const b = 'ffeeddccbbaa99887766554433221100';
  run('1', a, { name: 'bold-cat-42', status: 3, start: 1700000000000, end: 1700000060000 });
  put(path.join(root, '1', a, 'params', 'lr'), '0.01');
  put(path.join(root, '1', a, 'params', 'optimizer'), 'adam');
  put(path.join(root, '1', a, 'params', 'model', 'depth'), '3'); // key "model/depth"
  put(path.join(root, '1', a, 'metrics', 'loss'), '1700000001000 0.9 0\n1700000002000 0.5 1\n1700000003000 0.25 2\n');
  put(path.join(root, '1', a, 'metrics', 'val', 'acc'), '1700000001000 0.7 0\n1700000003000 0.8 2\n');
  put(path.join(root, '1', a, 'metrics', 'old_format'), '1700000001000 5\n1700000002000 nan\n');
  put(path.join(root, '1', a, 'tags', 'mlflow.runName'), 'bold-cat-42');
  put(path.join(root, '1', a, 'tags', 'mlflow.source.git.commit'), '0123456789abcdef0123456789abcdef01234567');
  put(path.join(root, '1', a, 'tags', 'mlflow.source.name'), 'train.py');
  put(path.join(root, '1', a, 'tags', 'mlflow.note.content'), 'first try');
  put(path.join(root, '1', a, 'tags', 'team'), 'vision');
  put(path.join(root, '1', a, 'artifacts', 'model', 'MLmodel'), 'flavors: {}\n');
  put(path.join(root, '1', a, 'artifacts', 'model', 'model.pkl'), 'pickle-bytes');
  run('1', b, { name: 'failed-run', status: 4, start: 1700000100000, end: 1700000110000 });
  run('0', 'c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0', { name: 'killed', status: 5, start: 1700000200000, end: 1700000201000 });
  run('0', 'd0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0', {
    name: 'deleted-run',
    status: 3,
    start: 1700000300000,
    end: 1700000301000,
    stage: 'deleted',
  });
  run('2', 'e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0', { name: 'in-deleted-exp', status: 3, start: 1700000400000, end: 1700000401000 });
  run('1', 'f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0', { name: 'still-running', status: 1, start: 1700000500000, end: null });
  mkdirSync(path.join(root, '.trash', '7'), { recursive: true });
  mkdirSync(path.join(root, 'models'), { recursive: true });
  return { root, a, b };
}

describe('MLflow file store reader', () => {
  it('maps live runs of live experiments onto the Run shape', async () => {
    const ws = tempDir();
    const { root, a } = layOutStore(ws);
    const runs = await readMlflowRuns(root);
    assert.deepEqual(
      runs.map((r) => r.name),
      ['still-running', 'killed', 'failed-run', 'bold-cat-42'],
    );
    const byName = Object.fromEntries(runs.map((r) => [r.name, r]));
    const r = byName['bold-cat-42'];
    assert.equal(r.id, a);
    assert.equal(r.source, 'mlflow-file');
    assert.equal(r.experiment, 'iris-mlflow');
    assert.equal(r.status, 'finished');
    assert.equal(r.startTime, 1700000000000);
    assert.equal(r.durationMs, 60000);
    assert.deepEqual(r.params, { lr: 0.01, optimizer: 'adam', 'model/depth': 3 });
    assert.equal(r.git?.commit, '0123456789abcdef0123456789abcdef01234567');
    assert.deepEqual(r.command, ['train.py']);
    assert.equal(r.notes, 'first try');
    assert.equal(r.tags.team, 'vision');
    assert.equal(r.tags['mlflow.note.content'], undefined);
    assert.deepEqual(r.artifacts.map((x) => x.path).sort(), ['model/MLmodel', 'model/model.pkl']);
    const pkl = r.artifacts.find((x) => x.path.endsWith('model.pkl'));
    assert.equal(pkl?.size, 12);
    assert.equal(pkl?.stored, path.join(root, '1', a, 'artifacts', 'model', 'model.pkl'), 'stored: the file MLflow keeps');
    assert.deepEqual(r.metrics?.loss, { last: 0.25, step: 2, min: 0.25, max: 0.9, count: 3 });
    assert.equal(r.metrics?.['val/acc'].last, 0.8);
    assert.equal(byName['failed-run'].status, 'failed');
    assert.equal(byName['killed'].status, 'stopped');
    assert.equal(byName['killed'].experiment, 'Default');
    assert.equal(byName['still-running'].status, 'running');
    assert.equal(byName['still-running'].endTime, null);
  });

  it('reads metric series, including the old two-column format and nan', async () => {
    const ws = tempDir();
    const { root, a } = layOutStore(ws);
    const dir = await findMlflowRunDir(root, a);
    assert.equal(dir, path.join(root, '1', a));
    const series = await readMlflowMetrics(dir as string);
    assert.deepEqual(Array.from(series.get('loss')?.steps ?? []), [0, 1, 2]);
    assert.deepEqual(Array.from(series.get('loss')?.timestamps ?? []), [1700000001000, 1700000002000, 1700000003000]);
    assert.deepEqual(Array.from(series.get('old_format')?.values ?? []), [5, NaN]);
    assert.deepEqual(Array.from(series.get('old_format')?.steps ?? []), [0, 1]);
    assert.equal(await findMlflowRunDir(root, '../../etc'), undefined);
  });

  it('appears next to ML Workbench runs in the workspace listing, and can be found by id prefix', async () => {
    const ws = tempDir();
    const { a } = layOutStore(ws);
    const store = new RunStore(ws);
    const own = await store.createRun({ status: 'finished', name: 'mine' });
    const all = await listWorkspaceRuns(ws);
    assert.equal(all.length, 5);
    assert.equal(all[0].id, own.id);
    assert.equal((await findRun(ws, a.slice(0, 8))).name, 'bold-cat-42');
    assert.equal((await findRun(ws, 'mine')).id, own.id);
    await assert.rejects(findRun(ws, 'zzzzzz'), /No run/);
    const series = await readRunMetrics(ws, await findRun(ws, a));
    assert.equal(series.get('loss')?.values.length, 3);
    assert.deepEqual(await readMlflowRuns(path.join(ws, 'no-such-dir')), []);
  });
});
