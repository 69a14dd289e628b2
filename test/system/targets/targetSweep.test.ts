/**
 * Sweeps on compute targets for real: a one-node SLURM cluster (munged, slurmctld, slurmd) behind a private sshd on
 * loopback, driven through the `mlw` CLI. An 8-trial grid sweep is ONE job array (every trial's job id ARRAYID_i,
 * scontrol lists the 8 tasks of that one array), every trial's metrics come back as the script logged them, and
 * stopping one trial (`scancel ARRAYID_i`) ends it stopped with its data while the other 7
 * finish; Stop on a trial still pending scancels that task alone, and stopAll (Ctrl-C) ends the rest stopped. A grid
 * sweep on an ssh host runs --parallel at a time; a TPE study's trials run as remote runs there, each
 * objective read from its synced metrics, and a pruned remote trial ends "pruned".
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { RunStore } from '../../../src/core/runs/RunStore';
import type { Run } from '../../../src/core/runs/runTypes';
import { stopRunById } from '../../../src/core/runs/stopRunById';
import { findTarget, loadTargets } from '../../../src/core/targets/loadTargets';
import { submitRemoteSweep } from '../../../src/core/targets/submitRemoteSweep';
import { clusterMissing, startCluster, startSsh, trainingWorkspace, waitFor, type TestCluster, type TestSshServer } from './targetHarness';

const MLW = path.resolve(__dirname, '../../../src/cli/mlw.js');
let missing: string | undefined;
let cluster: TestCluster | undefined;
let ssh: TestSshServer | undefined;
let ws: string;
let remoteRoot: string;

/** loss = lr / (step + 1) for --steps steps (trial lr=1 runs long: it is the one the test stops); writes model.pt = its lr. */
const SWEEP_PY = `import argparse, time
import mlw_run
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, required=True)
p.add_argument("--steps", type=int, default=4)
a = p.parse_args()
steps = 600 if a.lr == 1 else a.steps
with open("model.pt", "w") as f:
    f.write("lr=%g" % a.lr)
for i in range(steps):
    mlw_run.log_metric("loss", a.lr / (i + 1), step=i)
    time.sleep(0.1)
print("trial lr=%g done" % a.lr, flush=True)
`;

/** A known objective: (x - 0.5)^2, logged over 3 steps, the last one the value; x far off is pruned by the median rule. */
const OBJECTIVE_PY = `import argparse, time
import mlw_run
p = argparse.ArgumentParser()
p.add_argument("--x", type=float, required=True)
a = p.parse_args()
v = (a.x - 0.5) ** 2
for i in range(3):
    mlw_run.log_metric("loss", v + (2 - i) * 0.01, step=i)
    time.sleep(0.3)
`;

before(async () => {
  missing = await clusterMissing();
  if (missing) return;
  cluster = await startCluster();
  ssh = await startSsh(cluster.env);
  process.env.SLURM_CONF = cluster.conf;
  ws = trainingWorkspace();
  writeFileSync(path.join(ws, 'sweep_train.py'), SWEEP_PY);
  writeFileSync(path.join(ws, 'objective.py'), OBJECTIVE_PY);
  execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=T', 'add', 'sweep_train.py', 'objective.py'], { cwd: ws });
  execFileSync(
    'git',
    ['-c', 'user.email=t@example.invalid', '-c', 'user.name=T', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'sweep'],
    {
      cwd: ws,
    },
  );
  remoteRoot = mkdtempSync(path.join(os.tmpdir(), 'mlw-sweep-remote-'));
  mkdirSync(path.join(ws, '.mlw'), { recursive: true });
  writeFileSync(
    path.join(ws, '.mlw', 'targets.yaml'),
    [
      'targets:',
      `  box: { kind: ssh, host: ${ssh.host}, sshConfig: ${ssh.configFile}, workdir: ${remoteRoot}/box, python: ${SYSTEM_PYTHON} }`,
      `  cluster: { kind: slurm, host: ${ssh.host}, sshConfig: ${ssh.configFile}, workdir: ${remoteRoot}/cluster, python: ${SYSTEM_PYTHON},`,
      `             partition: ${cluster.partition}, cpus: 1, mem: 100M, time: "00:05:00" }`,
      '',
    ].join('\n'),
  );
});

after(async () => {
  await ssh?.stop();
  await cluster?.stop();
  delete process.env.SLURM_CONF;
  if (ws) rmSync(ws, { recursive: true, force: true });
  if (remoteRoot) rmSync(remoteRoot, { recursive: true, force: true });
});

const ready = (t: TestContext) =>
  needs(t, 'a SLURM cluster behind sshd (slurmctld, slurmd, munge, openssh-server, root)', !missing, missing ?? '');

/** `mlw ARGS` in the workspace, started now; settles with its exit code and output (killed after `timeoutMs`). */
function mlw(args: string[], t: TestContext, timeoutMs = 150_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MLW, ...args], { cwd: ws, env: { ...process.env, SLURM_CONF: cluster!.conf } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  t.after(() => {
    clearTimeout(timer);
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

function metricValues(store: RunStore, id: string): Array<{ s: number; v: number }> {
  let text = '';
  try {
    text = readFileSync(path.join(store.runDir(id), 'metrics.jsonl'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { k: string; s: number; v: number })
    .filter((m) => m.k === 'loss')
    .map(({ s, v }) => ({ s, v }));
}

describe('sweeps on compute targets', { concurrency: true }, () => {
  it('an 8-trial grid sweep is one SLURM job array; every trial syncs back what it logged; stopping one trial leaves the other 7 to finish', async (t) => {
    if (!ready(t)) return;
    const store = new RunStore(ws);
    const t0 = Date.now();
    const sweep = mlw(
      [
        'sweep',
        'sweep_train.py',
        '--grid',
        'lr=1,2,3,4,5,6,7,8',
        '--target',
        'cluster',
        '--parallel',
        '2',
        '--experiment',
        'array8',
        '--json',
      ],
      t,
    );
    const trials = await waitFor('8 trials with their job ids', async () => {
      const runs = (await store.listRuns()).filter((r) => r.experiment === 'array8' && r.target?.jobId);
      return runs.length === 8 ? runs : undefined;
    });
    t.diagnostic(`command start -> 8 task ids: ${Date.now() - t0} ms`);
    const arrayId = /^(\d+)_\d+$/.exec(trials[0].target!.jobId!)?.[1];
    assert.ok(arrayId, trials[0].target!.jobId);
    const byLr = new Map(trials.map((r) => [Number(r.params.lr), r]));
    for (let i = 0; i < 8; i++) assert.equal(byLr.get(i + 1)?.target?.jobId, `${arrayId}_${i}`); // trial i is task i
    // One sbatch: the scheduler holds one array job whose 8 tasks are these trials.
    const tasks = execFileSync('scontrol', ['show', 'job', '-o', arrayId!], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((l) => ({ array: /ArrayJobId=(\d+)/.exec(l)?.[1], task: /ArrayTaskId=(\S+)/.exec(l)?.[1] }));
    assert.ok(
      tasks.every((x) => x.array === arrayId),
      JSON.stringify(tasks),
    );
    assert.equal(new Set(trials.map((r) => r.target!.remoteDir.replace(/\/t\d+$/, ''))).size, 1); // one upload, one folder

    // Stop the long trial (task 0) once it has logged, as a user on the cluster would: scancel ARRAYID_0.
    const long = byLr.get(1)!;
    await waitFor('the long trial logging', () => metricValues(store, long.id).length >= 2, 90_000);
    execFileSync('scancel', [`${arrayId}_0`]);
    const r = await sweep;
    assert.equal(r.code, 1, r.stderr.slice(-2000)); // not every trial finished
    assert.match(r.stderr, new RegExp(`submitted to cluster as job array ${arrayId} \\(2 at a time\\)`));
    const final = JSON.parse(r.stdout) as Run[];
    assert.equal(final.length, 8);
    const stopped = final.find((x) => x.id === long.id)!;
    assert.equal(stopped.status, 'stopped', stopped.error);
    assert.equal(stopped.target?.state, 'CANCELLED');
    assert.match(execFileSync('scontrol', ['show', 'job', '-o', `${arrayId}_0`], { encoding: 'utf8' }), /JobState=CANCELLED/);
    assert.ok(metricValues(store, long.id).length >= 2, 'the stopped trial keeps what it logged');
    for (const run of final.filter((x) => x.id !== long.id)) {
      assert.equal(run.status, 'finished', `${run.name}: ${run.error}`);
      const lr = Number(run.params.lr);
      assert.deepEqual(
        metricValues(store, run.id),
        [0, 1, 2, 3].map((s) => ({ s, v: lr / (s + 1) })),
        `trial lr=${lr}: the metrics it logged`,
      );
      assert.equal(run.metrics?.loss.last, lr / 4);
      assert.equal(run.target?.state, 'COMPLETED');
      assert.match(readFileSync(path.join(store.runDir(run.id), 'stdout.log'), 'utf8'), new RegExp(`trial lr=${lr} done`));
      // Each task ran in its own copy of the code: its model file is its own.
      assert.equal(readFileSync(path.join(store.runDir(run.id), 'outputs', 'model.pt'), 'utf8'), `lr=${lr}`);
    }
    t.diagnostic(`sweep of 8 as a job array: ${Date.now() - t0} ms`);
  });

  it("Stop on a trial still PENDING in the array (the Runs view's Stop) scancels that task alone; Ctrl-C (stopAll) ends the rest stopped", async (t) => {
    if (!ready(t)) return;
    const store = new RunStore(ws);
    const target = findTarget(await loadTargets(ws), 'cluster');
    const sweep = await submitRemoteSweep({
      store,
      target,
      script: 'sweep_train.py',
      paramSets: [{ lr: 1 }, { lr: 2 }, { lr: 3 }],
      parallel: 1,
      experiment: 'pending-stop',
      pollMs: 500,
    });
    const runs = (await store.listRuns()).filter((r) => r.experiment === 'pending-stop');
    const third = runs.find((r) => r.params.lr === 3)!;
    assert.equal(third.target?.jobId, `${sweep.arrayJobId}_2`);
    const stopped = await stopRunById(store, third.id);
    assert.equal(stopped?.status, 'stopped', stopped?.error);
    assert.equal(stopped?.target?.state, 'CANCELLED');
    // The first trial (the long one) goes on: wait until it logs, then cancel the sweep.
    const first = runs.find((r) => r.params.lr === 1)!;
    await waitFor('the first trial logging', () => metricValues(store, first.id).length >= 1, 90_000);
    const final = await sweep.stopAll();
    assert.deepEqual(
      final.map((r) => [r.params.lr, r.status, r.target?.state]),
      [
        [1, 'stopped', 'CANCELLED'],
        [2, 'stopped', 'CANCELLED'],
        [3, 'stopped', 'CANCELLED'],
      ],
    );
    assert.ok(metricValues(store, first.id).length >= 1, 'the running trial keeps what it logged');
  });

  it('a grid sweep on an ssh host runs --parallel remote runs at a time, each one synced back', async (t) => {
    if (!ready(t)) return;
    const r = await mlw(['sweep', 'sweep_train.py', '--grid', 'lr=2,3,4', '--target', 'box', '--parallel', '2', '--json'], t);
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    const runs = JSON.parse(r.stdout) as Run[];
    assert.deepEqual(
      runs.map((x) => [x.status, x.params.lr, x.metrics?.loss.count, x.target?.kind]),
      [
        ['finished', 2, 4, 'ssh'],
        ['finished', 3, 4, 'ssh'],
        ['finished', 4, 4, 'ssh'],
      ],
    );
    assert.equal(new Set(runs.map((x) => x.experiment)).size, 1);
    // At most 2 at once: the third started after one of the first two ended.
    const [a, b, c] = runs;
    assert.ok((c.startTime ?? 0) >= Math.min(a.endTime ?? Infinity, b.endTime ?? Infinity) - 50, 'the third waited for a free slot');
  });

  it('a TPE study on an ssh host: each trial a remote run, its objective read from its synced metrics; pruning reaches the remote trial', async (t) => {
    if (!ready(t)) return;
    if (!needs(t, 'Optuna (python3-optuna)', pythonHas('optuna'), 'apt-get install -y python3-optuna')) return;
    const r = await mlw(
      [
        'sweep',
        'objective.py',
        '--method',
        'tpe',
        '--space',
        'x=-3:3',
        '--trials',
        '6',
        '--parallel',
        '2',
        '--objective',
        'loss:min',
        '--prune',
        'median:2:1',
        '--study',
        'remote-tpe',
        '--python',
        SYSTEM_PYTHON,
        '--target',
        'box',
        '--json',
      ],
      t,
    );
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    const out = JSON.parse(r.stdout) as {
      trials: Array<{ trial: number; run: Run; outcome: string; value?: number }>;
      best: { value: number; params: { x: number } };
    };
    assert.equal(out.trials.length, 6);
    for (const tr of out.trials) {
      assert.equal(tr.run.target?.kind, 'ssh');
      assert.equal(tr.run.tags['mlw.target'], 'box');
      assert.ok(['complete', 'pruned'].includes(tr.outcome), `${tr.trial}: ${tr.outcome} ${tr.run.error ?? ''}`);
      const x = Number(tr.run.params.x);
      if (tr.outcome === 'complete') assert.ok(Math.abs((tr.value ?? NaN) - (x - 0.5) ** 2) < 1e-9, `trial ${tr.trial}`);
      else assert.equal(tr.run.status, 'pruned');
    }
    const completed = out.trials.filter((x) => x.outcome === 'complete').map((x) => x.value!);
    assert.equal(out.best.value, Math.min(...completed));
    t.diagnostic(`outcomes: ${out.trials.map((x) => x.outcome).join(' ')}`);
  });
});
