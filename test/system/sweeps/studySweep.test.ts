/**
 * Bayesian sweeps for real: `mlw sweep --method tpe` with Debian's python3 and python3-optuna (SYSTEM_PYTHON),
 * tiny scripts logging through the shipped helper, studies in .mlw/studies/<name>.db. Samplers are seeded.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { sweepCommand } from '../../../src/cli/commands/sweep';
import type { CliContext } from '../../../src/cli/cliCommand';
import { silentLogger } from '../../../src/core/logger';
import type { Run } from '../../../src/core/runs/runTypes';
import { StudyDriver, studyPath } from '../../../src/core/sweeps/StudyDriver';
import { bestSoFar, readStudySummary } from '../../../src/core/sweeps/readStudySummary';
import { parseSpace } from '../../../src/core/sweeps/searchSpace';
import { tempDir } from '../../unit/runs/runsTestSupport';

let optuna: boolean | undefined;
const hasOptuna = (): boolean => (optuna ??= existsSync(SYSTEM_PYTHON) && pythonHas('optuna'));
const HOW_TO = 'apt-get install python3-optuna (or set MLW_TEST_PYTHON)';

/** val_loss falls with the steps; its level is set by lr (best near 1e-3) and layers (best 4). */
const TRAIN = `import sys, math, time, mlw_run
args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--"))
lr, layers = float(args["lr"]), int(args["layers"])
steps, pause = int(args.get("steps", "5")), float(args.get("pause", "0"))
level = (math.log10(lr) + 3) ** 2 + abs(layers - 4) / 4
for step in range(steps):
    mlw_run.log_metric("val_loss", level + 1.0 / (step + 1), step=step)
    time.sleep(pause)
`;

function workspace(): string {
  const ws = tempDir('mlw-study-');
  writeFileSync(path.join(ws, 'train.py'), TRAIN);
  return ws;
}

type Json = {
  study: string;
  previous: number;
  best: { trial: number; value: number } | null;
  trials: Array<{ trial: number; run: Run; outcome: string; value?: number }>;
};

async function sweep(ws: string, args: string[]): Promise<{ code: number; json?: Json; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    workspace: ws,
    json: true,
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    logger: silentLogger,
    signal: new AbortController().signal,
  };
  const code = await sweepCommand.run(['--system-metrics-interval', '0', ...args], ctx);
  return { code, json: out.length ? (JSON.parse(out.join('\n')) as Json) : undefined, err };
}

const TPE = ['train.py', '--method', 'tpe', '--space', 'lr=1e-5:1e-1:log', '--space', 'layers=2,4,8', '--objective', 'val_loss:min'];

describe('mlw sweep --method tpe', () => {
  it('runs each trial as an ordinary run, --parallel at a time, and keeps the study in .mlw/studies', async (t) => {
    if (!needs(t, 'python3-optuna', hasOptuna(), HOW_TO)) return;
    const ws = workspace();
    const { code, json, err } = await sweep(ws, [
      ...TPE,
      '--trials',
      '6',
      '--parallel',
      '2',
      '--python',
      SYSTEM_PYTHON,
      '--',
      '--pause=0.1',
    ]);
    assert.equal(code, 0, err.join('\n'));
    assert.ok(json);
    assert.deepEqual(
      json.trials.map((x) => x.trial),
      [0, 1, 2, 3, 4, 5],
    );
    for (const { trial, run, outcome, value } of json.trials) {
      assert.equal(run.status, 'finished', run.outputTail);
      assert.equal(outcome, 'complete');
      assert.equal(run.experiment, 'study-train');
      assert.equal(run.tags['mlw.study'], 'train');
      assert.equal(run.tags['mlw.study.trial'], String(trial));
      assert.equal(run.tags['mlw.study.objective'], 'val_loss:min');
      assert.ok([2, 4, 8].includes(run.params.layers as number), JSON.stringify(run.params));
      const lr = run.params.lr as number;
      assert.ok(lr >= 1e-5 && lr <= 0.1, String(lr));
      assert.equal(run.metrics?.val_loss.count, 5);
      assert.equal(value, run.metrics?.val_loss.last, 'the objective is the last logged value');
      assert.ok(existsSync(path.join(ws, '.mlw', 'runs', run.id, 'metrics.jsonl')));
    }
    // At most two at once, and two did run side by side.
    const events = json.trials
      .flatMap(({ run }) => [
        [run.startTime as number, 1],
        [run.endTime as number, -1],
      ])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let now = 0;
    let most = 0;
    for (const [, d] of events) most = Math.max(most, (now += d));
    assert.equal(most, 2, 'two trials at a time');
    const best = Math.min(...json.trials.map((x) => x.value as number));
    assert.equal(json.best?.value, best);
    assert.ok(existsSync(studyPath(ws, 'train')));
    const summary = await readStudySummary(SYSTEM_PYTHON, ws, 'train');
    assert.equal(summary.trials.length, 6);
    assert.deepEqual(summary.trials.map((x) => x.runId).sort(), json.trials.map((x) => x.run.id).sort());
    assert.equal(bestSoFar(summary).at(-1)?.best, best);
    assert.ok(summary.importances, summary.importanceNote ?? '');
    assert.deepEqual(Object.keys(summary.importances).sort(), ['layers', 'lr']);
    const total = Object.values(summary.importances).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total - 1) < 1e-6, String(total));
  });

  it('continues a study run again with the same name, and refuses another space under that name', async (t) => {
    if (!needs(t, 'python3-optuna', hasOptuna(), HOW_TO)) return;
    const ws = workspace();
    const first = await sweep(ws, [...TPE, '--trials', '3', '--study', 'resume-me', '--python', SYSTEM_PYTHON]);
    assert.equal(first.code, 0, first.err.join('\n'));
    const second = await sweep(ws, [...TPE, '--trials', '5', '--study', 'resume-me', '--python', SYSTEM_PYTHON]);
    assert.equal(second.code, 0, second.err.join('\n'));
    assert.equal(second.json?.previous, 3);
    assert.deepEqual(
      second.json?.trials.map((x) => x.trial),
      [3, 4],
    );
    assert.ok(
      second.err.some((l) => /resuming study resume-me: 3 of 5 trials done/.test(l)),
      second.err.join('\n'),
    );
    const firstParams = first.json?.trials.map((x) => JSON.stringify(x.run.params));
    for (const x of second.json?.trials ?? []) assert.ok(!firstParams?.includes(JSON.stringify(x.run.params)), 'fresh suggestions');
    const summary = await readStudySummary(SYSTEM_PYTHON, ws, 'resume-me');
    assert.equal(summary.trials.length, 5);
    assert.ok(summary.trials.every((x) => x.state === 'complete'));
    const done = await sweep(ws, [...TPE, '--trials', '5', '--study', 'resume-me', '--python', SYSTEM_PYTHON]);
    assert.equal(done.code, 0);
    assert.equal(done.json?.trials.length, 0, 'a full study runs nothing');
    await assert.rejects(
      sweep(ws, [
        ...TPE.slice(0, -2),
        '--space',
        'dropout=0:0.5',
        '--objective',
        'val_loss:min',
        '--trials',
        '6',
        '--study',
        'resume-me',
        '--python',
        SYSTEM_PYTHON,
      ]),
      /study resume-me was made with .*another --study name/,
    );
  });

  it('prunes a trial whose val_loss falls behind: the run ends "pruned" with its metrics kept', async (t) => {
    if (!needs(t, 'python3-optuna', hasOptuna(), HOW_TO)) return;
    const ws = workspace();
    // 12 steps, 100 ms apart: a trial that runs to the end logs 12 points; a pruned one stops well before.
    const { code, json, err } = await sweep(ws, [
      ...TPE,
      '--trials',
      '8',
      '--prune',
      'median:2',
      '--seed',
      '3',
      '--python',
      SYSTEM_PYTHON,
      '--',
      '--steps=12',
      '--pause=0.1',
    ]);
    assert.equal(code, 0, err.join('\n'));
    assert.ok(json);
    const pruned = json.trials.filter((x) => x.outcome === 'pruned');
    const complete = json.trials.filter((x) => x.outcome === 'complete');
    assert.ok(pruned.length >= 1, `some trial was pruned: ${json.trials.map((x) => `${x.trial}:${x.outcome}`).join(' ')}`);
    assert.ok(complete.length >= 2);
    for (const x of complete) assert.equal(x.run.metrics?.val_loss.count, 12);
    for (const x of pruned) {
      assert.equal(x.run.status, 'pruned');
      assert.equal(x.run.exitCode, 0);
      const count = x.run.metrics?.val_loss.count ?? 0;
      assert.ok(count >= 1 && count < 12, `pruned early, after ${count} points`);
      const lines = readFileSync(path.join(ws, '.mlw', 'runs', x.run.id, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n');
      assert.equal(lines.length, count, 'its metrics are kept');
      assert.match(readFileSync(path.join(ws, '.mlw', 'runs', x.run.id, 'stdout.log'), 'utf8'), /the sweep pruned this trial/);
    }
    const summary = await readStudySummary(SYSTEM_PYTHON, ws, 'train');
    assert.deepEqual(
      summary.trials.filter((x) => x.state === 'pruned').map((x) => x.runId),
      pruned.map((x) => x.run.id),
    );
  });

  it('says in one line that python3-optuna is missing, naming the interpreter setting', async (t) => {
    if (!needs(t, 'python3', existsSync(SYSTEM_PYTHON), 'apt-get install python3')) return;
    const ws = workspace();
    const bare = path.join(ws, 'bare-python');
    writeFileSync(bare, `#!/bin/sh\nexec ${SYSTEM_PYTHON} -S "$@"\n`); // no site-packages: no Optuna
    chmodSync(bare, 0o755);
    await assert.rejects(sweep(ws, [...TPE, '--trials', '2', '--python', bare]), (e: Error) => {
      assert.equal(e.message.split('\n').length, 1);
      assert.match(e.message, /python3-optuna/);
      assert.match(e.message, /--python PATH or \$MLW_PYTHON/);
      return true;
    });
  });
});

/** A known objective: a bowl in log10(lr) and dropout, plus a penalty for the wrong layers. Minimum 0. */
function bowl(p: Record<string, unknown>): number {
  const lr = p.lr as number;
  const dropout = p.dropout as number;
  return (Math.log10(lr) + 3) ** 2 + 4 * (dropout - 0.2) ** 2 + (p.layers === 4 ? 0 : 0.5);
}

async function bestOf(method: 'tpe' | 'random', seed: number, trials: number): Promise<number> {
  const driver = await StudyDriver.open(SYSTEM_PYTHON, {
    storage: ':memory:', // the samplers are what is compared, not SQLite
    study: `${method}-${seed}`,
    direction: 'minimize',
    method,
    seed,
    parallel: 1,
    objective: 'bowl:min',
    pruner: null,
    space: parseSpace(['lr=1e-5:1e-1:log', 'dropout=0:0.5', 'layers=2,4,8']),
  });
  let best = Infinity;
  try {
    for (let i = 0; i < trials; i++) {
      const { trial, params } = await driver.ask();
      const value = bowl(params);
      best = Math.min(best, value);
      await driver.tell(trial, 'complete', value, undefined);
    }
  } finally {
    await driver.close();
  }
  return best;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('TPE against random search', () => {
  it('finds a better value of a known objective with the same budget (median over 5 seeds)', async (t) => {
    if (!needs(t, 'python3-optuna', hasOptuna(), HOW_TO)) return;
    const seeds = [0, 1, 2, 3, 4];
    const budget = 30;
    const results: Record<'tpe' | 'random', number[]> = { tpe: [], random: [] };
    for (const seed of seeds) {
      const [tpe, random] = await Promise.all([bestOf('tpe', seed, budget), bestOf('random', seed, budget)]);
      results.tpe.push(tpe);
      results.random.push(random);
    }
    const figures = `TPE ${results.tpe.map((v) => v.toFixed(4)).join(' ')} (median ${median(results.tpe).toFixed(4)}); random ${results.random.map((v) => v.toFixed(4)).join(' ')} (median ${median(results.random).toFixed(4)})`;
    t.diagnostic(`best of ${budget} trials per seed: ${figures}`);
    assert.ok(median(results.tpe) < median(results.random), figures);
  });
});
