// MLflow SQLite store (mlflow.db): listing 1,000 runs x 10 metrics x 1,000 steps (10 M metric rows), and
// reading one run's series. Prints the figures; no pass/fail.
// Usage: node bench/runs-mlflow-sqlite.mjs [runs] [metrics] [steps]
//   (needs `npm run compile-tests` first, and Debian's /usr/bin/python3, which writes the store once into
//   the OS temp folder: ~1 min for the default size; delete the folder to write it again)
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = (p) => require(path.join(repo, 'out', p));
const { writeMlflowDb } = out('test/support/writeMlflowDb.js');
const { readMlflowSqliteRuns } = out('src/core/runs/mlflowSqlite/readMlflowSqliteRuns.js');
const { readMlflowSqliteMetrics } = out('src/core/runs/mlflowSqlite/readMlflowSqliteMetrics.js');
const { closeSqliteSnapshots, queryRows, readSqliteSnapshot } = out('src/core/runs/mlflowSqlite/readSqliteSnapshot.js');

const [runs, metrics, steps] = [1000, 10, 1000].map((d, i) => Number(process.argv[2 + i] ?? d));
const dir = path.join(os.tmpdir(), `mlw-bench-mlflow-sqlite-${runs}x${metrics}x${steps}`);
const db = path.join(dir, 'mlflow.db');
if (!existsSync(db)) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t = performance.now();
  writeMlflowDb(db, { experiments: [{ id: 1, name: 'bench' }], runs: [], synthetic: { runs, metrics, steps } });
  console.log(`wrote ${db} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
console.log(
  `store: ${runs} runs x ${metrics} metrics x ${steps} steps = ${(runs * metrics * steps).toLocaleString('en')} metric rows, ${(statSync(db).size / 2 ** 20).toFixed(0)} MiB`,
);

const ms = (t) => `${(performance.now() - t).toFixed(0)} ms`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn) {
  const t = performance.now();
  const r = await fn();
  return { ms: performance.now() - t, r };
}

// First call: loads sql.js and its WebAssembly, reads the file, lists.
const first = await time(() => readMlflowSqliteRuns(db));
if (first.r.length !== runs) throw new Error(`listed ${first.r.length} runs, expected ${runs}`);
console.log(`list, first call (sql.js init + read file + list):  ${first.ms.toFixed(0)} ms`);

// The file changed since the last read (the Runs view after MLflow logged): read it again, then list.
const cold = [];
const warm = [];
for (let i = 0; i < 3; i++) {
  closeSqliteSnapshots();
  cold.push((await time(() => readMlflowSqliteRuns(db))).ms);
  warm.push((await time(() => readMlflowSqliteRuns(db))).ms);
}
console.log(`list, file changed (read file + list), median of 3:  ${median(cold).toFixed(0)} ms`);
console.log(`list, file unchanged (image reused), median of 3:     ${median(warm).toFixed(0)} ms`);

const id = first.r[Math.floor(runs / 2)].id;
const seriesWarm = [];
for (let i = 0; i < 5; i++) {
  const s = await time(() => readMlflowSqliteMetrics(db, id));
  if (s.r.size !== metrics || s.r.values().next().value.values.length !== steps) throw new Error('series read returned the wrong shape');
  seriesWarm.push(s.ms);
}
console.log(`series of one run (${metrics} x ${steps} points), image open, median of 5: ${median(seriesWarm).toFixed(1)} ms`);
closeSqliteSnapshots();
console.log(
  `series of one run, file changed (read file + query):   ${(await time(() => readMlflowSqliteMetrics(db, id))).ms.toFixed(0)} ms`,
);

// Why listing reads latest_metrics: the full-history summary it avoids.
let t = performance.now();
await readSqliteSnapshot(db, (d) =>
  queryRows(d, 'SELECT run_uuid, key, MIN(value), MAX(value), COUNT(*) FROM metrics GROUP BY run_uuid, key'),
);
console.log(`(for comparison) min/max/count of every metric from the metrics table: ${ms(t)}`);
closeSqliteSnapshots();
