// Overhead of a Bayesian sweep per trial: the Optuna driver's ask + tell round trip (SQLite study in
// .mlw/studies-like temp folder, TPE and random samplers), and a whole `mlw sweep --method tpe` trial of a script that
// does nothing (launch, run record, tell) against the same script run by hand.
// Usage: node bench/sweep-ask-tell.mjs [trials]   (needs `npx tsc -p tsconfig.test.json` first; MLW_PYTHON picks the
// interpreter, default /usr/bin/python3 with python3-optuna)
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { StudyDriver } = require(path.join(repo, 'out/src/core/sweeps/StudyDriver.js'));
const { parseSpace } = require(path.join(repo, 'out/src/core/sweeps/searchSpace.js'));
const python = process.env.MLW_PYTHON ?? '/usr/bin/python3';
const trials = Number(process.argv[2] ?? 100);
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlw-bench-study-'));
const space = parseSpace(['lr=1e-5:1e-1:log', 'dropout=0:0.5', 'layers=2,4,8']);
const objective = (p) => (Math.log10(p.lr) + 3) ** 2 + (p.dropout - 0.2) ** 2 + (p.layers === 4 ? 0 : 0.5);
const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6;

try {
  for (const method of ['random', 'tpe']) {
    const t0 = process.hrtime.bigint();
    const driver = await StudyDriver.open(python, {
      storage: path.join(dir, `${method}.db`),
      study: method,
      direction: 'minimize',
      method,
      seed: 0,
      parallel: 1,
      objective: 'f:min',
      pruner: null,
      space,
    });
    const openMs = ms(t0);
    const per = [];
    for (let i = 0; i < trials; i++) {
      const t = process.hrtime.bigint();
      const { trial, params } = await driver.ask();
      await driver.tell(trial, 'complete', objective(params), undefined);
      per.push(ms(t));
    }
    await driver.close();
    const sorted = [...per].sort((a, b) => a - b);
    const mean = per.reduce((a, b) => a + b, 0) / per.length;
    const first = per.slice(0, 10).reduce((a, b) => a + b, 0) / 10;
    const last = per.slice(-10).reduce((a, b) => a + b, 0) / 10;
    console.log(
      `${method.padEnd(6)} driver start ${openMs.toFixed(0)} ms; ask+tell over ${trials} trials: mean ${mean.toFixed(1)} ms, median ${sorted[Math.floor(trials / 2)].toFixed(1)} ms, p90 ${sorted[Math.floor(trials * 0.9)].toFixed(1)} ms; first 10 ${first.toFixed(1)} ms, last 10 ${last.toFixed(1)} ms`,
    );
  }

  // The same loop inside one Python process, no driver protocol: what Optuna and SQLite cost by themselves.
  const inProcess = execFileSync(
    python,
    [
      '-c',
      `import time, math, optuna, sys
optuna.logging.set_verbosity(optuna.logging.WARNING)
from optuna.distributions import FloatDistribution as F, CategoricalDistribution as C
d = {"lr": F(1e-5, 1e-1, log=True), "dropout": F(0, 0.5), "layers": C([2, 4, 8])}
for method in ("random", "tpe"):
    s = optuna.create_study(storage="sqlite:///" + sys.argv[1] + "/inproc-" + method + ".db", sampler=optuna.samplers.RandomSampler(seed=0) if method == "random" else optuna.samplers.TPESampler(seed=0))
    t = time.perf_counter()
    for i in range(int(sys.argv[2])):
        tr = s.ask(d)
        p = tr.params
        s.tell(tr, (math.log10(p["lr"]) + 3) ** 2 + (p["dropout"] - 0.2) ** 2 + (0 if p["layers"] == 4 else 0.5))
    print("%-6s Optuna in one process (no driver): %.1f ms per ask+tell" % (method, (time.perf_counter() - t) * 1000 / int(sys.argv[2])))`,
      dir,
      String(trials),
    ],
    { encoding: 'utf8' },
  );
  process.stdout.write(inProcess);

  // A whole trial through mlw sweep: a script that logs one point, 10 trials in a row.
  const ws = path.join(dir, 'ws');
  execFileSync('mkdir', ['-p', ws]);
  writeFileSync(path.join(ws, 'noop.py'), 'import mlw_run\nmlw_run.log_metric("val_loss", 1.0)\n');
  const n = 10;
  let t = process.hrtime.bigint();
  for (let i = 0; i < n; i++)
    execFileSync(python, [path.join(ws, 'noop.py')], {
      cwd: ws,
      env: { ...process.env, PYTHONPATH: path.join(repo, 'python'), MLW_DISABLE: '1' },
    });
  const byHand = ms(t) / n;
  t = process.hrtime.bigint();
  execFileSync(
    process.execPath,
    [
      path.join(repo, 'dist/mlw.js'),
      'sweep',
      'noop.py',
      '--method',
      'tpe',
      '--space',
      'lr=1e-5:1e-1:log',
      '--trials',
      String(n),
      '--objective',
      'val_loss:min',
      '--python',
      python,
      '--system-metrics-interval',
      '0',
    ],
    { cwd: ws, stdio: 'ignore' },
  );
  const perTrial = ms(t) / n;
  console.log(
    `mlw sweep --method tpe, ${n} trials of a one-line script: ${perTrial.toFixed(0)} ms per trial (driver start included) vs ${byHand.toFixed(0)} ms per run by hand: ${(perTrial - byHand).toFixed(0)} ms overhead per trial`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
