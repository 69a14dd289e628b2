// Remote targets on a real one-node SLURM cluster behind a loopback sshd (test/harness): submit -> running latency
// (against sbatch's own), metrics lag over the connection, and sync-back throughput of a 100 MB run folder.
// Needs root and the apt packages of .ci/run. Run by hand: npm run build && npx tsc -p tsconfig.test.json && node bench/remote-targets.mjs
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSlurmCluster } from '../test/harness/slurmCluster.mjs';
import { startSshServer } from '../test/harness/sshServer.mjs';

const require = createRequire(import.meta.url);
const { RunStore } = require('../out/src/core/runs/RunStore.js');
const { submitRemoteRun } = require('../out/src/core/targets/submitRemoteRun.js');
const { parseTargetsYaml } = require('../out/src/core/targets/parseTargets.js');
const { RemoteFollower } = require('../out/src/core/targets/RemoteFollower.js');
const { SshShell } = require('../out/src/core/targets/hostShell.js');
const { syncBack } = require('../out/src/core/targets/syncBack.js');
const { trainingWorkspace } = require('../out/test/system/targets/targetHarness.js');

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cluster = await startSlurmCluster();
const ssh = await startSshServer({ env: cluster.env });
process.env.SLURM_CONF = cluster.conf;
const remote = mkdtempSync(join(tmpdir(), 'mlw-bench-remote-'));
const ws = trainingWorkspace();
try {
  const target = parseTargetsYaml(
    `targets:\n  c: { kind: slurm, host: ${ssh.host}, sshConfig: ${ssh.configFile}, workdir: ${remote}/runs, python: /usr/bin/python3, cpus: 1 }\n`,
    'bench',
  ).targets[0];

  // 1. sbatch's own latency: submit -> RUNNING seen by squeue, polled every 20 ms.
  writeFileSync(join(remote, 'job.sh'), '#!/bin/bash\nsleep 1\n');
  const own = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const id = execFileSync('sbatch', ['--parsable', '-o', '/dev/null', join(remote, 'job.sh')], { encoding: 'utf8' }).trim();
    while (execFileSync('squeue', ['-h', '-j', id, '-o', '%T'], { encoding: 'utf8' }).trim() !== 'RUNNING') await sleep(20);
    own.push(performance.now() - t0);
    await sleep(1200);
  }
  // 2. Through mlw: git archive + patch + helper shipped over ssh, sbatch on the login node, state polled every 250 ms.
  const store = new RunStore(ws);
  const ours = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    let running;
    const h = await submitRemoteRun({
      store,
      target,
      script: 'train.py',
      params: { steps: 2, sleep: 0.1 },
      pollMs: 250,
      onState: (s) => {
        if (!running && (s.state === 'RUNNING' || s.state === 'COMPLETED')) running = performance.now() - t0;
      },
    });
    await h.done;
    ours.push(running ?? NaN);
  }
  console.log(
    `submit -> running: sbatch alone median ${median(own).toFixed(0)} ms; mlw over ssh (ship code, sbatch, poll) median ${median(ours).toFixed(0)} ms; overhead ${(median(ours) - median(own)).toFixed(0)} ms (goal <= 3000 ms)`,
  );

  // 3. Metrics lag: a line appended on the "host" reaches the local copy over ssh (tail -F).
  const shell = new SshShell({ host: ssh.host, sshConfig: ssh.configFile }, ws);
  const remoteFile = join(remote, 'metrics.jsonl');
  const localFile = join(remote, 'local-metrics.jsonl');
  writeFileSync(remoteFile, '');
  const lags = [];
  const f = new RemoteFollower(shell, remoteFile, localFile, (text) => {
    for (const l of text.split('\n').filter(Boolean)) lags.push(Date.now() - JSON.parse(l).t);
  }).start();
  await sleep(1000);
  for (let i = 0; i < 50; i++) {
    appendFileSync(remoteFile, JSON.stringify({ k: 'loss', v: 1 / (i + 1), s: i, t: Date.now() }) + '\n');
    await sleep(100);
  }
  await sleep(1500);
  await f.close();
  console.log(`metrics lag over ssh: ${lags.length} points, median ${median(lags)} ms, max ${Math.max(...lags)} ms (goal <= 2000 ms)`);

  // 4. Sync back a 100 MB run folder (rsync over the same ssh options), then again with nothing changed.
  const big = join(remote, 'bigrun');
  execFileSync('mkdir', ['-p', big]);
  execFileSync('dd', ['if=/dev/urandom', `of=${join(big, 'weights.bin')}`, 'bs=1M', 'count=90'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) writeFileSync(join(big, `f${i}.json`), JSON.stringify({ i, pad: 'x'.repeat(100_000) }));
  const dest = join(remote, 'back');
  let t0 = performance.now();
  const first = await syncBack(shell, big, dest);
  const s1 = (performance.now() - t0) / 1000;
  t0 = performance.now();
  await syncBack(shell, big, dest);
  const s2 = (performance.now() - t0) / 1000;
  const mb = Number(execFileSync('du', ['-sm', big], { encoding: 'utf8' }).split('\t')[0]);
  console.log(
    `sync back ${mb} MB with ${first.method}: ${s1.toFixed(2)} s = ${(mb / s1).toFixed(0)} MB/s (goal >= 50 MB/s); again with nothing changed: ${s2.toFixed(2)} s (goal <= 0.5 s)`,
  );
} finally {
  await ssh.stop();
  await cluster.stop();
  rmSync(remote, { recursive: true, force: true });
  rmSync(ws, { recursive: true, force: true });
}
