// Goal: the Python helper logs 1,000,000 scalar points in <= 2 s.
// Usage: node bench/runs-python-logging.mjs [points]   (needs `npx tsc -p tsconfig.test.json` first; MLW_PYTHON picks the
// interpreter; MLW_BENCH_STYLE=auto calls mlw.log_metric(name, v) with automatic steps instead of log(name, v, step))
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { readMetrics } = require(path.join(repo, 'out/src/core/runs/readMetrics.js'));
const python = process.env.MLW_PYTHON ?? '/usr/bin/python3';
const points = Number(process.argv[2] ?? 1_000_000);

const code = `
import sys, time, random
t0 = time.perf_counter()
import mlw_run as mlw
rnd = random.Random(1)
values = [rnd.random() for _ in range(1000)]   # realistic 16-17 digit floats
n = ${points}
t1 = time.perf_counter()
if ${JSON.stringify(process.env.MLW_BENCH_STYLE ?? 'explicit')} == "auto":
    for i in range(n):
        mlw.log_metric("loss", values[i % 1000])      # attribute lookup, automatic step
else:
    log = mlw.log_metric
    for i in range(n):
        log("loss", values[i % 1000], i)              # bound name, explicit step
mlw.flush()
t2 = time.perf_counter()
print("%.3f %.3f" % (t2 - t1, t2 - t0))
`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlw-bench-py-'));
try {
  const runs = [];
  for (let i = 0; i < 3; i++) {
    rmSync(path.join(dir, 'metrics.jsonl'), { force: true });
    const wall0 = performance.now();
    const out = execFileSync(python, ['-c', code], {
      env: { ...process.env, MLW_RUN_DIR: dir, PYTHONPATH: path.join(repo, 'python'), PYTHONDONTWRITEBYTECODE: '1' },
      encoding: 'utf8',
    });
    const wall = (performance.now() - wall0) / 1000;
    const [loop, inPython] = out.trim().split(' ').map(Number);
    runs.push({ loop, inPython, wall });
  }
  const m = await readMetrics(dir);
  const best = runs.reduce((a, b) => (b.loop < a.loop ? b : a));
  console.log(`python helper: ${points.toLocaleString('en')} points with ${python} (${process.env.MLW_BENCH_STYLE ?? 'explicit'} style)`);
  for (const r of runs)
    console.log(
      `  log_metric loop + flush ${r.loop.toFixed(3)} s | incl. import ${r.inPython.toFixed(3)} s | process wall ${r.wall.toFixed(3)} s`,
    );
  console.log(
    `  best: ${best.loop.toFixed(3)} s = ${((best.loop / points) * 1e6).toFixed(2)} us/point (goal <= 2 s) ${best.loop <= 2 ? 'PASS' : 'FAIL'}`,
  );
  console.log(
    `  file: ${(statSync(path.join(dir, 'metrics.jsonl')).size / 1e6).toFixed(1)} MB, ${m.points.toLocaleString('en')} points read back, ${m.skippedLines} skipped`,
  );
  if (m.points !== points) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
