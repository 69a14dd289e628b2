/**
 * Remote targets for real: a one-node SLURM cluster (munged, slurmctld, slurmd) behind a private sshd on loopback,
 * reached through the system OpenSSH client with host keys checked. A run on an ssh host, a SLURM job submitted over
 * ssh with live metrics, Stop (scancel), a job that hits its time limit (local sbatch), and sshd killed mid-run and
 * restarted (the run finishes and syncs, no metric lost). The tests run side by side (~40 s, the time limit's).
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { needs, SYSTEM_PYTHON } from '../../support/requires';
import { RunStore } from '../../../src/core/runs/RunStore';
import { loadTargets, findTarget } from '../../../src/core/targets/loadTargets';
import { submitRemoteRun } from '../../../src/core/targets/submitRemoteRun';
import { attachRemoteRun } from '../../../src/core/targets/attachRemoteRun';
import type { Run } from '../../../src/core/runs/runTypes';
import { clusterMissing, startCluster, startSsh, trainingWorkspace, waitFor, type TestCluster, type TestSshServer } from './targetHarness';

const MLW = path.resolve(__dirname, '../../../src/cli/mlw.js');
const execFileP = promisify(execFile);
let missing: string | undefined;
let cluster: TestCluster | undefined;
let ssh: TestSshServer | undefined;
/** The sshd the drop test kills: its own, so that the other tests keep their link. */
let flaky: TestSshServer | undefined;
let ws: string;
let remoteRoot: string;

before(async () => {
  missing = await clusterMissing();
  if (missing) return;
  cluster = await startCluster();
  ssh = await startSsh(cluster.env);
  flaky = await startSsh(cluster.env);
  process.env.SLURM_CONF = cluster.conf; // the local-slurm target's sbatch, and scontrol below
  ws = trainingWorkspace();
  remoteRoot = mkdtempSync(path.join(os.tmpdir(), 'mlw-targets-remote-'));
  mkdirSync(path.join(ws, '.mlw'), { recursive: true });
  const common = `python: ${SYSTEM_PYTHON}`;
  writeFileSync(
    path.join(ws, '.mlw', 'targets.yaml'),
    [
      'targets:',
      `  box: { kind: ssh, host: ${ssh.host}, sshConfig: ${ssh.configFile}, workdir: ${remoteRoot}/box, ${common} }`,
      `  flaky-box: { kind: ssh, host: ${flaky.host}, sshConfig: ${flaky.configFile}, workdir: ${remoteRoot}/flaky, ${common} }`,
      `  cluster: { kind: slurm, host: ${ssh.host}, sshConfig: ${ssh.configFile}, workdir: ${remoteRoot}/cluster, ${common},`,
      `             partition: ${cluster.partition}, cpus: 1, mem: 100M, time: "00:05:00" }`,
      `  local-slurm: { kind: slurm, workdir: ${remoteRoot}/local, ${common}, time: "1" }`,
      '',
    ].join('\n'),
  );
});

after(async () => {
  await ssh?.stop();
  await flaky?.stop();
  await cluster?.stop();
  delete process.env.SLURM_CONF;
  if (ws) rmSync(ws, { recursive: true, force: true });
  if (remoteRoot) rmSync(remoteRoot, { recursive: true, force: true });
});

const ready = (t: TestContext) =>
  needs(t, 'a SLURM cluster behind sshd (slurmctld, slurmd, munge, openssh-server, root)', !missing, missing ?? '');

async function target(name: string) {
  const parsed = await loadTargets(ws);
  assert.deepEqual(parsed.errors, []);
  return findTarget(parsed, name);
}

function metricLines(store: RunStore, id: string): number {
  const file = path.join(store.runDir(id), 'metrics.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
}

describe('runs on remote targets', { concurrency: true }, () => {
  it('an ssh target runs the recorded commit plus the dirty patch in its own folder, metrics live, outputs synced and snapshotted', async (t) => {
    if (!ready(t)) return;
    const store = new RunStore(ws);
    const out: string[] = [];
    const handle = await submitRemoteRun({
      store,
      target: await target('box'),
      script: 'train.py',
      params: { steps: 12, sleep: 0.25 },
      onOutput: (s) => out.push(s),
      pollMs: 500,
    });
    await waitFor(
      'a metric while the run runs',
      async () => metricLines(store, handle.id) > 0 && (await store.readRawRun(handle.id))?.status === 'running',
      30_000,
    );
    const run = await handle.done;
    assert.equal(run.status, 'finished', run.error);
    assert.equal(run.exitCode, 0);
    assert.equal(run.target?.kind, 'ssh');
    assert.ok(run.target?.remoteDir.startsWith(path.join(remoteRoot, 'box', run.id)), run.target?.remoteDir);
    assert.match(out.join(''), /mark=patched/); // the patch travelled, not just the commit
    assert.equal(run.git?.dirty, true);
    assert.equal(metricLines(store, run.id), 12);
    assert.equal(run.metrics?.loss.count, 12);
    const model = run.artifacts.find((a) => a.path === 'model.pt');
    assert.ok(model?.stored, JSON.stringify(run.artifacts));
    assert.equal(statSync(path.join(ws, model.stored)).size, 700);
    assert.match(readFileSync(path.join(handle.dir, 'stdout.log'), 'utf8'), /done/);
  });

  it('a SLURM job over ssh: pending then running on the node, metrics arrive while it runs, the run folder synced back', async (t) => {
    if (!ready(t)) return;
    const store = new RunStore(ws);
    const states: string[] = [];
    const t0 = Date.now();
    const handle = await submitRemoteRun({
      store,
      target: await target('cluster'),
      script: 'train.py',
      params: { steps: 10, sleep: 0.3 },
      onState: (s) => states.push(s.state ?? ''),
      pollMs: 500,
    });
    assert.match(handle.run.target?.jobId ?? '', /^\d+$/);
    const first = await waitFor('the first metric', () => metricLines(store, handle.id) > 0 && Date.now(), 30_000);
    const running = await store.readRawRun(handle.id);
    const run = await handle.done;
    assert.equal(run.status, 'finished', run.error);
    assert.ok(first < (run.endTime ?? 0), 'metrics arrived before the run ended');
    assert.equal(running?.target?.node ?? run.target?.node, cluster!.node);
    assert.ok(states.includes('RUNNING') && states.at(-1) === 'COMPLETED', states.join(','));
    assert.equal(metricLines(store, run.id), 10);
    assert.ok(existsSync(path.join(handle.dir, 'logged.jsonl')) || existsSync(path.join(handle.dir, 'stdout.log')));
    assert.ok(existsSync(path.join(handle.dir, `slurm-${run.target?.jobId}.out`)), "the job's own output file came back");
    t.diagnostic(`submit -> finished: ${Date.now() - t0} ms`);
  });

  it('Stop cancels the SLURM job (scancel) and the run ends stopped', async (t) => {
    if (!ready(t)) return;
    const store = new RunStore(ws);
    const handle = await submitRemoteRun({
      store,
      target: await target('cluster'),
      script: 'train.py',
      params: { steps: 600, sleep: 0.1 },
      pollMs: 500,
    });
    await waitFor('a metric', () => metricLines(store, handle.id) > 0, 40_000);
    const run = await handle.stop();
    assert.equal(run.status, 'stopped', run.error);
    assert.equal(run.target?.state, 'CANCELLED');
    const job = execFileSync('scontrol', ['show', 'job', '-o', run.target!.jobId!], { encoding: 'utf8' });
    assert.match(job, /JobState=CANCELLED/);
  });

  it('a job that exceeds its time limit ends failed with that reason (sbatch on this machine)', async (t) => {
    if (!ready(t)) return;
    const store = new RunStore(ws);
    const handle = await submitRemoteRun({
      store,
      target: await target('local-slurm'),
      script: 'train.py',
      params: { steps: 6000, sleep: 0.05 },
      pollMs: 500,
    });
    assert.equal(handle.run.target?.host, 'localhost');
    await waitFor('the job running', async () => (await store.readRawRun(handle.id))?.target?.state === 'RUNNING', 40_000);
    // SLURM's limits are whole minutes: as an administrator would, bring this job's end forward to now + 1 s.
    const end = new Date(Date.now() + 1000 - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
    execFileSync('scontrol', ['update', `JobId=${handle.run.target!.jobId}`, `EndTime=${end}`]);
    const run = await handle.done;
    assert.equal(run.status, 'failed');
    assert.match(run.error ?? '', /time limit/);
    assert.equal(run.target?.state, 'TIMEOUT');
    assert.ok((run.metrics?.loss.count ?? 0) > 0);
  });

  it('sshd killed mid-run and restarted: the run shows unreachable, goes on, finishes and syncs with no metric lost', async (t) => {
    if (!ready(t)) return;
    const store = new RunStore(ws);
    const handle = await submitRemoteRun({
      store,
      target: await target('flaky-box'),
      script: 'train.py',
      params: { steps: 40, sleep: 0.2 },
      pollMs: 500,
    });
    await waitFor('two metrics', () => metricLines(store, handle.id) >= 2, 30_000);
    await flaky!.drop();
    const down: Run = await waitFor(
      'unreachable since',
      async () => {
        const r = await store.readRawRun(handle.id);
        return r?.target?.unreachableSince ? r : undefined;
      },
      30_000,
    );
    assert.equal(down.status, 'running'); // never failed because the link is down
    await new Promise((r) => setTimeout(r, 3000));
    await flaky!.start();
    const run = await handle.done;
    assert.equal(run.status, 'finished', run.error);
    assert.equal(run.target?.unreachableSince, undefined);
    const lines = readFileSync(path.join(handle.dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean);
    const steps = lines.map((l) => (JSON.parse(l) as { s: number }).s);
    assert.deepEqual(
      steps,
      Array.from({ length: 40 }, (_, i) => i),
    );
    assert.match(readFileSync(path.join(handle.dir, 'stdout.log'), 'utf8'), /mark=patched[\s\S]*done/);
  });

  it('re-attaches to a running job after its follower is gone, and catches up without doubling a line', async (t) => {
    if (!ready(t)) return;
    const store = new RunStore(ws);
    const first = await submitRemoteRun({
      store,
      target: await target('box'),
      script: 'train.py',
      params: { steps: 150, sleep: 0.1 },
      pollMs: 500,
    });
    await waitFor('a metric', () => metricLines(store, first.id) >= 1, 30_000);
    await first.detach(); // as when VS Code closes: the job goes on
    const detached = await store.readRun(first.id);
    assert.equal(detached?.status, 'running', detached?.error);
    await new Promise((r) => setTimeout(r, 1000));
    const again = await attachRemoteRun({ store, runId: first.id, target: await target('box'), pollMs: 500 });
    const run = await again.done;
    assert.equal(run.status, 'finished', run.error);
    const steps = readFileSync(path.join(again.dir, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { s: number }).s);
    assert.deepEqual(
      steps,
      Array.from({ length: 150 }, (_, i) => i),
    );
  });

  it('mlw targets list and check, and mlw run --target over ssh', async (t) => {
    if (!ready(t)) return;
    const mlw = (...args: string[]) =>
      execFileP(process.execPath, [MLW, ...args], { cwd: ws, env: { ...process.env, SLURM_CONF: cluster!.conf }, encoding: 'utf8' });
    const list = await mlw('targets', 'list');
    assert.match(list.stdout, /^box\s+ssh\s+mlw-login/m);
    assert.match(list.stdout, /^cluster\s+slurm\s+mlw-login\s+\(partition debug, cpus 1, mem 100M, time 00:05:00\)/m);
    const check = await mlw('targets', 'check', 'cluster');
    assert.match(check.stdout, /^ok\s+reachable\s+mlw-login answered/m);
    assert.match(check.stdout, /^ok\s+interpreter\s+\S+python3 \(Python 3\.\d+/m);
    assert.match(check.stdout, /^ok\s+scheduler\s+SLURM: debug\*? up 1 (idle|mix|alloc)/m);
    assert.match(check.stdout, /^ok\s+gpus\s+no GPUs/m);
    const bad = await mlw('targets', 'check', 'nope').catch((e: { code: number; stderr: string }) => e);
    assert.equal((bad as { code: number }).code, 2);
    const run = await mlw('run', 'train.py', '--target', 'cluster', '--param', 'steps=3', '--param', 'sleep=0.1', '--json');
    const final = JSON.parse(run.stdout) as Run;
    assert.equal(final.status, 'finished', run.stderr);
    assert.equal(final.metrics?.loss.count, 3);
    assert.match(run.stderr, /submitted: cluster: job \d+ PENDING/);
    assert.match(run.stderr, /cluster: job \d+ (RUNNING|COMPLETED)/);
    assert.match(run.stderr, /mark=patched/);
  });
});
