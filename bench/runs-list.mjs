// Goal: listRuns() over 10,000 runs in <= 500 ms.
// Usage: node bench/runs-list.mjs [runs]   (needs `npx tsc -p tsconfig.test.json` first)
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { RunStore } = require(path.join(repo, 'out/src/core/runs/RunStore.js'));
const { makeRun } = require(path.join(repo, 'out/src/core/runs/makeRun.js'));
const { newRunId } = require(path.join(repo, 'out/src/core/runs/runId.js'));
const count = Number(process.argv[2] ?? 10_000);

const ws = mkdtempSync(path.join(os.tmpdir(), 'mlw-bench-list-'));
try {
  const store = new RunStore(ws);
  mkdirSync(store.dir, { recursive: true });
  const start = Date.UTC(2025, 0, 1);
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const id = newRunId(new Date(start + i * 60_000));
    const run = makeRun({
      id,
      name: `train-${i}`,
      experiment: `exp-${i % 20}`,
      status: i % 10 === 0 ? 'failed' : 'finished',
      command: ['/usr/bin/python3', 'train.py', `--lr=${(i % 7) / 100}`, `--depth=${i % 5}`],
      interpreter: '/usr/bin/python3',
      cwd: ws,
      params: { lr: (i % 7) / 100, depth: i % 5, 'model.hidden': 64, optimizer: 'adam', epochs: 20 },
      exitCode: i % 10 === 0 ? 1 : 0,
      pid: 1000 + i,
      startTime: start + i * 60_000,
      endTime: start + i * 60_000 + 30_000,
      durationMs: 30_000,
      git: {
        commit: 'a'.repeat(40),
        branch: 'main',
        dirty: i % 3 === 0,
        diffHash: i % 3 === 0 ? 'b'.repeat(64) : null,
        patchFile: i % 3 === 0 ? 'git.patch' : null,
      },
      artifacts: [{ path: 'model.pt', sha256: 'c'.repeat(64), size: 123456 }],
      tags: { owner: 'bench' },
      metrics: {
        loss: { last: 0.1, step: 19, min: 0.1, max: 2.3, count: 20 },
        accuracy: { last: 0.9, step: 19, min: 0.3, max: 0.91, count: 20 },
      },
    });
    const text = JSON.stringify(run, null, 1) + '\n';
    bytes += text.length;
    mkdirSync(path.join(store.dir, id));
    writeFileSync(path.join(store.dir, id, 'run.json'), text);
  }
  const measure = async (label, s) => {
    const t = performance.now();
    const runs = await s.listRuns();
    const ms = performance.now() - t;
    if (runs.length !== count) throw new Error(`listed ${runs.length}`);
    console.log(`  ${label.padEnd(34)} ${ms.toFixed(0)} ms`);
    return ms;
  };
  console.log(`listRuns: ${count.toLocaleString('en')} runs, run.json ~${Math.round(bytes / count)} bytes each`);
  const cold = await measure('first listing (cold process)', new RunStore(ws));
  const fresh = await measure('new store, warm process', new RunStore(ws));
  const again = new RunStore(ws);
  await again.listRuns();
  await measure('refresh of the same store (cache)', again);
  // event-loop responsiveness while listing
  let maxGap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
  await new RunStore(ws).listRuns();
  clearInterval(timer);
  console.log(`  longest event-loop block while listing  ${maxGap.toFixed(1)} ms`);
  console.log(`  goal <= 500 ms: ${cold <= 500 ? 'PASS' : fresh <= 500 ? 'PASS (warm process)' : 'FAIL'}`);
} finally {
  rmSync(ws, { recursive: true, force: true });
}
