/**
 * `mlw sweep` with a real Python (/usr/bin/python3, SYSTEM_PYTHON): a tiny script that logs a
 * metric computed from its params and records when it ran, so that parallelism can be checked.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { needs, SYSTEM_PYTHON } from '../../support/requires';
import { sweepCommand } from '../../../src/cli/commands/sweep';
import type { CliContext } from '../../../src/cli/cliCommand';
import { silentLogger } from '../../../src/core/logger';
import type { Run } from '../../../src/core/runs/runTypes';
import { tempDir } from '../../unit/runs/runsTestSupport';

const SCRIPT = `import sys, time, os
args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--"))
start = time.time()
time.sleep(0.6)
end = time.time()
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "times.txt"), "a") as f:
    f.write(f"{start} {end}\\n")
lr = float(args["lr"])
epochs = int(args.get("epochs", "1"))
print(f"mlw: score={lr * epochs} step={epochs}", flush=True)
`;

function workspace(): string {
  const ws = tempDir('mlw-sweep-');
  writeFileSync(path.join(ws, 'tiny.py'), SCRIPT);
  return ws;
}

async function sweep(ws: string, args: string[], json = true): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    workspace: ws,
    json,
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    logger: silentLogger,
    signal: new AbortController().signal,
  };
  const code = await sweepCommand.run(args, ctx);
  return { code, out, err };
}

/** Largest number of runs whose [start, end] intervals overlap at one moment. */
function maxOverlap(ws: string): number {
  const spans = readFileSync(path.join(ws, 'times.txt'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' ').map(Number));
  const events = spans
    .flatMap(
      ([s, e]) =>
        [
          [s, 1],
          [e, -1],
        ] as const,
    )
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, d] of events) max = Math.max(max, (now += d));
  return max;
}

describe('mlw sweep', () => {
  it('runs every combination of a grid, at most --parallel at a time, and prints their metrics', async (t) => {
    if (!needs(t, 'python3', existsSync(SYSTEM_PYTHON), 'apt-get install python3')) return;
    const ws = workspace();
    const { code, out, err } = await sweep(ws, [
      'tiny.py',
      '--grid',
      'lr=0.1,0.5',
      '--grid',
      'epochs=1,2,3',
      '--parallel',
      '2',
      '--python',
      SYSTEM_PYTHON,
      '--experiment',
      'grid',
    ]);
    assert.equal(code, 0, err.join('\n'));
    const runs = JSON.parse(out.join('\n')) as Run[];
    assert.equal(runs.length, 6);
    assert.deepEqual(
      runs.map((r) => r.params),
      [
        { lr: 0.1, epochs: 1 },
        { lr: 0.1, epochs: 2 },
        { lr: 0.1, epochs: 3 },
        { lr: 0.5, epochs: 1 },
        { lr: 0.5, epochs: 2 },
        { lr: 0.5, epochs: 3 },
      ],
    );
    for (const r of runs) {
      assert.equal(r.status, 'finished', r.outputTail);
      assert.equal(r.experiment, 'grid');
      assert.ok(Math.abs((r.metrics?.score.last ?? NaN) - Number(r.params.lr) * Number(r.params.epochs)) < 1e-9, JSON.stringify(r.metrics));
    }
    assert.equal(
      readdirSync(path.join(ws, '.mlw', 'runs')).filter((d) => existsSync(path.join(ws, '.mlw', 'runs', d, 'run.json'))).length,
      6,
    );
    const overlap = maxOverlap(ws);
    assert.ok(overlap <= 2, `at most 2 runs at once, saw ${overlap}`);
    assert.equal(overlap, 2, 'two runs did run side by side');
  });

  it('prints a table, and runs a seeded random sweep one at a time by default', async (t) => {
    if (!needs(t, 'python3', existsSync(SYSTEM_PYTHON), 'apt-get install python3')) return;
    const ws = workspace();
    const args = ['tiny.py', '--random', 'lr=0.001:1:log', '--count', '3', '--seed', '7', '--python', SYSTEM_PYTHON];
    const { code, out } = await sweep(ws, args, false);
    assert.equal(code, 0);
    const table = (out.at(-1) ?? '').split('\n'); // the script's own output comes first
    assert.match(table[0], /^RUN\s+STATUS\s+DURATION\s+lr\s+score$/);
    assert.equal(table.length, 4);
    assert.ok(table.slice(1).every((l) => / finished /.test(l)));
    assert.equal(maxOverlap(ws), 1);
    const first = JSON.parse((await sweep(workspace(), args)).out.join('\n')) as Run[];
    const second = JSON.parse((await sweep(workspace(), args)).out.join('\n')) as Run[];
    const lrs = first.map((r) => r.params.lr as number);
    assert.equal(new Set(lrs).size, 3);
    assert.ok(
      lrs.every((v) => v >= 0.001 && v <= 1),
      String(lrs),
    );
    assert.deepEqual(
      second.map((r) => r.params),
      first.map((r) => r.params),
      'same seed, same param sets',
    );
  });

  it('rejects a bad spec with a usage error before recording anything', async () => {
    const ws = workspace();
    await assert.rejects(sweep(ws, ['tiny.py', '--grid', 'lr=']), /no values/);
    await assert.rejects(sweep(ws, ['tiny.py', '--random', 'lr=0:1']), /--count/);
    await assert.rejects(sweep(ws, ['tiny.py', '--grid', 'lr=1', '--parallel', '0']), /--parallel/);
    assert.equal(existsSync(path.join(ws, '.mlw')), false);
  });
});
