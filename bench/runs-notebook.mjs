// What running a notebook as an experiment costs over the same code as a .py script: a notebook of N
// code cells (each printing a loss= line and calling mlw_run.log_metric) and the equivalent script, each
// launched through launchRun with /usr/bin/python3, interleaved A/B for several rounds. Reports wall time
// per run (median, min), the difference (kernel start, per-cell round trips, writing the executed
// notebook after every cell), and that time per cell.
// Usage: npx tsc -p tsconfig.test.json && node bench/runs-notebook.mjs [rounds] [cells]   (MLW_PYTHON picks the interpreter)
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { launchRun } = require(path.join(repo, 'out/src/core/runs/launchRun.js'));
const { RunStore } = require(path.join(repo, 'out/src/core/runs/RunStore.js'));
const python = process.env.MLW_PYTHON ?? '/usr/bin/python3';
const rounds = Math.max(3, Number(process.argv[2] ?? 5));
const cells = Number(process.argv[3] ?? 50);

const cellSource = (i) => `print("epoch ${i} loss=%.4f" % (lr / ${i + 1}))\nmlw_run.log_metric("acc", ${i} * lr, step=${i})\n`;
const ws = mkdtempSync(path.join(os.tmpdir(), 'mlw-bench-nb-'));
const notebook = {
  cells: [
    {
      id: 'p',
      cell_type: 'code',
      metadata: { tags: ['parameters'] },
      source: ['lr = 0.01\n', 'import mlw_run\n'],
      outputs: [],
      execution_count: null,
    },
    ...Array.from({ length: cells }, (_, i) => ({
      id: `c${i}`,
      cell_type: 'code',
      metadata: {},
      source: [cellSource(i)],
      outputs: [],
      execution_count: null,
    })),
  ],
  metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
  nbformat: 4,
  nbformat_minor: 5,
};
writeFileSync(path.join(ws, 'train.ipynb'), JSON.stringify(notebook));
writeFileSync(
  path.join(ws, 'train.py'),
  `import mlw_run\nlr = float(mlw_run.params().get("lr", 0.01))\n${Array.from({ length: cells }, (_, i) => cellSource(i)).join('')}`,
);

const store = new RunStore(ws);
async function once(script) {
  const t0 = performance.now();
  const handle = await launchRun({
    store,
    script,
    interpreter: python,
    params: { lr: 0.1 },
    paramsMode: 'env',
    git: false,
    scanArtifacts: false,
    env: { PYTHONDONTWRITEBYTECODE: '1' },
    systemMetricsInterval: 0,
  });
  const run = await handle.done;
  if (run.status !== 'finished') throw new Error(`${script}: ${run.status} ${run.error ?? ''}\n${run.outputTail ?? ''}`);
  if (run.metrics?.acc?.count !== cells || run.metrics?.loss?.count !== cells) throw new Error(`${script}: metrics missing`);
  return performance.now() - t0;
}

const times = { 'train.py': [], 'train.ipynb': [] };
await once('train.ipynb'); // warm the page cache
for (let r = 0; r < rounds; r++) {
  for (const s of r % 2 ? ['train.ipynb', 'train.py'] : ['train.py', 'train.ipynb']) times[s].push(await once(s));
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const fmt = (ms) => `${ms.toFixed(0)} ms`;
console.log(`${cells} code cells, ${rounds} rounds interleaved, ${python}`);
for (const [s, a] of Object.entries(times)) console.log(`  ${s.padEnd(12)} median ${fmt(median(a))}  min ${fmt(Math.min(...a))}`);
const extra = median(times['train.ipynb']) - median(times['train.py']);
console.log(`  notebook overhead: ${fmt(extra)} per run (${(extra / cells).toFixed(1)} ms per cell, kernel start included)`);
rmSync(ws, { recursive: true, force: true });
