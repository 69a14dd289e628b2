/**
 * Notebooks run as experiments: launchRun on an .ipynb executes it headless in a real ipykernel of
 * /usr/bin/python3 (Debian python3-nbclient, python3-ipykernel) through python/mlw_notebook.py.
 * Params are injected papermill-style, printed scalars and mlw_run calls in cells reach the run, the
 * executed notebook is the run's artifact, a failing cell fails the run, and Stop leaves no kernel behind.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { launchRun, type LaunchOptions } from '../../../src/core/runs/launchRun';
import { RunStore } from '../../../src/core/runs/RunStore';
import { readMetrics } from '../../../src/core/runs/readMetrics';
import { needs, SYSTEM_PYTHON } from '../../support/requires';
import { tempDir, waitFor } from '../../unit/runs/runsTestSupport';
import {
  hasNotebookStack,
  NOTEBOOK_PACKAGES,
  processesWithEnv,
  readNotebook,
  stdoutOf,
  text,
  writeNotebook,
  type CellSpec,
} from './writeNotebook';

const TRAIN_CELLS: CellSpec[] = [
  { type: 'markdown', source: '# Train\nA tiny training loop.' },
  { source: 'lr = 0.01\nepochs = 3\n', tags: ['parameters'] },
  {
    source: [
      'import mlw_run',
      'for epoch in range(epochs):',
      '    loss = round(lr * 10 / (epoch + 1), 4)',
      '    print(f"epoch {epoch} loss={loss}")',
      '    mlw_run.log_metric("acc", round(0.5 + epoch * lr, 4), step=epoch)',
      'print("lr is", lr)',
    ].join('\n'),
  },
  { source: 'import os\nprint("cwd", os.getcwd())' },
  {
    // An MLflow client's call, as the mlflow package makes it, to the endpoint the launcher names in the environment.
    source: [
      'import json, time, urllib.request',
      'body = {"run_id": os.environ["MLFLOW_RUN_ID"], "key": "mlflow_lr", "value": lr, "timestamp": int(time.time() * 1000), "step": 0}',
      'req = urllib.request.Request(os.environ["MLFLOW_TRACKING_URI"] + "/api/2.0/mlflow/runs/log-metric", data=json.dumps(body).encode(),',
      '    headers={"Content-Type": "application/json", "Authorization": "Bearer " + os.environ["MLFLOW_TRACKING_TOKEN"]}, method="POST")',
      'print("HTTP", urllib.request.urlopen(req).status)',
    ].join('\n'),
  },
];

async function launchNotebook(cells: CellSpec[], extra: Partial<LaunchOptions> = {}) {
  const ws = tempDir('mlw-notebook-');
  mkdirSync(path.join(ws, 'notebooks'));
  writeNotebook(path.join(ws, 'notebooks', 'train_nb.ipynb'), cells);
  const store = new RunStore(ws);
  const output: string[] = [];
  const handle = await launchRun({
    store,
    script: 'notebooks/train_nb.ipynb',
    interpreter: SYSTEM_PYTHON,
    env: { PYTHONDONTWRITEBYTECODE: '1' },
    git: false,
    onOutput: (chunk) => output.push(chunk),
    ...extra,
  });
  return { ws, store, handle, output };
}

/** The executed notebook kept by the run: its snapshot in the store (what Open Run Artifacts opens). */
function executedNotebook(ws: string, run: { artifacts: Array<{ path: string; stored?: string }> }) {
  const art = run.artifacts.find((a) => a.path.endsWith('train_nb.ipynb'));
  assert.ok(art?.stored, `the executed notebook is an artifact with a snapshot: ${JSON.stringify(run.artifacts)}`);
  return readNotebook(path.join(ws, art.stored));
}

describe('notebooks run through launchRun with a real Jupyter kernel', () => {
  it('injects --param lr=0.1 after the parameters cell; records the param, printed and logged metrics, and the executed notebook', async (t) => {
    if (!needs(t, 'nbclient, ipykernel and nbformat for /usr/bin/python3', hasNotebookStack(), NOTEBOOK_PACKAGES)) return;
    const { ws, handle } = await launchNotebook(TRAIN_CELLS, { params: { lr: 0.1 } });
    const run = await handle.done;
    assert.equal(run.status, 'finished', run.outputTail ?? run.error);
    assert.equal(run.params.lr, 0.1);
    assert.match(run.command[1], /python[\\/]mlw_notebook\.py$/, 'the driver runs the notebook');
    assert.equal(run.command[0], SYSTEM_PYTHON);

    const log = readFileSync(path.join(handle.dir, 'stdout.log'), 'utf8');
    assert.match(log, /^epoch 0 loss=1\.0$/m, 'cell output is echoed live into the run output');
    assert.match(log, /^lr is 0\.1$/m);
    assert.match(
      log,
      new RegExp(`^cwd ${path.join(ws, 'notebooks').replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')}$`, 'm'),
      "the kernel runs in the notebook's folder",
    );
    for (const n of [2, 3, 4, 5, 6])
      assert.match(log, new RegExp(`^mlw: cell ${n}/6 done in \\d+\\.\\d s$`, 'm'), `a progress line for cell ${n}`);
    assert.doesNotMatch(log, /Debugger warning/, 'no debugger noise from the kernel');

    const metrics = await readMetrics(handle.dir);
    assert.deepEqual(
      [...metrics.series.keys()].filter((k) => !k.startsWith('system/')).sort(),
      ['acc', 'loss', 'mlflow_lr'],
      'the progress lines are not metrics',
    );
    const loss = metrics.series.get('loss');
    assert.deepEqual(Array.from(loss?.steps ?? []), [0, 1, 2]);
    assert.deepEqual(Array.from(loss?.values ?? []), [1, 0.5, 0.3333], 'printed loss= lines, with epoch as the step');
    assert.deepEqual(Array.from(metrics.series.get('acc')?.values ?? []), [0.5, 0.6, 0.7], 'mlw_run.log_metric in a cell, with lr = 0.1');
    assert.equal(run.metrics?.acc.last, 0.7);
    assert.equal(run.metrics?.mlflow_lr.last, 0.1, 'an MLflow REST call from a cell logs into the run');
    assert.match(log, /^HTTP 200$/m);

    const nb = executedNotebook(ws, run);
    assert.equal(nb.cells.length, 6);
    assert.equal(text(nb.cells[1].source), 'lr = 0.01\nepochs = 3\n', 'the parameters cell is kept as written');
    assert.deepEqual(nb.cells[2].metadata.tags, ['injected-parameters']);
    assert.equal(text(nb.cells[2].source), '# Parameters\nlr = 0.1\n');
    assert.equal(stdoutOf(nb.cells[3]), 'epoch 0 loss=1.0\nepoch 1 loss=0.5\nepoch 2 loss=0.3333\nlr is 0.1\n', 'outputs are saved');
    assert.equal(nb.cells[3].execution_count, 3);
  });

  it('without a parameters cell, injects params at the top, as Python literals', async (t) => {
    if (!needs(t, 'nbclient, ipykernel and nbformat for /usr/bin/python3', hasNotebookStack(), NOTEBOOK_PACKAGES)) return;
    const cells: CellSpec[] = [{ source: 'print(repr((name, flag, n, missing)))' }];
    const { ws, handle } = await launchNotebook(cells, { params: { name: 'it\'s "q"', flag: true, n: 3, missing: null } });
    const run = await handle.done;
    assert.equal(run.status, 'finished', run.outputTail ?? run.error);
    const nb = executedNotebook(ws, run);
    assert.deepEqual(nb.cells[0].metadata.tags, ['injected-parameters']);
    assert.equal(stdoutOf(nb.cells[1]), `('it\\'s "q"', True, 3, None)\n`);
  });

  it('a failing cell fails the run with the cell number and the error; the executed notebook keeps the traceback', async (t) => {
    if (!needs(t, 'nbclient, ipykernel and nbformat for /usr/bin/python3', hasNotebookStack(), NOTEBOOK_PACKAGES)) return;
    const cells: CellSpec[] = [
      { source: 'batch = 0' },
      { source: 'print("before")\nraise ValueError(f"bad batch size {batch}")' },
      { source: 'print("never")' },
    ];
    const { ws, handle } = await launchNotebook(cells);
    const run = await handle.done;
    assert.equal(run.status, 'failed');
    assert.equal(run.exitCode, 1);
    assert.equal(run.error, 'Cell 2 of 3 (In [2]) failed: ValueError: bad batch size 0');
    assert.match(run.outputTail ?? '', /ValueError: bad batch size 0/);
    const nb = executedNotebook(ws, run);
    assert.equal(stdoutOf(nb.cells[1]), 'before\n');
    const error = nb.cells[1].outputs?.find((o) => o.output_type === 'error');
    assert.equal(error?.ename, 'ValueError');
    assert.deepEqual(nb.cells[2].outputs, [], 'nothing after the failing cell ran');
  });

  it('Stop during a time.sleep cell ends the run stopped and leaves no kernel process', async (t) => {
    if (!needs(t, 'nbclient, ipykernel and nbformat for /usr/bin/python3', hasNotebookStack(), NOTEBOOK_PACKAGES)) return;
    const cells: CellSpec[] = [{ source: 'import time\nprint("sleeping", flush=True)\ntime.sleep(120)\nprint("woke")' }];
    const { ws, handle, output } = await launchNotebook(cells, { stopGraceMs: 20_000 });
    await waitFor(() => output.join('').includes('sleeping'), 60_000, 'the cell to start');
    const before = processesWithEnv('MLW_RUN_ID', handle.id);
    const kernels = before.filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('ipykernel_launcher'));
    assert.equal(kernels.length, 1, `one kernel runs the notebook (processes of the run: ${before.join(', ')})`);
    const started = Date.now();
    const run = await handle.stop();
    assert.equal(run.status, 'stopped');
    assert.equal(run.signal, 'SIGTERM', 'the driver ended by the signal itself (not killed after the grace period)');
    assert.ok(Date.now() - started < 10_000, 'stopped promptly');
    await waitFor(() => processesWithEnv('MLW_RUN_ID', handle.id).length === 0, 5_000, 'no process of the run to remain');
    const nb = executedNotebook(ws, run);
    assert.equal(stdoutOf(nb.cells[0]), 'sleeping\n', 'the executed notebook keeps what ran before Stop');
  });

  it('refuses script arguments for a notebook, before any run exists', async (t) => {
    if (!needs(t, 'python3', existsSync(SYSTEM_PYTHON), 'apt-get install python3')) return;
    const ws = tempDir('mlw-notebook-');
    writeNotebook(path.join(ws, 'a.ipynb'), [{ source: '1' }]);
    const store = new RunStore(ws);
    await assert.rejects(
      launchRun({ store, script: 'a.ipynb', interpreter: SYSTEM_PYTHON, args: ['--verbose'], git: false }),
      /A notebook takes no script arguments \(--verbose\): give params with --param k=v/,
    );
    assert.deepEqual(await store.listRuns(), []);
  });
});
