// What meta.json (run names, tags, notes edited after the fact) costs listRuns(): 10,000 runs listed
// with no meta.json, and with a meta.json beside every run.json; cold (fresh store) and warm (cached),
// interleaved A/B for several rounds. Goal (runs-list.mjs): 10,000 runs in <= 500 ms.
// Usage: npx tsc -p tsconfig.test.json && node bench/runs-meta-list.mjs [runs] [rounds]
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
const rounds = Number(process.argv[3] ?? 5);

function makeStore(withMeta) {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'mlw-bench-meta-'));
  const dir = path.join(ws, '.mlw', 'runs');
  for (let i = 0; i < count; i++) {
    const id = newRunId();
    mkdirSync(path.join(dir, id), { recursive: true });
    const run = makeRun({
      id,
      name: `run-${i}`,
      status: 'finished',
      params: { lr: 0.1, epochs: 5 },
      metrics: { loss: { last: 0.1, step: 4, min: 0.1, max: 1, count: 5 } },
    });
    writeFileSync(path.join(dir, id, 'run.json'), JSON.stringify(run, null, 1));
    if (withMeta)
      writeFileSync(
        path.join(dir, id, 'meta.json'),
        JSON.stringify({ schema: 1, name: `renamed-${i}`, tags: { baseline: '' }, notes: 'n' }),
      );
  }
  return ws;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(ws, store) {
  const t = performance.now();
  const runs = await store.listRuns();
  if (runs.length !== count) throw new Error(`listed ${runs.length}`);
  return performance.now() - t;
}

const plain = makeStore(false);
const edited = makeStore(true);
try {
  const res = { plainCold: [], metaCold: [], plainWarm: [], metaWarm: [] };
  for (let r = 0; r < rounds; r++) {
    for (const [ws, key] of r % 2
      ? [
          [edited, 'meta'],
          [plain, 'plain'],
        ]
      : [
          [plain, 'plain'],
          [edited, 'meta'],
        ]) {
      const store = new RunStore(ws);
      res[`${key}Cold`].push(await time(ws, store));
      res[`${key}Warm`].push(await time(ws, store));
    }
  }
  const check = (await new RunStore(edited).listRuns())[0].name;
  console.log(`listRuns over ${count} runs, median of ${rounds} interleaved rounds (names read back: ${check})`);
  console.log(`  cold: no meta.json ${median(res.plainCold).toFixed(0)} ms · meta.json on every run ${median(res.metaCold).toFixed(0)} ms`);
  console.log(`  warm: no meta.json ${median(res.plainWarm).toFixed(0)} ms · meta.json on every run ${median(res.metaWarm).toFixed(0)} ms`);
} finally {
  rmSync(plain, { recursive: true, force: true });
  rmSync(edited, { recursive: true, force: true });
}
