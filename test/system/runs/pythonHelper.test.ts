/** The shipped Python helper (python/mlw_run.py) on a real interpreter, without the launcher. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { needs, SYSTEM_PYTHON } from '../../support/requires';
import { RunStore } from '../../../src/core/runs/RunStore';
import { readMetrics } from '../../../src/core/runs/readMetrics';
import { readLogged } from '../../../src/core/runs/readLogged';
import { REPO_ROOT, tempDir, waitFor } from '../../unit/runs/runsTestSupport';

const HELPER_DIR = path.join(REPO_ROOT, 'python');
const hasPython = () => existsSync(SYSTEM_PYTHON);

function python(code: string, cwd: string, env: Record<string, string | undefined> = {}) {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PYTHONPATH: HELPER_DIR,
    PYTHONDONTWRITEBYTECODE: '1',
    MLW_RUN_DIR: undefined,
    ...env,
  };
  for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
  return spawnSync(SYSTEM_PYTHON, ['-c', code], { cwd, env: childEnv, encoding: 'utf8', timeout: 60_000 });
}

describe('mlw_run.py helper', () => {
  it('writes metrics, params, tags and artifacts into MLW_RUN_DIR, in the formats the readers expect', async (t) => {
    if (!needs(t, 'python3', hasPython(), 'apt-get install python3')) return;
    const ws = tempDir();
    const runDir = path.join(ws, 'run');
    mkdirSync(runDir);
    writeFileSync(path.join(ws, 'model.onnx'), 'model-bytes');
    const code = `
import mlw_run as mlw
mlw.log_params({"lr": 0.01, "layers": [64, 32], "name": "mlp", "none": None})
mlw.set_tag("stage", "dev")
for i in range(20000):
    mlw.log_metric("loss", 1.0 / (i + 1))
mlw.log_metrics({"acc": 0.5, "nan": float("nan"), "inf": float("inf")}, step=7)
mlw.log_metric("acc", 0.75)
mlw.log_metric("we\\"ird", 3, step=1)
mlw.log_artifact("model.onnx")
mlw.log_artifact("model.onnx", copy=True, name="../../best.onnx")
print(mlw.run_dir())`;
    const r = python(code, ws, { MLW_RUN_DIR: runDir });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), runDir);
    const m = await readMetrics(runDir);
    assert.equal(m.skippedLines, 0);
    const loss = m.series.get('loss');
    assert.equal(loss?.values.length, 20000);
    assert.equal(loss?.values[19999], 1 / 20000);
    assert.equal(loss?.steps[19999], 19999, 'automatic steps');
    assert.deepEqual(Array.from(m.series.get('acc')?.steps ?? []), [7, 8], 'after an explicit step the next automatic one follows it');
    assert.ok(Number.isNaN(m.series.get('nan')?.values[0]));
    assert.equal(m.series.get('inf')?.values[0], Infinity);
    assert.equal(m.series.get('we"ird')?.values[0], 3);
    assert.ok(Math.abs((loss?.timestamps[0] ?? 0) - Date.now()) < 120_000);
    const logged = await readLogged(runDir);
    assert.deepEqual(logged.params, { lr: 0.01, layers: '[64, 32]', name: 'mlp', none: null });
    assert.deepEqual(logged.tags, { stage: 'dev' });
    assert.deepEqual(logged.artifacts, [
      { path: path.join(ws, 'model.onnx') },
      { path: path.join(ws, 'model.onnx'), stored: 'artifacts/_.._best.onnx' },
    ]);
    assert.equal(readFileSync(path.join(runDir, 'artifacts', '_.._best.onnx'), 'utf8'), 'model-bytes');
    assert.equal(existsSync(path.join(ws, 'best.onnx')), false);
    assert.equal(existsSync(path.join(runDir, 'run.json')), false, 'under a launcher, run.json belongs to the launcher');
  });

  it('without MLW_RUN_DIR creates and completes a run of its own under ./.mlw/runs', async (t) => {
    if (!needs(t, 'python3', hasPython(), 'apt-get install python3')) return;
    const ws = tempDir();
    const ok = python(
      'import mlw_run as mlw\nmlw.log_param("lr", 0.1)\nfor i in range(5): mlw.log_metric("loss", 5 - i)\nmlw.set_tag("t", 1)',
      ws,
    );
    assert.equal(ok.status, 0, ok.stderr);
    const crash = python('import mlw_run as mlw\nmlw.log_metric("loss", 1)\nraise ValueError("bad")', ws);
    assert.equal(crash.status, 1);
    const nothing = python('import mlw_run as mlw', ws);
    assert.equal(nothing.status, 0);
    const store = new RunStore(ws);
    const runs = await store.listRuns();
    assert.equal(runs.length, 2, 'importing alone creates no run');
    const [failed, finished] = runs;
    assert.equal(finished.status, 'finished');
    assert.equal(finished.exitCode, 0);
    assert.deepEqual(finished.params, { lr: 0.1 });
    assert.deepEqual(finished.tags, { t: '1' });
    assert.deepEqual(finished.metrics?.loss, { last: 1, step: 4, min: 1, max: 5, count: 5 });
    assert.equal(finished.interpreter, SYSTEM_PYTHON);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.exitCode, 1);
    assert.ok(existsSync(path.join(store.dir, '.gitignore')));

    const off = tempDir();
    assert.equal(
      python('import mlw_run as mlw\nmlw.log_metric("x", 1)\nprint(mlw.run_dir())', off, { MLW_DISABLE: '1' }).stdout.trim(),
      'None',
    );
    assert.equal(existsSync(path.join(off, '.mlw')), false);
  });

  it('on SIGTERM flushes buffered points, marks a standalone run stopped, and still dies of SIGTERM', async (t) => {
    if (!needs(t, 'python3', hasPython(), 'apt-get install python3')) return;
    const ws = tempDir();
    const code = `
import time, mlw_run as mlw
for i in range(100):
    mlw.log_metric("x", i)
print("ready", flush=True)
time.sleep(60)`;
    const child = spawn(SYSTEM_PYTHON, ['-c', code], {
      cwd: ws,
      env: { ...process.env, PYTHONPATH: HELPER_DIR, PYTHONDONTWRITEBYTECODE: '1' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await waitFor(() => out.includes('ready'), 20_000, 'ready');
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_c, s) => resolve(s)));
    child.kill('SIGTERM');
    assert.equal(await exited, 'SIGTERM');
    const store = new RunStore(ws);
    const [run] = await store.listRuns();
    assert.equal(run.status, 'stopped');
    assert.equal(run.signal, 'SIGTERM');
    assert.equal((await readMetrics(store.runDir(run.id))).series.get('x')?.values.length, 100);
  });

  it('flushes on its own within about a second while the script keeps running', async (t) => {
    if (!needs(t, 'python3', hasPython(), 'apt-get install python3')) return;
    const ws = tempDir();
    const runDir = path.join(ws, 'run');
    mkdirSync(runDir);
    const child = spawn(SYSTEM_PYTHON, ['-c', 'import time, mlw_run as mlw\nmlw.log_metric("x", 1)\ntime.sleep(30)'], {
      env: { ...process.env, PYTHONPATH: HELPER_DIR, PYTHONDONTWRITEBYTECODE: '1', MLW_RUN_DIR: runDir },
    });
    try {
      await waitFor(async () => (await readMetrics(runDir)).points === 1, 5000, 'the background flush');
    } finally {
      child.kill('SIGKILL');
    }
    assert.deepEqual(readdirSync(runDir).sort(), ['metrics.jsonl']);
  });
});
