/**
 * Printed scalars of remote runs, for real: a script printing `step N loss: X` lines runs as a SLURM job behind a
 * private sshd and, for comparison, with the local launcher; the remote run ends with the same metric points (names,
 * values, steps) as the local one, also when it is detached mid-run and re-attached (as after a restart), and
 * `mlw run --target … --no-capture-scalars` keeps only the `mlw:` line's metric.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { needs, SYSTEM_PYTHON } from '../../support/requires';
import { RunStore } from '../../../src/core/runs/RunStore';
import { launchRun } from '../../../src/core/runs/launchRun';
import { loadTargets, findTarget } from '../../../src/core/targets/loadTargets';
import { submitRemoteRun } from '../../../src/core/targets/submitRemoteRun';
import { attachRemoteRun } from '../../../src/core/targets/attachRemoteRun';
import { clusterMissing, startCluster, startSsh, trainingWorkspace, type TestCluster, type TestSshServer } from './targetHarness';

const MLW = path.resolve(__dirname, '../../../src/cli/mlw.js');
const execFileP = promisify(execFile);

/** Scalars on stdout and stderr, a progress bar, an `mlw:` line, automatic steps and a last line without newline. */
const PRINTS_PY = `import sys, time
for step in range(8):
    print(f"step {step} loss: {1 / (step + 1):.4f} acc={step / 10}", flush=True)
    print(f"lr: {0.1 * 0.5 ** step}", flush=True)
    print(f"val_acc={step / 20}", file=sys.stderr, flush=True)
    print(f" 40%|####      | 4/10 [00:01<00:02, 3.1it/s]", flush=True)
    time.sleep(0.3)
print("mlw: extra=7 step=2", flush=True)
print("final_loss=0.01", end="", flush=True)
`;

let missing: string | undefined;
let cluster: TestCluster | undefined;
let ssh: TestSshServer | undefined;
let ws: string;
let remoteRoot: string;

before(async () => {
  missing = await clusterMissing();
  if (missing) return;
  cluster = await startCluster();
  ssh = await startSsh(cluster.env);
  process.env.SLURM_CONF = cluster.conf;
  ws = trainingWorkspace();
  writeFileSync(path.join(ws, 'prints.py'), PRINTS_PY);
  const git = ['-c', 'user.email=t@example.invalid', '-c', 'user.name=T', '-c', 'commit.gpgsign=false'];
  execFileSync('git', [...git, 'add', 'prints.py'], { cwd: ws });
  execFileSync('git', [...git, 'commit', '-q', '-m', 'prints', '--', 'prints.py'], { cwd: ws });
  remoteRoot = mkdtempSync(path.join(os.tmpdir(), 'mlw-scalars-remote-'));
  mkdirSync(path.join(ws, '.mlw'), { recursive: true });
  writeFileSync(
    path.join(ws, '.mlw', 'targets.yaml'),
    [
      'targets:',
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

async function cluster1() {
  const parsed = await loadTargets(ws);
  assert.deepEqual(parsed.errors, []);
  return findTarget(parsed, 'cluster');
}

/** The run's metric points as `name@step=value`, sorted (times left out: they differ between two runs). */
function points(store: RunStore, id: string): string[] {
  const file = path.join(store.runDir(id), 'metrics.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { k: string; v: number; s: number })
    .map((p) => `${p.k}@${p.s}=${p.v}`)
    .sort();
}

let localPoints: Promise<string[]> | undefined;
/** The same script run by the local launcher, once. */
function local(): Promise<string[]> {
  localPoints ??= (async () => {
    const store = new RunStore(ws);
    const handle = await launchRun({ store, script: 'prints.py', interpreter: SYSTEM_PYTHON, cwd: ws, systemMetricsInterval: 0 });
    const run = await handle.done;
    assert.equal(run.status, 'finished', run.error);
    return points(store, run.id);
  })();
  return localPoints;
}

describe('printed scalars of remote runs', { concurrency: true }, () => {
  it('a SLURM run gives the same metric points as a local run of the same script', async (t) => {
    if (!ready(t)) return;
    const store = new RunStore(ws);
    const handle = await submitRemoteRun({ store, target: await cluster1(), script: 'prints.py', pollMs: 500 });
    const run = await handle.done;
    assert.equal(run.status, 'finished', run.error);
    const expected = await local();
    assert.ok(expected.includes('loss@3=0.25') && expected.includes('val_acc@0=0') && expected.includes('extra@2=7'), expected.join(' '));
    assert.ok(expected.includes('final_loss@0=0.01'), expected.join(' '));
    assert.deepEqual(points(store, run.id), expected);
    assert.equal(run.metrics?.loss.count, 8);
  });

  it('detached mid-run and re-attached (as after a restart), the run still ends with exactly the local points', async (t) => {
    if (!ready(t)) return;
    const store = new RunStore(ws);
    const target = await cluster1();
    let seen = '';
    const first = await submitRemoteRun({ store, target, script: 'prints.py', pollMs: 500, onOutput: (s) => (seen += s) });
    const deadline = Date.now() + 60_000;
    while (!/step 2 /.test(seen)) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the run to print step 2');
      await new Promise((r) => setTimeout(r, 100));
    }
    await first.detach();
    await new Promise((r) => setTimeout(r, 1000)); // it prints on while nobody follows
    const second = await attachRemoteRun({ store, runId: first.id, target, pollMs: 500 });
    const run = await second.done;
    assert.equal(run.status, 'finished', run.error);
    assert.deepEqual(points(store, run.id), await local());
  });

  it('mlw run --target --no-capture-scalars records no printed scalar, only the mlw: line', async (t) => {
    if (!ready(t)) return;
    const r = await execFileP(process.execPath, [MLW, 'run', 'prints.py', '--target', 'cluster', '--no-capture-scalars'], {
      cwd: ws,
      env: { ...process.env, SLURM_CONF: cluster!.conf },
      encoding: 'utf8',
      timeout: 120_000,
    });
    const id = /mlw: run (\S+) /.exec(r.stderr)?.[1];
    assert.ok(id, r.stderr);
    const store = new RunStore(ws);
    assert.equal((await store.readRun(id))?.status, 'finished');
    assert.deepEqual(points(store, id), ['extra@2=7']);
  });
});
