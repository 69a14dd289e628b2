// A sweep as one SLURM job array on a real one-node cluster behind a loopback sshd (test/harness): the time from
// `mlw sweep … --target cluster` starting to all N task ids known (every trial's run.json holding ARRAYID_i), for
// N = 100 (the goal: ≤ 5 s) and N = 1, interleaved; then Ctrl-C cancels the whole array (one scancel) and the time
// to the command's exit. Needs root and the apt packages of .ci/run.
// Run by hand: npm run build && npx tsc -p tsconfig.test.json && node bench/slurm-array.mjs [rounds]
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSlurmCluster } from '../test/harness/slurmCluster.mjs';
import { startSshServer } from '../test/harness/sshServer.mjs';

const require = createRequire(import.meta.url);
const { trainingWorkspace } = require('../out/test/system/targets/targetHarness.js');
const MLW = new URL('../out/src/cli/mlw.js', import.meta.url).pathname;
const rounds = Number(process.argv[2] ?? 3);
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const cluster = await startSlurmCluster();
const ssh = await startSshServer({ env: cluster.env });
const remote = mkdtempSync(join(tmpdir(), 'mlw-bench-array-'));
const ws = trainingWorkspace();
const env = { ...process.env, SLURM_CONF: cluster.conf };

/** Trials of `experiment` whose run.json holds their task's job id (with `status`: only those in that status). */
function withIds(experiment, status) {
  const dir = join(ws, '.mlw', 'runs');
  let n = 0;
  for (const id of (() => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  })()) {
    try {
      const run = JSON.parse(readFileSync(join(dir, id, 'run.json'), 'utf8'));
      if (run.experiment === experiment && /^\d+_\d+$/.test(run.target?.jobId ?? '') && (!status || run.status === status)) n++;
    } catch {
      /* being written */
    }
  }
  return n;
}

/** One sweep of n trials: ms to all task ids known (run.json), ms the command says sbatch took, ms Ctrl-C -> exit. */
async function sweep(n, tag) {
  const experiment = `bench-${tag}`;
  const values = Array.from({ length: n }, (_, i) => i + 1).join(',');
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [MLW, 'sweep', 'train.py', '--grid', `steps=${values}`, '--target', 'cluster', '--parallel', '2', '--experiment', experiment],
    { cwd: ws, env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((r) => child.once('close', r));
  while (withIds(experiment) < n) {
    if (child.exitCode !== null) throw new Error(`mlw sweep exited: ${stderr}`);
    await sleep(10);
  }
  const ids = performance.now() - t0;
  const t1 = performance.now();
  child.kill('SIGINT');
  await exited;
  const cancel = performance.now() - t1;
  const said = Number(/as job array \d+ \(\d+ at a time\) in (\d+) ms/.exec(stderr)?.[1] ?? NaN);
  const stopped = withIds(experiment, 'stopped');
  if (stopped !== n) throw new Error(`after Ctrl-C ${stopped} of ${n} trials are recorded stopped`);
  const left = execFileSync('squeue', ['-h', '-r', '-o', '%i %T'], { env, encoding: 'utf8' }).trim();
  return { ids, said, cancel, left };
}

try {
  mkdirSync(join(ws, '.mlw'), { recursive: true });
  writeFileSync(
    join(ws, '.mlw', 'targets.yaml'),
    `targets:\n  cluster: { kind: slurm, host: ${ssh.host}, sshConfig: ${ssh.configFile}, workdir: ${remote}/runs, python: /usr/bin/python3, cpus: 1 }\n`,
  );
  const a = [];
  const b = [];
  for (let r = 0; r < rounds; r++) {
    a.push(await sweep(100, `100-${r}`));
    b.push(await sweep(1, `1-${r}`));
    console.log(
      `round ${r + 1}: 100 trials ids in ${a[r].ids.toFixed(0)} ms (sbatch reply ${a[r].said} ms, Ctrl-C -> exit ${a[r].cancel.toFixed(0)} ms${a[r].left ? `, left in squeue: ${a[r].left.split('\n').length}` : ''}); 1 trial ids in ${b[r].ids.toFixed(0)} ms`,
    );
  }
  const m100 = median(a.map((x) => x.ids));
  const m1 = median(b.map((x) => x.ids));
  console.log(`\n100-trial job array, command start -> all 100 task ids known: median ${m100.toFixed(0)} ms (goal ≤ 5000 ms)`);
  console.log(`1-trial array, same measure: median ${m1.toFixed(0)} ms; 100 vs 1: ${(m100 / m1).toFixed(2)}x`);
  console.log(
    `Ctrl-C of the 100-trial sweep -> command exited (every trial recorded stopped): median ${median(a.map((x) => x.cancel)).toFixed(0)} ms`,
  );
} finally {
  await ssh.stop();
  await cluster.stop();
  rmSync(ws, { recursive: true, force: true });
  rmSync(remote, { recursive: true, force: true });
}
