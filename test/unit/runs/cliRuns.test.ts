import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { writeFileSync } from 'node:fs';
import { silentLogger } from '../../../src/core/logger';
import type { CliContext } from '../../../src/cli/cliCommand';
import { runCommand } from '../../../src/cli/commands/run';
import { runsCommand } from '../../../src/cli/commands/runs';
import { RunStore } from '../../../src/core/runs/RunStore';
import { tempDir } from './runsTestSupport';

function context(workspace: string, json = false, signal = new AbortController().signal) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = { workspace, json, out: (t) => void out.push(t), err: (t) => void err.push(t), logger: silentLogger, signal };
  return { ctx, out, err };
}

// The CLI runs any script with the given interpreter; node stands in for Python here.
const SCRIPT = `
const args = process.argv.slice(2);
console.log('args ' + JSON.stringify(args));
console.log('mlw: loss=0.5 step=0');
console.log('mlw: loss=0.25 step=1');
console.error('to stderr');
process.exit(Number(process.env.EXIT_CODE || 0));
`;

describe('mlw run / mlw runs', () => {
  it('runs a script, streams its output, prints the run id, returns its exit code', async () => {
    const ws = tempDir();
    writeFileSync(path.join(ws, 'train.js'), SCRIPT);
    writeFileSync(path.join(ws, 'params.yaml'), 'model:\n  depth: 2\nlr: 0.1\n');
    const { ctx, out, err } = context(ws);
    const code = await runCommand.run(
      [
        'train.js',
        '--python',
        process.execPath,
        '--params-file',
        'params.yaml',
        '--param',
        'lr=0.01',
        '--experiment',
        'cli',
        '--name',
        'first',
        '--tag',
        'k=v',
        '--no-git',
        '--',
        '--extra',
        'x y',
      ],
      ctx,
    );
    assert.equal(code, 0);
    assert.deepEqual(out.slice(0, 1), ['args ["--extra","x y","--model.depth=2","--lr=0.01"]']);
    assert.ok(err.includes('to stderr'));
    const started = err.find((l) => l.includes(' started'));
    const id = /run (\S+) \(first\) started/.exec(started ?? '')?.[1];
    assert.ok(id, err.join('\n'));
    const run = await new RunStore(ws).readRun(id as string);
    assert.equal(run?.status, 'finished');
    assert.equal(run?.experiment, 'cli');
    assert.deepEqual(run?.params, { 'model.depth': 2, lr: 0.01 });
    assert.deepEqual(run?.tags, { k: 'v' });
    assert.equal(run?.metrics?.loss.last, 0.25);
    assert.ok(err.some((l) => l.includes(`run ${id} finished`)));

    const failing = context(ws, true);
    process.env.EXIT_CODE = '7';
    try {
      assert.equal(await runCommand.run(['train.js', '--python', process.execPath, '--no-git'], failing.ctx), 7);
    } finally {
      delete process.env.EXIT_CODE;
    }
    const doc = JSON.parse(failing.out.at(-1) as string);
    assert.equal(doc.status, 'failed');
    assert.equal(doc.exitCode, 7);
    assert.ok(
      failing.err.some((l) => l.startsWith('args ')),
      '--json sends script output to stderr',
    );
  });

  it('refuses bad usage and a missing interpreter with a clear message', async () => {
    const ws = tempDir();
    writeFileSync(path.join(ws, 'train.py'), '');
    await assert.rejects(runCommand.run([], context(ws).ctx), /missing the script/);
    await assert.rejects(runCommand.run(['train.py', '--params-mode', 'stdin'], context(ws).ctx), /params-mode/);
    await assert.rejects(runCommand.run(['train.py', '--param', 'novalue'], context(ws).ctx), /key=value/);
    await assert.rejects(runCommand.run(['train.py', '--unknown'], context(ws).ctx), /Unknown option/);
    await assert.rejects(runCommand.run(['train.py', '--python', '/x/y'], context(ws).ctx), (e: Error) => {
      // mlw.ts prints err.message (no stack) for errors that are not usage errors
      assert.equal(e.message, 'Python interpreter not found: /x/y — set mlWorkbench.pythonPath or pass --python');
      return true;
    });
  });

  it('lists runs as a table or JSON, filters them, and shows one with last and best metrics', async () => {
    const ws = tempDir();
    const store = new RunStore(ws);
    const a = await store.createRun({
      name: 'alpha',
      experiment: 'e1',
      status: 'finished',
      startTime: 1,
      durationMs: 65_000,
      metrics: { loss: { last: 0.2, step: 9, min: 0.1, max: 2, count: 10 } },
    });
    writeFileSync(
      path.join(store.runDir(a.id), 'metrics.jsonl'),
      '{"k":"loss","v":2,"s":0,"t":1}\n{"k":"loss","v":0.1,"s":1,"t":2}\n{"k":"loss","v":0.2,"s":2,"t":3}\n{"k":"acc","v":0.5,"s":0,"t":1}\n{"k":"acc","v":0.9,"s":1,"t":2}\n{"k":"acc","v":0.8,"s":2,"t":3}\n',
    );
    await store.createRun({ name: 'beta', experiment: 'e2', status: 'failed', exitCode: 1, outputTail: 'Traceback\nValueError: bad\n' });

    const table = context(ws);
    assert.equal(await runsCommand.run([], table.ctx), 0);
    const text = table.out.join('\n');
    assert.match(text, /^ID\s+STATUS\s+EXPERIMENT\s+NAME\s+STARTED\s+DURATION\s+METRICS/);
    assert.match(text, /alpha.*1m05s.*loss=0\.2/);
    assert.match(text, /beta/);

    const filtered = context(ws, true);
    await runsCommand.run(['--experiment', 'e2'], filtered.ctx);
    assert.deepEqual(
      JSON.parse(filtered.out.join('')).map((r: { name: string }) => r.name),
      ['beta'],
    );

    const shown = context(ws, true);
    await runsCommand.run(['show', a.id.slice(-6)], shown.ctx);
    const doc = JSON.parse(shown.out.join(''));
    assert.equal(doc.run.id, a.id);
    assert.equal(doc.metrics.loss.best, 0.1);
    assert.equal(doc.metrics.loss.last, 0.2);
    assert.equal(doc.metrics.acc.best, 0.9);

    const human = context(ws);
    await runsCommand.run(['show', 'beta'], human.ctx);
    assert.match(human.out.join('\n'), /status\s+failed \(exit code 1\)/);
    assert.match(human.out.join('\n'), /ValueError: bad/);
    await assert.rejects(runsCommand.run(['show'], context(ws).ctx), /usage/);
    await assert.rejects(runsCommand.run(['show', 'nope-nope'], context(ws).ctx), /No run/);
  });
});
