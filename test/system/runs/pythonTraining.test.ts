/**
 * Real Python training runs through the launcher: /usr/bin/python3 (SYSTEM_PYTHON) with torch and
 * sklearn, the shipped python/mlw_run.py helper, the fixtures in test/fixtures/python/.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { launchRun } from '../../../src/core/runs/launchRun';
import { RunStore } from '../../../src/core/runs/RunStore';
import { readMetrics } from '../../../src/core/runs/readMetrics';
import { stopRunById } from '../../../src/core/runs/stopRunById';
import { compiled, isAlive, REPO_ROOT, tempDir, waitFor } from '../../unit/runs/runsTestSupport';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'python');
const HELPER_DIR = path.join(REPO_ROOT, 'python');
/** Keeps Python from writing __pycache__ into the repository's python/ folder. */
const NO_PYC = { PYTHONDONTWRITEBYTECODE: '1' };

let mlStack: boolean | undefined;
const hasMlStack = () => (mlStack ??= existsSync(SYSTEM_PYTHON) && pythonHas('torch') && pythonHas('sklearn'));
const hasPython = () => existsSync(SYSTEM_PYTHON);

/** A workspace holding the fixture scripts, committed to git, with one uncommitted change. */
function workspace(): string {
  const ws = tempDir('mlw-sys-');
  // Files only: Python leaves a __pycache__ folder here when a fixture script imports a helper beside it.
  for (const f of readdirSync(FIXTURES, { withFileTypes: true }))
    if (f.isFile()) copyFileSync(path.join(FIXTURES, f.name), path.join(ws, f.name));
  const git = (...a: string[]) =>
    execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=T', '-c', 'commit.gpgsign=false', ...a], { cwd: ws });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'fixtures');
  return ws;
}

describe('real Python training runs', () => {
  it('trains a torch MLP on iris: params, metrics, artifacts and git state land in the store', async (t) => {
    if (!needs(t, 'python3 with torch and sklearn', hasMlStack(), 'apt-get install python3-torch python3-sklearn')) return;
    const ws = workspace();
    execFileSync('sh', ['-c', 'echo "# tweak" >> train_iris.py'], { cwd: ws });
    const store = new RunStore(ws);
    const output: string[] = [];
    const handle = await launchRun({
      store,
      script: 'train_iris.py',
      interpreter: SYSTEM_PYTHON,
      params: { lr: 0.05, epochs: 25 },
      experiment: 'iris',
      name: 'mlp-lr0.05',
      helperDir: HELPER_DIR,
      env: NO_PYC,
      tags: { owner: 'tests' },
      onOutput: (text) => void output.push(text),
    });
    const run = await handle.done;
    assert.equal(run.status, 'finished', run.outputTail ?? run.error);
    assert.equal(run.exitCode, 0);
    assert.deepEqual(run.params, { lr: 0.05, epochs: 25, hidden: 16, optimizer: 'adam' });
    assert.deepEqual(run.tags, { owner: 'tests', dataset: 'iris' });
    assert.equal(run.git?.branch, 'main');
    assert.equal(run.git?.dirty, true);
    assert.match(readFileSync(path.join(handle.dir, 'git.patch'), 'utf8'), /\+# tweak/);
    assert.match(output.join(''), /epoch 24 loss/);
    assert.match(readFileSync(path.join(handle.dir, 'stdout.log'), 'utf8'), /epoch 0 loss/);

    const m = await readMetrics(handle.dir);
    assert.equal(m.skippedLines, 0);
    const loss = m.series.get('loss');
    assert.equal(loss?.values.length, 25);
    assert.deepEqual(
      Array.from(loss?.steps ?? []),
      Array.from({ length: 25 }, (_, i) => i),
    );
    assert.ok((loss?.values[24] ?? 9) < (loss?.values[0] ?? 0), 'the loss went down');
    assert.equal(m.series.get('accuracy')?.values.length, 25);
    const valAcc = m.series.get('val_acc');
    assert.equal(valAcc?.steps[0], 24, 'the printed `mlw:` line was captured with its step');
    assert.ok((valAcc?.values[0] ?? 0) > 0.8);
    assert.equal(run.metrics?.loss.count, 25);
    assert.equal(run.metrics?.val_acc.last, valAcc?.values[0]);

    const arts = Object.fromEntries(run.artifacts.map((a) => [a.path, a]));
    assert.deepEqual(Object.keys(arts).sort(), ['model.pt', 'report.json']);
    // `stored`: the run's snapshot (content-addressed, relative to the workspace), the same bytes as its copy
    assert.match(arts['report.json'].stored ?? '', /^\.mlw\/blobs\/sha256\/[0-9a-f]{2}\/[0-9a-f]{62}\.json$/);
    assert.ok(existsSync(path.join(handle.dir, 'artifacts', 'report.json')));
    assert.deepEqual(
      readFileSync(path.join(ws, arts['report.json'].stored ?? '')),
      readFileSync(path.join(handle.dir, 'artifacts', 'report.json')),
    );
    assert.match(arts['model.pt'].stored ?? '', /^\.mlw\/blobs\/.*\.pt$/);
    assert.match(arts['model.pt'].sha256, /^[0-9a-f]{64}$/);
    assert.ok(arts['model.pt'].size > 500);
    assert.equal(execFileSync('git', ['status', '--porcelain'], { cwd: ws, encoding: 'utf8' }).includes('.mlw'), false);
  });

  it('a script that crashes ends failed, with its exit code, output tail and the metrics it logged', async (t) => {
    if (!needs(t, 'python3', hasPython(), 'apt-get install python3')) return;
    const ws = workspace();
    const store = new RunStore(ws);
    const handle = await launchRun({
      store,
      script: 'crash.py',
      interpreter: SYSTEM_PYTHON,
      helperDir: HELPER_DIR,
      env: NO_PYC,
      git: false,
    });
    const run = await handle.done;
    assert.equal(run.status, 'failed');
    assert.equal(run.exitCode, 1);
    assert.match(run.outputTail ?? '', /RuntimeError: boom: simulated training failure/);
    assert.match(run.outputTail ?? '', /line 29 before the crash/);
    assert.equal(run.metrics?.loss.last, 1.5, 'buffered metrics were flushed at exit');
  });

  it('captures `mlw: name=value step=N` lines from a script that does not import the helper', async (t) => {
    if (!needs(t, 'python3', hasPython(), 'apt-get install python3')) return;
    const ws = workspace();
    const store = new RunStore(ws);
    const run = await (await launchRun({ store, script: 'print_metrics.py', interpreter: SYSTEM_PYTHON, git: false })).done;
    assert.equal(run.status, 'finished');
    const m = await readMetrics(store.runDir(run.id));
    assert.deepEqual(Array.from(m.series.get('loss')?.values ?? []), [1, 0.5, 1 / 3, 0.25, 0.2]);
    assert.deepEqual(Array.from(m.series.get('acc')?.steps ?? []), [0, 1, 2, 3, 4]);
    assert.ok(Number.isNaN(m.series.get('final')?.values[0]));
    assert.equal(m.series.size, 3, 'the line with text after `mlw:` is ignored');
  });

  it('stop() mid-run: SIGTERM reaches the helper, which flushes; the run is stopped', async (t) => {
    if (!needs(t, 'python3', hasPython(), 'apt-get install python3')) return;
    const ws = workspace();
    const store = new RunStore(ws);
    const handle = await launchRun({
      store,
      script: 'slow.py',
      interpreter: SYSTEM_PYTHON,
      helperDir: HELPER_DIR,
      env: NO_PYC,
      git: false,
      scanArtifacts: false,
    });
    await waitFor(() => readFileSync(path.join(handle.dir, 'stdout.log'), 'utf8').includes('ready'), 20_000, 'the script to start');
    await new Promise((r) => setTimeout(r, 700));
    const run = await handle.stop(10_000);
    assert.equal(run.status, 'stopped');
    assert.equal(run.signal, 'SIGTERM', 'ended by SIGTERM, not by the SIGKILL fallback');
    const ticks = (await readMetrics(handle.dir)).series.get('tick');
    assert.ok((ticks?.values.length ?? 0) >= 5, `points up to the stop were flushed (${ticks?.values.length})`);
    assert.equal(run.metrics?.tick.count, ticks?.values.length);
  });

  it('a child killed from outside with SIGKILL ends failed, with the signal recorded', async (t) => {
    if (!needs(t, 'python3', hasPython(), 'apt-get install python3')) return;
    const ws = workspace();
    const store = new RunStore(ws);
    const handle = await launchRun({
      store,
      script: 'slow.py',
      interpreter: SYSTEM_PYTHON,
      helperDir: HELPER_DIR,
      env: NO_PYC,
      git: false,
      scanArtifacts: false,
    });
    await waitFor(() => readFileSync(path.join(handle.dir, 'stdout.log'), 'utf8').includes('ready'), 20_000, 'the script to start');
    process.kill(handle.pid as number, 'SIGKILL');
    const run = await handle.done;
    assert.equal(run.status, 'failed');
    assert.equal(run.signal, 'SIGKILL');
    assert.equal(run.exitCode, null);
    assert.ok((run.metrics?.tick.count ?? 0) >= 1, 'what was flushed before the kill is kept');
  });

  it('when the launcher process dies (extension host crash), the run is listed as interrupted', async (t) => {
    if (!needs(t, 'python3', hasPython(), 'apt-get install python3')) return;
    const ws = workspace();
    const code = `
      const { launchRun } = require(${JSON.stringify(compiled('src/core/runs/launchRun.js'))});
      const { RunStore } = require(${JSON.stringify(compiled('src/core/runs/RunStore.js'))});
      launchRun({ store: new RunStore(${JSON.stringify(ws)}), script: 'slow.py', interpreter: ${JSON.stringify(SYSTEM_PYTHON)}, helperDir: ${JSON.stringify(HELPER_DIR)}, env: { PYTHONDONTWRITEBYTECODE: '1' }, git: false, scanArtifacts: false })
        .then((h) => console.log(JSON.stringify({ id: h.id, pid: h.pid })));`;
    const host = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    host.stdout.on('data', (d) => (text += d));
    const { id, pid } = JSON.parse(await waitFor(() => (text.includes('\n') ? text.split('\n')[0] : ''), 20_000, 'the launcher to report'));
    const store = new RunStore(ws);
    await waitFor(async () => ((await readMetrics(store.runDir(id))).series.get('tick')?.values.length ?? 0) > 0, 20_000, 'first metrics');
    assert.equal((await store.listRuns()).find((r) => r.id === id)?.status, 'running');

    host.kill('SIGKILL');
    await new Promise((r) => host.once('exit', r));
    try {
      const listed = (await new RunStore(ws).listRuns()).find((r) => r.id === id);
      assert.equal(listed?.status, 'interrupted');
      assert.match(listed?.error ?? '', /is gone/);
      // The orphaned training process can still be stopped; with no launcher left, the stop is recorded here.
      const stopped = await stopRunById(store, id, { graceMs: 5000 });
      assert.equal(stopped?.status, 'stopped');
      await waitFor(() => !isAlive(pid), 10_000, 'the orphan to exit');
    } finally {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
