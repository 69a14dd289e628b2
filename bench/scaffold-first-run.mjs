// Performance goal of issue 7: from "New ML Project" to a finished first training run <= 30 s per
// template. For each template: scaffold with `mlw new` (the same core as the VS Code command, with
// git init + first commit and the interpreter check), then the first training run through the
// project's own launcher path, `mlw run train.py --params-file params.yaml --python <python>`.
// Usage: node bench/scaffold-first-run.mjs [--python /usr/bin/python3] [template ...]
// Needs `npm run build` (dist/mlw.js).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const mlw = join(repo, 'dist', 'mlw.js');
if (!existsSync(mlw)) throw new Error('dist/mlw.js is missing: run npm run build');
const args = process.argv.slice(2);
const pyAt = args.indexOf('--python');
const python = pyAt >= 0 ? args.splice(pyAt, 2)[1] : '/usr/bin/python3';
const templates = args.length ? args : ['tabular-classifier', 'image-classifier', 'text-classifier', 'recommender'];
const GOAL_S = 30;
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.invalid',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.invalid',
};

function timed(cmd, argv, cwd) {
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { cwd, env, encoding: 'utf8', timeout: 300_000 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${[cmd, ...argv].join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return { ms, out: r.stdout, err: r.stderr };
}

const root = mkdtempSync(join(tmpdir(), 'mlw-bench-scaffold-'));
const rows = [];
try {
  for (const t of templates) {
    const dir = join(root, `bench-${t}`);
    const scaffold = timed(process.execPath, [mlw, 'new', t, dir, '--python', python], root);
    const train = timed(process.execPath, [mlw, 'run', 'train.py', '--params-file', 'params.yaml', '--python', python], dir);
    const runs = JSON.parse(timed(process.execPath, [mlw, 'runs', '--json'], dir).out);
    const run = runs[0];
    if (run?.status !== 'finished') throw new Error(`${t}: the first run is ${run?.status}`);
    if (!existsSync(join(dir, 'model.onnx'))) throw new Error(`${t}: no model.onnx`);
    const total = (scaffold.ms + train.ms) / 1000;
    const final = Object.entries(run.metrics ?? {})
      .filter(([k]) => ['accuracy', 'roc_auc', 'rmse'].includes(k))
      .map(([k, m]) => `${k}=${m.last.toFixed(3)}`)
      .join(' ');
    rows.push({ t, scaffold: scaffold.ms / 1000, train: train.ms / 1000, inRun: run.durationMs / 1000, total, final });
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}

console.log(`python: ${python}; goal: New ML Project -> finished first run <= ${GOAL_S} s\n`);
console.log(['template'.padEnd(20), 'scaffold s', 'train s', '(run) s', 'total s', 'goal', 'final metrics'].join('  '));
for (const r of rows) {
  console.log(
    [
      r.t.padEnd(20),
      r.scaffold.toFixed(2).padStart(10),
      r.train.toFixed(2).padStart(7),
      r.inRun.toFixed(2).padStart(7),
      r.total.toFixed(2).padStart(7),
      (r.total <= GOAL_S ? 'ok' : 'MISSED').padEnd(4),
      r.final,
    ].join('  '),
  );
}
console.log(
  '\nscaffold: mlw new (render + git init/commit + interpreter check); train: mlw run wall time; (run): the duration recorded in the run',
);
process.exitCode = rows.every((r) => r.total <= GOAL_S) ? 0 : 1;
