// Goal: sampling a run's system metrics costs well under 1 % of a core at the default 5 s interval,
// with a 50-process tree (a training script and its workers).
// A /usr/bin/python3 parent forks 49 sleeping children (50 processes in the tree); a SystemMetricsSampler on it
// samples every 100 ms for a few seconds, and this process's CPU time (process.cpuUsage: user + system, so the
// /proc reads, parsing and timers count) is divided by the samples taken. Then the same with the fake nvidia-smi
// (test/fixtures/fake-nvidia-smi, a stand-in for a GPU) on PATH, which adds one nvidia-smi process per sample.
// Usage: npx tsc -p tsconfig.test.json && node bench/runs-system-metrics.mjs [seconds per round] [rounds]
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { SystemMetricsSampler } = require(path.join(repo, 'out/src/core/runs/systemMetrics/SystemMetricsSampler.js'));
const { readProcessTree } = require(path.join(repo, 'out/src/core/runs/systemMetrics/readProcessTree.js'));
const python = process.env.MLW_PYTHON ?? '/usr/bin/python3';
const seconds = Number(process.argv[2] ?? 4);
const rounds = Number(process.argv[3] ?? 3);
const INTERVAL_MS = 100;

const tree = spawn(
  python,
  [
    '-c',
    'import os, time\nfor _ in range(49):\n    if os.fork() == 0:\n        time.sleep(600); os._exit(0)\nprint("ready", flush=True)\ntime.sleep(600)',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'], detached: true },
);
await new Promise((resolve) => tree.stdout.once('data', resolve));
const members = await readProcessTree(tree.pid);
const onMachine = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;

async function round(env) {
  let samples = 0;
  const warnings = [];
  const sampler = SystemMetricsSampler.start({
    rootPid: tree.pid,
    intervalMs: INTERVAL_MS,
    write: () => void samples++,
    warn: (m) => warnings.push(m),
    env,
  });
  await new Promise((r) => setTimeout(r, 300)); // the baseline and nvidia-smi lookup out of the way
  const before = process.cpuUsage();
  const from = samples;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(before);
  const n = samples - from;
  sampler.stop();
  if (warnings.length) throw new Error(warnings.join('\n'));
  return { n, msPerSample: (cpu.user + cpu.system) / 1000 / n };
}

const plain = { ...process.env };
const gpu = { ...process.env, PATH: `${path.join(repo, 'test/fixtures/fake-nvidia-smi')}${path.delimiter}${process.env.PATH}` };
const results = { plain: [], gpu: [] };
for (let i = 0; i < rounds; i++) {
  results.plain.push(await round(plain));
  results.gpu.push(await round(gpu));
}
process.kill(-tree.pid, 'SIGKILL');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`process tree: ${members.length} processes; ${onMachine} processes on the machine (/proc is scanned for parent links)`);
for (const [name, rs] of Object.entries(results)) {
  const ms = median(rs.map((r) => r.msPerSample));
  console.log(
    `${name === 'plain' ? 'no GPU          ' : 'fake nvidia-smi '}: ${ms.toFixed(2)} ms CPU per sample (median of ${rs.length} rounds, ` +
      `${rs.map((r) => r.n).join('/')} samples) -> ${((ms / 5000) * 100).toFixed(3)} % of a core at a 5 s interval`,
  );
}
