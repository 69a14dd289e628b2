// Goal: capturing printed scalars costs <= 5 % of wall time on a script printing 100,000 lines.
// A /usr/bin/python3 script prints 100,000 lines (a third scalars in several formats, the rest tqdm `\r`
// bars, timestamps, prose, dict noise) and is launched through launchRun with capture on and off,
// interleaved, for several rounds, in two forms: printing flat out (nothing else, about a million
// lines a second: the worst case) and printing between a little work (WORK Python additions per line,
// about 60,000 lines a second here: still far chattier than a training loop). Also times ScalarCapture
// alone on the same output, in process.
// Usage: npx tsc -p tsconfig.test.json && node bench/runs-printed-scalars.mjs [rounds] [lines]   (MLW_PYTHON picks the interpreter)
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { launchRun } = require(path.join(repo, 'out/src/core/runs/launchRun.js'));
const { RunStore } = require(path.join(repo, 'out/src/core/runs/RunStore.js'));
const { readMetrics } = require(path.join(repo, 'out/src/core/runs/readMetrics.js'));
const { ScalarCapture } = require(path.join(repo, 'out/src/core/runs/ScalarCapture.js'));
const python = process.env.MLW_PYTHON ?? '/usr/bin/python3';
const rounds = Math.max(5, Number(process.argv[2] ?? 7));
const lines = Number(process.argv[3] ?? 100_000);

const WORK = 3000;
const script = `
import sys
n = ${lines}
work = int(sys.argv[1]) if len(sys.argv) > 1 else 0
out = sys.stdout.write
for i in range(n):
    if work: sum(range(work))
    k = i % 12
    e = i // 12
    if k == 0: out("epoch %d loss: %.4f acc=%.3f\\n" % (e, 1.0 / (e + 1), 0.5 + (e % 50) / 100))
    elif k == 1: out("{'loss': %.5f, 'grad_norm': %.3f, 'learning_rate': 5e-05, 'epoch': %.2f}\\n" % (0.7 / (e + 1), 1.5, e / 10))
    elif k == 2: out("[%d]\\ttrain-logloss:%.5f\\teval-logloss:%.5f\\n" % (e, 0.6, 0.61))
    elif k == 3: out("step=%d lr=1e-3 val/loss=%.4f\\n" % (i, 0.3))
    elif k in (4, 5): out("\\r %3d%%|#####     | 5/10 [00:01<00:01, 40.12it/s, loss=0.532]" % (i % 100) + ("\\n" if k == 5 else ""))
    elif k == 6: out("2024-01-02 10:11:12,345 INFO worker %d fetched batch from /data/shard-%d.tar\\n" % (i, e))
    elif k == 7: out("Error: file not found (cache-%d.bin), continuing with torch version: 1.13.1\\n" % e)
    elif k == 8: out("Saving checkpoint to https://example.com/ckpt?epoch=%d&step=%d\\n" % (e, i))
    elif k == 9: out("Number of parameters: 1234567 on host 192.168.0.%d\\n" % (e % 255))
    elif k == 10: out("   " + "x" * 120 + "\\n")
    else: out("lr_scheduler: StepLR, gamma: 0.1 -- warming up\\n")
`;

const ws = mkdtempSync(path.join(os.tmpdir(), 'mlw-bench-scalars-'));
writeFileSync(path.join(ws, 'noisy.py'), script);
const store = new RunStore(ws);

async function once(capture, work) {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const handle = await launchRun({
    store,
    script: 'noisy.py',
    interpreter: python,
    git: false,
    scanArtifacts: false,
    scalars: { capture },
    args: [String(work)],
  });
  const run = await handle.done;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (run.status !== 'finished') throw new Error(`run ${run.status}: ${run.outputTail ?? run.error}`);
  const m = await readMetrics(handle.dir);
  return { ms, cpuMs, points: m.points, names: m.series.size };
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function scenario(label, work) {
  await once(true, work); // warm-up: page cache, interpreter
  const on = [];
  const off = [];
  const cpuOn = [];
  const cpuOff = [];
  let pointsOn = 0;
  let namesOn = 0;
  let pointsOff = 0;
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [false, true] : [true, false];
    for (const capture of order) {
      const res = await once(capture, work);
      (capture ? on : off).push(res.ms);
      (capture ? cpuOn : cpuOff).push(res.cpuMs);
      if (capture) [pointsOn, namesOn] = [res.points, res.names];
      else pointsOff = res.points;
    }
  }
  const mOn = median(on);
  const mOff = median(off);
  console.log(`${label}:`);
  console.log(`  on  ${on.map((x) => x.toFixed(0)).join(' ')} ms; off ${off.map((x) => x.toFixed(0)).join(' ')} ms`);
  console.log(`  launcher process CPU per run: median on ${median(cpuOn).toFixed(0)} ms, off ${median(cpuOff).toFixed(0)} ms`);
  console.log(`  capture on: ${pointsOn} points in ${namesOn} series; capture off: ${pointsOff} points`);
  console.log(
    `  wall time over ${rounds} interleaved rounds of ${lines} lines: median on ${mOn.toFixed(0)} ms, off ${mOff.toFixed(0)} ms, overhead ${(((mOn - mOff) / mOff) * 100).toFixed(1)} % (goal <= 5 %)`,
  );
}

try {
  await scenario('printing flat out', 0);
  await scenario(`printing between work (sum(range(${WORK})) per line)`, WORK);

  // The parser's own cost: the same output fed through ScalarCapture in this process.
  const text = execFileSync(python, [path.join(ws, 'noisy.py')], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const chunks = [];
  for (let i = 0; i < text.length; i += 65536) chunks.push(text.slice(i, i + 65536));
  const times = [];
  let found = 0;
  for (let r = 0; r < rounds; r++) {
    found = 0;
    const c = new ScalarCapture({}, (p) => void (found += p.length));
    const t0 = performance.now();
    for (const chunk of chunks) c.push(chunk, 'stdout');
    c.end();
    times.push(performance.now() - t0);
  }
  console.log(`ScalarCapture alone: ${(text.length / 1e6).toFixed(1)} MB, ${found} points, median ${median(times).toFixed(1)} ms`);
} finally {
  rmSync(ws, { recursive: true, force: true });
}
