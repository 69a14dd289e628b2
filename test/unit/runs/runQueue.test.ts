import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RunQueue } from '../../../src/core/runs/RunQueue';
import { RunStore } from '../../../src/core/runs/RunStore';
import type { LaunchOptions, RunHandle } from '../../../src/core/runs/launchRun';
import type { Run } from '../../../src/core/runs/runTypes';
import { tempDir, waitFor } from './runsTestSupport';

/** A launcher that starts nothing: each "run" ends when the test says so, or when stopped. */
function fakeLauncher() {
  const started: string[] = [];
  const finishers = new Map<string, (status: Run['status']) => void>();
  let running = 0;
  let maxRunning = 0;
  const stopped: string[] = [];
  const launch = async (o: LaunchOptions): Promise<RunHandle> => {
    const id = o.runId as string;
    const run = await o.store.updateRun(id, (r) => {
      r.status = 'running';
      r.startTime = Date.now();
    });
    started.push(id);
    running++;
    maxRunning = Math.max(maxRunning, running);
    let finish!: (status: Run['status']) => void;
    const done = new Promise<Run>((resolve) => {
      finish = (status) => {
        running--;
        void o.store.updateRun(id, (r) => void (r.status = status)).then(resolve);
      };
    });
    finishers.set(id, finish);
    return {
      id,
      dir: o.store.runDir(id),
      run,
      pid: undefined,
      done,
      stop: () => {
        stopped.push(id);
        finish('stopped');
        return done;
      },
    };
  };
  return { launch, started, finishers, stopped, maxRunning: () => maxRunning, running: () => running };
}

describe('RunQueue', () => {
  it('records queued runs at once, starts them in order, never exceeds the parallelism', async () => {
    const store = new RunStore(tempDir());
    const fake = fakeLauncher();
    const changes: string[] = [];
    const queue = new RunQueue({ parallelism: 2, launch: fake.launch, onChange: (id, s) => void changes.push(`${id.slice(-6)}:${s}`) });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await queue.enqueue({ store, command: ['true'], name: `job${i}`, experiment: 'q' }));
    const listed = await store.listRuns();
    assert.equal(listed.length, 6);
    await waitFor(() => fake.started.length === 2, 5000, 'two started');
    assert.deepEqual(fake.started, ids.slice(0, 2));
    assert.deepEqual(queue.queued, ids.slice(2));
    const statuses = new Map((await store.listRuns()).map((r) => [r.id, r.status]));
    assert.equal(statuses.get(ids[5]), 'queued');
    // finish them one by one, always the oldest running: the next in line takes its slot
    for (let i = 0; i < 6; i++) {
      await waitFor(() => fake.finishers.has(ids[i]), 5000, `run ${i} started`);
      assert.ok(fake.running() <= 2);
      fake.finishers.get(ids[i])?.(i === 3 ? 'failed' : 'finished');
      await queue.result(ids[i]);
    }
    await queue.onIdle();
    assert.deepEqual(fake.started, ids, 'FIFO');
    assert.equal(fake.maxRunning(), 2);
    const final = new Map((await store.listRuns()).map((r) => [r.id, r.status]));
    assert.equal(final.get(ids[3]), 'failed');
    assert.equal(final.get(ids[5]), 'finished');
    assert.ok(changes.includes(`${ids[0].slice(-6)}:queued`) && changes.includes(`${ids[0].slice(-6)}:running`));
  });

  it('cancels queued runs (they never start) and stops running ones', async () => {
    const store = new RunStore(tempDir());
    const fake = fakeLauncher();
    const queue = new RunQueue({ parallelism: 1, launch: fake.launch });
    const a = await queue.enqueue({ store, command: ['true'] });
    const b = await queue.enqueue({ store, command: ['true'] });
    const c = await queue.enqueue({ store, command: ['true'] });
    await waitFor(() => fake.started.length === 1);
    await queue.cancel(b);
    assert.equal((await store.readRun(b))?.status, 'stopped');
    assert.match((await store.readRun(b))?.error ?? '', /Cancelled/);
    await queue.cancel(a);
    assert.deepEqual(fake.stopped, [a]);
    await waitFor(() => fake.started.length === 2);
    assert.deepEqual(fake.started, [a, c], 'the cancelled run never started');
    await queue.cancelAll();
    await queue.onIdle();
    assert.equal((await queue.result(c))?.status, 'stopped');
  });

  it('marks a run that cannot start as failed and goes on', async () => {
    const store = new RunStore(tempDir());
    const queue = new RunQueue({ parallelism: 1 });
    const bad = await queue.enqueue({ store, script: 'train.py', interpreter: '/no/such/python3' });
    const good = await queue.enqueue({
      store,
      command: [process.execPath, '-e', 'console.log("mlw: ok=1")'],
      git: false,
      scanArtifacts: false,
    });
    await queue.onIdle();
    const badRun = await store.readRun(bad);
    assert.equal(badRun?.status, 'failed');
    assert.match(badRun?.error ?? '', /Python interpreter not found: \/no\/such\/python3/);
    const goodRun = await store.readRun(good);
    assert.equal(goodRun?.status, 'finished');
    assert.equal(goodRun?.metrics?.ok.last, 1);
  });

  it('queues a sweep as runs of one experiment, with real child processes, one at a time', async () => {
    const store = new RunStore(tempDir());
    const queue = new RunQueue({ parallelism: 1 });
    const code = 'const a = process.argv.slice(1); console.log("mlw: score=" + (a.length * 10) + " step=0"); setTimeout(() => {}, 100);';
    const ids = await queue.enqueueSweep(
      { store, command: [process.execPath, '-e', code, '--'], experiment: 'sweep-test', git: false, scanArtifacts: false },
      { grid: { lr: [0.1, 0.2], depth: [1, 2] } },
    );
    assert.equal(ids.length, 4);
    await queue.onIdle();
    const runs = (await store.listRuns()).sort((x, y) => (x.id < y.id ? -1 : 1));
    assert.equal(runs.length, 4);
    assert.deepEqual(
      runs.map((r) => r.params),
      [
        { lr: 0.1, depth: 1 },
        { lr: 0.1, depth: 2 },
        { lr: 0.2, depth: 1 },
        { lr: 0.2, depth: 2 },
      ],
    );
    for (const r of runs) {
      assert.equal(r.status, 'finished');
      assert.equal(r.experiment, 'sweep-test');
      assert.equal(r.metrics?.score.last, 20, 'two --k=v arguments reached the child');
      assert.ok(r.tags['mlw.sweep']);
      assert.ok(r.command.includes(`--lr=${r.params.lr}`));
    }
    for (let i = 1; i < runs.length; i++)
      assert.ok((runs[i].startTime ?? 0) >= (runs[i - 1].endTime ?? Infinity), 'parallelism 1: no overlap');
  });
});
