import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { writeFileSync } from 'node:fs';
import { silentLogger } from '../../../src/core/logger';
import { UsageError, type CliContext } from '../../../src/cli/cliCommand';
import { runCommand } from '../../../src/cli/commands/run';
import { sweepCommand } from '../../../src/cli/commands/sweep';
import { RunStore } from '../../../src/core/runs/RunStore';
import { tempDir } from './runsTestSupport';

function context(workspace: string): { ctx: CliContext; err: string[] } {
  const err: string[] = [];
  const ctx: CliContext = {
    workspace,
    json: false,
    out: () => undefined,
    err: (t) => void err.push(t),
    logger: silentLogger,
    signal: new AbortController().signal,
  };
  return { ctx, err };
}

// node stands in for Python: the CLI runs any script with the given interpreter.
const SCRIPT = `console.log('epoch 0 loss: 0.5 acc=0.25'); console.log('epoch 1 loss: 0.4 acc=0.5');`;

async function metricsOf(ws: string, err: string[]): Promise<Record<string, number> | undefined> {
  const id = /run (\S+) \(/.exec(err.find((l) => l.includes(' started')) ?? '')?.[1];
  assert.ok(id, err.join('\n'));
  const run = await new RunStore(ws).readRun(id);
  return run?.metrics && Object.fromEntries(Object.entries(run.metrics).map(([k, m]) => [k, m.last]));
}

describe('mlw run / mlw sweep: --no-capture-scalars and --scalar-pattern', () => {
  it('captures printed scalars by default, not with --no-capture-scalars', async () => {
    const ws = tempDir();
    writeFileSync(path.join(ws, 'train.js'), SCRIPT);
    const on = context(ws);
    assert.equal(await runCommand.run(['train.js', '--python', process.execPath, '--no-git', '--system-metrics-interval', '0'], on.ctx), 0);
    assert.deepEqual(await metricsOf(ws, on.err), { loss: 0.4, acc: 0.5 });
    const off = context(ws);
    assert.equal(
      await runCommand.run(
        ['train.js', '--python', process.execPath, '--no-git', '--system-metrics-interval', '0', '--no-capture-scalars'],
        off.ctx,
      ),
      0,
    );
    assert.deepEqual((await metricsOf(ws, off.err)) ?? {}, {});
  });

  it('--scalar-pattern replaces the rules; an invalid one is a usage error before anything runs', async () => {
    const ws = tempDir();
    writeFileSync(path.join(ws, 'train.js'), SCRIPT);
    const c = context(ws);
    const pattern = String.raw`(?<name>acc)=(?<value>\S+)`;
    assert.equal(
      await runCommand.run(
        ['train.js', '--python', process.execPath, '--no-git', '--system-metrics-interval', '0', '--scalar-pattern', pattern],
        c.ctx,
      ),
      0,
    );
    assert.deepEqual(await metricsOf(ws, c.err), { acc: 0.5 });

    for (const command of [runCommand, sweepCommand]) {
      const bad = ['train.js', '--python', process.execPath, '--scalar-pattern', '(?<name>\\w+'];
      if (command === sweepCommand) bad.push('--grid', 'lr=1,2');
      await assert.rejects(
        command.run(bad, context(ws).ctx),
        (e: Error) => e instanceof UsageError && /--scalar-pattern: .*not a valid regular expression/.test(e.message),
      );
    }
    assert.equal((await new RunStore(ws).listRuns()).length, 1, 'the bad patterns started no run');
  });

  it('the help of both commands names the flags', () => {
    for (const command of [runCommand, sweepCommand]) {
      assert.match(command.usage, /--no-capture-scalars/);
      assert.match(command.usage, /--scalar-pattern RE/);
    }
  });
});
