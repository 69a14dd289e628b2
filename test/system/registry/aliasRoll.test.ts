/**
 * `mlw serve clf@champion` follows the alias for real: two Gemm classifiers written by python3-onnx, registered as
 * versions 1 and 2 through the built CLI; a load generator keeps 4 requests in flight while `mlw registry promote`
 * moves champion, and again while `mlw registry rollback` moves it back. Every request must answer 200, and the
 * answers must switch from version 1's outputs to version 2's (and back), as in-process onnxruntime-node computes
 * them from the two files.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { close, expected, loadGenerator, MLW, mlwAsync, writeTwoVersions } from '../../support/aliasRollSupport';
import { needs, pythonHas } from '../../support/requires';
import { tempDir } from '../../unit/runs/runsTestSupport';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mlw serve NAME@ALIAS', () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('rolls to the promoted version and back with zero failed requests under load', async (t) => {
    if (!needs(t, 'python3-onnx', pythonHas('onnx'), 'apt-get install -y python3-onnx')) return;
    const ws = tempDir('mlw-alias-roll-');
    const [v1, v2] = writeTwoVersions(ws);
    const [e1, e2] = [await expected(v1), await expected(v2)];
    assert.ok(!close(e1, e2), 'the two versions must answer differently');
    assert.equal((await mlwAsync(ws, ['registry', 'register', v1, '--name', 'clf', '--alias', 'champion'])).code, 0);
    assert.equal((await mlwAsync(ws, ['registry', 'register', v2, '--name', 'clf'])).code, 0);

    const bad = await mlwAsync(ws, ['serve', 'clf@staging', '--port', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /clf has no alias "staging" \(aliases: champion -> 1\)/);

    const server = spawn(process.execPath, [MLW, '--workspace', ws, 'serve', 'clf@champion', '--port', '0', '--access-log', 'off'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(server);
    const events: Record<string, unknown>[] = [];
    let stderr = '';
    server.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    let buf = '';
    server.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith('{')) events.push(JSON.parse(line) as Record<string, unknown>);
      }
    });
    const waitEvent = async (pred: (e: Record<string, unknown>) => boolean, what: string, ms = 30_000) => {
      const deadline = Date.now() + ms;
      for (;;) {
        const e = events.find(pred);
        if (e) return e;
        if (Date.now() > deadline || server.exitCode !== null) throw new Error(`no ${what} from the server within ${ms} ms: ${stderr}`);
        await sleep(20);
      }
    };
    const ready = await waitEvent((e) => e.event === 'ready', 'ready event');
    const url = ready.url as string;

    const load = loadGenerator(url);
    t.after(() => load.stop());
    await sleep(400);
    const promoteAt = Date.now();
    const promoted = await mlwAsync(ws, ['registry', 'promote', 'clf', '2']);
    assert.equal(promoted.code, 0, `${promoted.out}${promoted.err}\nserver: ${stderr}\n${JSON.stringify(events)}`);
    assert.match(promoted.out, /clf@champion -> version 2 \(was 1\)/);
    assert.match(
      promoted.out,
      new RegExp(
        `rolled ${url.replace(/[.]/g, '\\.')}: clf@champion version 1 -> 2 in \\d+ ms \\(local server \\(pid ${server.pid}\\) rolled\\)`,
      ),
    );
    await sleep(400);
    const rollbackAt = Date.now();
    const back = await mlwAsync(ws, ['registry', 'rollback', 'clf']);
    assert.equal(back.code, 0, back.err);
    assert.match(back.out, /rolled .*: clf@champion version 2 -> 1/);
    await sleep(400);
    await load.stop();

    const failed = load.answers.filter((a) => a.status !== 200);
    assert.equal(failed.length, 0, `failed requests: ${JSON.stringify(failed.slice(0, 3))}`);
    assert.ok(load.answers.length > 100, `only ${load.answers.length} requests were sent`);
    for (const a of load.answers) assert.ok(close(a.logits!, e1) || close(a.logits!, e2), `an answer of neither version: ${a.logits}`);
    assert.ok(
      load.answers.filter((a) => a.at < promoteAt).every((a) => close(a.logits!, e1)),
      'before the promotion: version 1',
    );
    const between = load.answers.filter((a) => a.at > promoteAt && a.at < rollbackAt);
    assert.ok(close(between.at(-1)!.logits!, e2), 'after the promotion the answers are version 2');
    assert.ok(close(load.answers.at(-1)!.logits!, e1), 'after the rollback the answers are version 1 again');
    const rolls = events.filter((e) => e.event === 'rolled');
    assert.deepEqual(
      rolls.map((e) => [e.model, e.ref, e.from, e.to]),
      [
        ['clf', 'clf@champion', 1, 2],
        ['clf', 'clf@champion', 2, 1],
      ],
    );

    server.kill('SIGTERM');
    await waitEvent((e) => e.event === 'closed', 'closed event', 15_000);
    const list = readdirSync(path.join(ws, '.mlw', 'deployments'));
    assert.deepEqual(
      list.filter((f) => f.endsWith('.json')),
      [],
      'the server removes its deployment record when it stops',
    );
  });
});
