// A real one-node SLURM cluster for tests and benchmarks (RECIPES.md §6): a private munged, slurmctld and slurmd.
//
//   const cluster = await startSlurmCluster();
//   cluster.conf       the private slurm.conf: every SLURM command needs SLURM_CONF=cluster.conf
//   cluster.env        { SLURM_CONF } to add to a child's environment
//   cluster.node       the node's name (this machine's short host name); cluster.partition 'debug'
//   await cluster.stop()
//
// Everything is private, so it can run beside another test's cluster or a real one: munged gets its own key and
// socket (slurm.conf's AuthInfo=socket=…), the daemons their own ports, spool, state and log folders under one
// temp folder. KillWait=2 and a 1 s scheduler interval keep tests quick; a job's time limit is enforced within
// slurmctld's 30 s check (shorten a running job's limit with `scontrol update JobId=N EndTime=…`).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './codeServer.mjs';
import { which } from './which.mjs';

/** What is missing for startSlurmCluster, or undefined. For needs(): `needs(t, 'SLURM', !missing, missing)`. */
export function slurmClusterMissing() {
  const missing = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) missing.push('root (slurmd and munged need it)');
  for (const tool of ['munged', 'munge', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'scancel', 'sinfo', 'runuser']) {
    if (!which(tool)) missing.push(tool);
  }
  try {
    execFileSync('id', ['-u', 'munge'], { stdio: 'ignore' });
  } catch {
    missing.push('the munge user');
  }
  if (missing.length === 0) return undefined;
  return `missing ${missing.join(', ')}: apt-get install -y slurmctld slurmd slurm-client munge, and run as root`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function readPid(file) {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

async function waitFor(what, check, timeoutMs, logFile) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (check()) return;
    } catch {
      /* not yet */
    }
    await sleep(100);
  }
  const log = logFile && existsSync(logFile) ? `\n${readFileSync(logFile, 'utf8').slice(-2000)}` : '';
  throw new Error(`${what} not ready within ${timeoutMs} ms${log}`);
}

async function terminate(pidFile) {
  const pid = readPid(pidFile);
  if (!pid || !alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && alive(pid)) await sleep(50);
  if (alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Starts a private one-node cluster; resolves once the node is idle. */
export async function startSlurmCluster() {
  const missing = slurmClusterMissing();
  if (missing) throw new Error(`cannot start a test SLURM cluster: ${missing}`);
  const dir = mkdtempSync(join(tmpdir(), 'mlw-slurm-'));
  chmodSync(dir, 0o755);
  const uid = Number(execFileSync('id', ['-u', 'munge'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'munge'], { encoding: 'utf8' }).trim());
  // munged insists: its key folder private, its socket folder reachable by everyone.
  const keyDir = join(dir, 'munge-key');
  const sockDir = join(dir, 'munge-sock');
  for (const [d, mode] of [
    [keyDir, 0o700],
    [sockDir, 0o755],
  ]) {
    mkdirSync(d);
    chownSync(d, uid, gid);
    chmodSync(d, mode);
  }
  const key = join(keyDir, 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  chownSync(key, uid, gid);
  const socket = join(sockDir, 'munge.sock');
  const state = { dir, pidFiles: [] };
  live.add(state);
  try {
    const m = spawnSync(
      which('runuser'),
      [
        '-u',
        'munge',
        '--',
        which('munged'),
        `--socket=${socket}`,
        `--key-file=${key}`,
        `--pid-file=${join(sockDir, 'munged.pid')}`,
        `--log-file=${join(keyDir, 'munged.log')}`,
        `--seed-file=${join(keyDir, 'munged.seed')}`,
      ],
      { encoding: 'utf8' },
    );
    if (m.status !== 0) throw new Error(`munged failed: ${m.stderr || m.stdout}`);
    state.pidFiles.push(join(sockDir, 'munged.pid'));

    const node = hostname().split('.')[0];
    const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
    for (const d of ['state', 'spool', 'log']) mkdirSync(join(dir, d));
    const conf = join(dir, 'slurm.conf');
    writeFileSync(
      conf,
      [
        'ClusterName=mlwtest',
        `SlurmctldHost=${node}`,
        'SlurmUser=root',
        `SlurmctldPort=${ctldPort}`,
        `SlurmdPort=${slurmdPort}`,
        'AuthType=auth/munge',
        `AuthInfo=socket=${socket}`,
        'CredType=cred/munge',
        `StateSaveLocation=${join(dir, 'state')}`,
        `SlurmdSpoolDir=${join(dir, 'spool')}`,
        `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
        `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
        `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
        `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_Core',
        'ReturnToService=2',
        'JobAcctGatherType=jobacct_gather/none',
        'AccountingStorageType=accounting_storage/none',
        'JobCompType=jobcomp/filetxt',
        `JobCompLoc=${join(dir, 'jobcomp.txt')}`,
        'SchedulerParameters=sched_interval=1',
        'KillWait=2',
        'MinJobAge=300',
        `NodeName=${node} CPUs=2 RealMemory=8000 State=UNKNOWN`,
        `PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
        '',
      ].join('\n'),
    );
    const env = { ...process.env, SLURM_CONF: conf };
    for (const [daemon, pidFile] of [
      ['slurmctld', join(dir, 'slurmctld.pid')],
      ['slurmd', join(dir, 'slurmd.pid')],
    ]) {
      const r = spawnSync(which(daemon), ['-f', conf], { env, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${daemon} failed (${r.status}): ${r.stderr}`);
      state.pidFiles.unshift(pidFile); // stopped before munged
      await waitFor(`${daemon} pid file`, () => existsSync(pidFile), 10_000, join(dir, 'log', `${daemon}.log`));
    }
    await waitFor(
      `node ${node} idle`,
      () => execFileSync(which('sinfo'), ['-h', '-N', '-o', '%t'], { env, encoding: 'utf8', timeout: 5000 }).trim() === 'idle',
      30_000,
      join(dir, 'log', 'slurmctld.log'),
    );
    return {
      dir,
      conf,
      env: { SLURM_CONF: conf },
      node,
      partition: 'debug',
      jobcomp: join(dir, 'jobcomp.txt'),
      async stop() {
        await teardown(state);
      },
    };
  } catch (e) {
    await teardown(state);
    throw e;
  }
}

async function teardown(state) {
  for (const f of state.pidFiles) await terminate(f);
  live.delete(state);
  rmSync(state.dir, { recursive: true, force: true, maxRetries: 3 });
}

const live = new Set();
process.once('exit', () => {
  for (const state of live) {
    for (const f of state.pidFiles) {
      const pid = readPid(f);
      if (pid && alive(pid)) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          /* gone */
        }
      }
    }
  }
});
