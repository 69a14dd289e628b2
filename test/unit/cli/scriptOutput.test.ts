import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { scriptOutput } from '../../../src/cli/scriptOutput';
import type { CliContext } from '../../../src/cli/cliCommand';

function context(json: boolean): { ctx: CliContext; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const ctx = {
    workspace: '/',
    json,
    out: (t: string) => out.push(t),
    err: (t: string) => err.push(t),
    logger: console,
    signal: new AbortController().signal,
  } as unknown as CliContext;
  return { ctx, out, err };
}

test('script output is relayed in whole lines, across chunk boundaries and CRLF, with the last partial line on flush', () => {
  const { ctx, out, err } = context(false);
  const o = scriptOutput(ctx);
  o.emit('epoch 1 loss 0.', 'stdout');
  o.emit('5\r\nepoch 2', 'stdout');
  o.emit('warn: slow\n', 'stderr');
  assert.deepEqual(out, ['epoch 1 loss 0.5']);
  assert.deepEqual(err, ['warn: slow']);
  o.flush();
  assert.deepEqual(out, ['epoch 1 loss 0.5', 'epoch 2']);
  o.flush();
  assert.equal(out.length, 2, 'a second flush prints nothing again');
});

test("under --json the script's stdout goes to stderr, keeping stdout for the JSON document", () => {
  const { ctx, out, err } = context(true);
  const o = scriptOutput(ctx);
  o.emit('hello\n', 'stdout');
  assert.deepEqual(out, []);
  assert.deepEqual(err, ['hello']);
});
