// Goal: readMetrics loads 1,000,000 points in <= 500 ms.
// Usage: node bench/runs-read-metrics.mjs [points]   (needs `npx tsc -p tsconfig.test.json` first)
import { createRequire } from 'node:module';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { readMetrics } = require(path.join(repo, 'out/src/core/runs/readMetrics.js'));
const { formatMetricLine } = require(path.join(repo, 'out/src/core/runs/MetricsWriter.js'));
const points = Number(process.argv[2] ?? 1_000_000);

const dir = mkdtempSync(path.join(os.tmpdir(), 'mlw-bench-read-'));
try {
  // Like a real log: a few metrics interleaved, full-precision doubles (what Python's repr writes), ms timestamps.
  // Written in blocks so that no million strings stay alive to slow the garbage collector during timing.
  const names = ['train/loss', 'train/accuracy', 'lr', 'val_loss'];
  let seed = 7;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const file = path.join(dir, 'metrics.jsonl');
  writeFileSync(file, '');
  const t0 = 1_732_000_000_000;
  let size = 0;
  let tailOffset = 0;
  for (let block = 0; block < points; block += 10_000) {
    let text = '';
    for (let i = block; i < Math.min(points, block + 10_000); i++) {
      if (i === Math.floor(points * 0.99)) tailOffset = size + Buffer.byteLength(text);
      text += formatMetricLine({ k: names[i % 4], v: rand() * (i % 4 === 2 ? 1e-3 : 1), s: Math.floor(i / 4), t: t0 + i });
    }
    appendFileSync(file, text);
    size += Buffer.byteLength(text);
  }
  const times = [];
  const cpu = [];
  let result;
  for (let i = 0; i < 5; i++) {
    const c = process.cpuUsage();
    const s = performance.now();
    result = await readMetrics(dir);
    times.push(performance.now() - s);
    const u = process.cpuUsage(c);
    cpu.push((u.user + u.system) / 1000);
    if (result.points !== points || result.skippedLines) throw new Error(`read ${result.points} points, ${result.skippedLines} skipped`);
    result = undefined;
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`readMetrics: ${points.toLocaleString('en')} points, ${(size / 1e6).toFixed(1)} MB, 4 series`);
  console.log(`  wall (ms): ${times.map((t) => t.toFixed(0)).join(', ')}   cpu (ms): ${cpu.map((t) => t.toFixed(0)).join(', ')}`);
  console.log(
    `  first (cold) ${times[0].toFixed(0)} ms, median ${sorted[2].toFixed(0)} ms, best ${sorted[0].toFixed(0)} ms (goal <= 500 ms) ${sorted[2] <= 500 ? 'PASS' : 'FAIL'} (median)`,
  );
  // Incremental tail: reading only what follows an offset costs only those bytes.
  const s = performance.now();
  const tail = await readMetrics(dir, { sinceByteOffset: tailOffset });
  console.log(`  incremental tail of the last ${tail.points.toLocaleString('en')} points: ${(performance.now() - s).toFixed(1)} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
