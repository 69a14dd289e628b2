import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { launchRun, type LaunchOptions } from '../../../src/core/runs/launchRun';
import { RunStore } from '../../../src/core/runs/RunStore';
import { InterpreterNotFoundError, resolveInterpreter } from '../../../src/core/runs/resolveInterpreter';
import { stopRunById } from '../../../src/core/runs/stopRunById';
import { readMetrics } from '../../../src/core/runs/readMetrics';
import { isAlive, tempDir, waitFor } from './runsTestSupport';

/** Launch options for a node child running `code` (args after `--` reach process.argv). */
function nodeRun(store: RunStore, code: string, extra: Partial<LaunchOptions> = {}): LaunchOptions {
  return { store, command: [process.execPath, '-e', code, '--'], git: false, scanArtifacts: false, ...extra };
}

describe('launchRun', () => {
  it('passes arguments as an array: nothing is interpreted by a shell', async () => {
    const ws = tempDir();
    const store = new RunStore(ws);
    const tricky = ['a b', '$(echo pwned)', '; rm -rf /', '"quoted"', "it's", 'line\nbreak', '*', '`id`', ''];
    const out = path.join(ws, 'argv.json');
    const handle = await launchRun(
      nodeRun(store, `require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.argv.slice(1)))`, {
        args: tricky,
        params: { lr: 0.5 },
      }),
    );
    const run = await handle.done;
    assert.equal(run.status, 'finished');
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), [...tricky, '--lr=0.5']);
    assert.deepEqual(run.command.slice(-tricky.length - 1), [...tricky, '--lr=0.5']);
  });

  it('says clearly when the interpreter is missing, and creates no run', async () => {
    const ws = tempDir();
    const store = new RunStore(ws);
    writeFileSync(path.join(ws, 'train.py'), 'print(1)\n');
    await assert.rejects(launchRun({ store, script: 'train.py', interpreter: '/x/y' }), (e: Error) => {
      assert.ok(e instanceof InterpreterNotFoundError);
      assert.equal(e.message, 'Python interpreter not found: /x/y — set mlWorkbench.pythonPath or pass --python');
      return true;
    });
    await assert.rejects(
      resolveInterpreter(undefined, { PATH: '', MLW_PYTHON: 'nonexistent-python-xyz' }),
      /Python interpreter not found: nonexistent-python-xyz/,
    );
    assert.equal(await resolveInterpreter(process.execPath, {}), process.execPath);
    await assert.rejects(launchRun({ store, script: 'missing.py', interpreter: process.execPath }), /Script not found/);
    await assert.rejects(launchRun(nodeRun(store, '', { dataInputs: ['nope.csv'] })), /Data input not found/);
    await assert.rejects(launchRun({ store, command: ['definitely-not-a-command-xyz'] }), /Command not found/);
    assert.equal(existsSync(store.dir) ? readdirSync(store.dir).filter((f) => !f.startsWith('.')).length : 0, 0);
  });

  it('streams output to the callback and stdout.log, captures `mlw:` lines from stdout as metrics', async () => {
    const store = new RunStore(tempDir());
    const chunks: string[] = [];
    const code = `
      for (let i = 0; i < 3; i++) console.log('mlw: loss=' + (1 / (i + 1)) + ' acc=' + i / 10 + ' step=' + i);
      console.log('mlw: lr=0.01');
      console.log('mlw: not a metric line');
      console.error('mlw: stderr=1');
      process.stdout.write('mlw: partial=5');`;
    const handle = await launchRun(nodeRun(store, code));
    const run = await handle.done;
    assert.equal(run.status, 'finished');
    const log = readFileSync(path.join(handle.dir, 'stdout.log'), 'utf8');
    assert.match(log, /mlw: stderr=1/);
    const m = await readMetrics(handle.dir);
    assert.deepEqual(Array.from(m.series.get('loss')?.values ?? []), [1, 0.5, 1 / 3]);
    assert.deepEqual(Array.from(m.series.get('acc')?.steps ?? []), [0, 1, 2]);
    assert.deepEqual(Array.from(m.series.get('lr')?.steps ?? []), [0]);
    assert.equal(m.series.get('partial')?.values[0], 5, 'a last line without newline still counts');
    assert.equal(m.series.has('stderr'), false);
    assert.equal(run.metrics?.loss.last, 1 / 3);
    assert.equal(run.metrics?.loss.min, 1 / 3);

    const store2 = new RunStore(tempDir());
    const h2 = await launchRun(
      nodeRun(store2, 'console.log("hello"); console.error("oops")', { onOutput: (t, s) => void chunks.push(`${s}:${t}`) }),
    );
    await h2.done;
    assert.ok(chunks.some((c) => c.startsWith('stdout:') && c.includes('hello')));
    assert.ok(chunks.some((c) => c.startsWith('stderr:') && c.includes('oops')));
  });

  it('keeps every byte of a flood of output, in order per stream, and leaves no raw output files behind', async () => {
    const store = new RunStore(tempDir());
    // 200,000 numbered lines (about 6 MB, more than one read of the follower), then a line on
    // stderr after a pause: stdout.log holds all of stdout in order, then the stderr line.
    const code = `
      let s = '';
      for (let i = 0; i < 200000; i++) s += 'line ' + i + ' loss=' + (i % 7) + '\\n';
      require('fs').writeSync(1, s);
      setTimeout(() => console.error('after the flood'), 300);`;
    const seen = { stdout: 0, stderr: 0 };
    const handle = await launchRun(nodeRun(store, code, { onOutput: (t, stream) => void (seen[stream] += t.length) }));
    const run = await handle.done;
    assert.equal(run.status, 'finished');
    const log = readFileSync(path.join(handle.dir, 'stdout.log'), 'utf8').split('\n');
    assert.equal(log[0], 'line 0 loss=0');
    assert.equal(log[199999], 'line 199999 loss=2');
    assert.equal(log[200000], 'after the flood');
    for (let i = 0; i < 200000; i += 997) assert.equal(log[i], `line ${i} loss=${i % 7}`);
    assert.equal(seen.stderr, 'after the flood\n'.length);
    assert.equal(seen.stdout, log.slice(0, 200000).join('\n').length + 1);
    assert.equal((await readMetrics(handle.dir)).series.get('loss')?.values.length, 200000);
    assert.deepEqual(
      readdirSync(handle.dir).filter((f) => f.startsWith('.child-')),
      [],
      'the raw stdout and stderr files are gone once the run ends',
    );
  });

  it('a script keeps running and printing when its launcher stops reading (no pipe to break)', async () => {
    // With pipes, a launcher that dies or stalls makes the next print fail (EPIPE) or block; the
    // child's output now goes to files, so it writes on. Here the launcher's event loop is blocked
    // for 1.5 s while the child prints and exits: the child is not slowed, nothing is lost.
    const store = new RunStore(tempDir());
    const code = `const t = Date.now(); for (let i = 0; i < 50000; i++) console.log('x=' + i); console.error('printed in ' + (Date.now() - t) + ' ms');`;
    const handle = await launchRun(nodeRun(store, code));
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      /* the launcher is busy */
    }
    const run = await handle.done;
    assert.equal(run.status, 'finished');
    const log = readFileSync(path.join(handle.dir, 'stdout.log'), 'utf8');
    const ms = Number(/printed in (\d+) ms/.exec(log)?.[1]);
    assert.ok(ms < 1500, `the child printed without waiting for the launcher (${ms} ms)`);
    assert.equal((await readMetrics(handle.dir)).series.get('x')?.values.length, 50000);
  });

  it('records a failing script as failed with its exit code and the tail of its output', async () => {
    const store = new RunStore(tempDir());
    const code = `for (let i = 0; i < 500; i++) console.log('progress line ' + i); console.error('FATAL: out of memory'); process.exitCode = 3;`;
    const run = await (await launchRun(nodeRun(store, code))).done;
    assert.equal(run.status, 'failed');
    assert.equal(run.exitCode, 3);
    assert.equal(run.signal, null);
    assert.match(run.error ?? '', /code 3/);
    assert.match(run.outputTail ?? '', /FATAL: out of memory/);
    assert.match(run.outputTail ?? '', /progress line 499/);
    assert.ok((run.outputTail ?? '').length <= 4000);
    const stored = await store.readRun(run.id);
    assert.equal(stored?.status, 'failed');
    assert.ok((stored?.durationMs ?? -1) >= 0);
  });

  it('passes params as env vars in env mode, as both in both mode', async () => {
    const store = new RunStore(tempDir());
    const code = `console.log('mlw: env=' + process.env.MLW_PARAM_LR + ' args=' + process.argv.length + ' json=' + JSON.parse(process.env.MLW_PARAMS).lr)`;
    const envRun = await (await launchRun(nodeRun(store, code, { params: { lr: 0.25 }, paramsMode: 'env' }))).done;
    assert.deepEqual(envRun.metrics && [envRun.metrics.env.last, envRun.metrics.args.last, envRun.metrics.json.last], [0.25, 1, 0.25]);
    const both = await (await launchRun(nodeRun(store, code, { params: { lr: 0.25 }, paramsMode: 'both' }))).done;
    assert.deepEqual(both.metrics && [both.metrics.env.last, both.metrics.args.last], [0.25, 2]);
    assert.deepEqual(both.params, { lr: 0.25 });
  });

  it('stop(): SIGTERM, then SIGKILL after the grace period; the run is stopped', async () => {
    const store = new RunStore(tempDir());
    const polite = await launchRun(nodeRun(store, `console.log('up'); setInterval(() => {}, 1000)`));
    await waitFor(() => readFileSync(path.join(polite.dir, 'stdout.log'), 'utf8').includes('up'));
    const r1 = await polite.stop(5000);
    assert.equal(r1.status, 'stopped');
    assert.equal(r1.signal, 'SIGTERM');

    const stubborn = await launchRun(
      nodeRun(store, `process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('up'); setInterval(() => {}, 1000)`),
    );
    await waitFor(() => readFileSync(path.join(stubborn.dir, 'stdout.log'), 'utf8').includes('up'));
    const t0 = Date.now();
    const r2 = await stubborn.stop(300);
    assert.equal(r2.status, 'stopped');
    assert.equal(r2.signal, 'SIGKILL');
    assert.ok(Date.now() - t0 >= 250);
    assert.match(readFileSync(path.join(stubborn.dir, 'stdout.log'), 'utf8'), /ignoring SIGTERM/);
    assert.equal(isAlive(stubborn.pid as number), false);
  });

  it('an aborted signal stops the run; an external SIGKILL fails it', async () => {
    const store = new RunStore(tempDir());
    const ac = new AbortController();
    const h = await launchRun(
      nodeRun(store, `console.log('up'); setInterval(() => {}, 1000)`, { stopGraceMs: 2000 }),
      undefined,
      ac.signal,
    );
    await waitFor(() => readFileSync(path.join(h.dir, 'stdout.log'), 'utf8').includes('up'));
    ac.abort();
    assert.equal((await h.done).status, 'stopped');

    const k = await launchRun(nodeRun(store, `console.log('up'); setInterval(() => {}, 1000)`));
    await waitFor(() => readFileSync(path.join(k.dir, 'stdout.log'), 'utf8').includes('up'));
    process.kill(k.pid as number, 'SIGKILL');
    const killed = await k.done;
    assert.equal(killed.status, 'failed');
    assert.equal(killed.signal, 'SIGKILL');
    assert.equal(killed.exitCode, null);
    assert.match(killed.error ?? '', /Killed by SIGKILL/);
  });

  it('stopRunById stops a run through its pid, and the launcher records it as stopped', async () => {
    const store = new RunStore(tempDir());
    const h = await launchRun(nodeRun(store, `console.log('up'); setInterval(() => {}, 1000)`));
    await waitFor(() => readFileSync(path.join(h.dir, 'stdout.log'), 'utf8').includes('up'));
    const other = new RunStore(store.workspace); // as another component would
    const r = await stopRunById(other, h.id, { graceMs: 2000 });
    assert.equal(r?.status, 'stopped');
    assert.equal((await h.done).status, 'stopped');
  });

  it('hashes data inputs and records new or changed model files as artifacts', async () => {
    const ws = tempDir();
    const store = new RunStore(ws);
    writeFileSync(path.join(ws, 'data.csv'), 'a,b\n1,2\n');
    writeFileSync(path.join(ws, 'old.onnx'), 'unchanged');
    writeFileSync(path.join(ws, 'retrained.pt'), 'v1');
    const code = `const fs = require('fs'); fs.mkdirSync('out', { recursive: true }); fs.writeFileSync('out/model.onnx', 'onnx-bytes'); fs.writeFileSync('retrained.pt', 'v2-longer'); fs.writeFileSync('notes.txt', 'x');`;
    const run = await (await launchRun(nodeRun(store, code, { cwd: ws, dataInputs: ['data.csv'], scanArtifacts: true }))).done;
    assert.deepEqual(run.dataInputs, [{ path: 'data.csv', sha256: createHash('sha256').update('a,b\n1,2\n').digest('hex'), size: 8 }]);
    const arts = Object.fromEntries(run.artifacts.map((a) => [a.path, a]));
    assert.deepEqual(Object.keys(arts).sort(), ['out/model.onnx', 'retrained.pt']);
    assert.equal(arts['out/model.onnx'].sha256, createHash('sha256').update('onnx-bytes').digest('hex'));
    assert.equal(arts['retrained.pt'].size, 9);
  });
});
