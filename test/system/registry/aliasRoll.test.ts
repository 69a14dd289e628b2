/**
 * `mlw serve clf@champion` follows the alias for real: two Gemm classifiers written by python3-onnx, registered as
 * versions 1 and 2 through the built CLI; a load generator keeps 4 requests in flight while `mlw registry promote`
 * moves champion, and again while `mlw registry rollback` moves it back. Every request must answer 200, and the
 * answers must switch from version 1's outputs to version 2's (and back), as in-process onnxruntime-node computes
 * them from the two files.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { REPO_ROOT, tempDir } from '../../unit/runs/runsTestSupport';

const MLW = path.join(REPO_ROOT, 'dist', 'mlw.js');
const INPUT = [0.5, -1.25, 2, 0.75];

const WRITE_MODEL = `import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
scale = float(sys.argv[2])
W = numpy_helper.from_array((np.arange(12, dtype=np.float32).reshape(4, 3) * scale - 2).astype(np.float32), "W")
B = numpy_helper.from_array(np.array([scale, -scale, 0.5], dtype=np.float32), "B")
g = helper.make_graph([helper.make_node("Gemm", ["input", "W", "B"], ["logits"])], "clf",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 4])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 3])], initializer=[W, B])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 8
onnx.save(m, sys.argv[1])
`;

/** Runs the built CLI without blocking this event loop (the load generator keeps going). */
function mlwAsync(ws: string, args: string[], timeoutMs = 120_000): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MLW, '--workspace', ws, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mlw ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

async function expected(file: string): Promise<number[]> {
  const s = await ort.InferenceSession.create(file);
  const r = await s.run({ input: new ort.Tensor('float32', Float32Array.from(INPUT), [1, 4]) });
  const out = Array.from(r.logits.data as Float32Array);
  await s.release();
  return out;
}

const close = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) < 1e-4);

interface Answer {
  at: number;
  status: number;
  logits?: number[];
  error?: string;
}

/** Keeps `concurrency` requests in flight until stopped; each answer recorded. */
function loadGenerator(url: string, concurrency = 4) {
  const answers: Answer[] = [];
  let running = true;
  const body = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: INPUT }] });
  const worker = async () => {
    while (running) {
      try {
        const res = await fetch(`${url}/v2/models/clf/infer`, {
          method: 'POST',
          body,
          headers: { 'Content-Type': 'application/json' },
          signal: AbortSignal.timeout(10_000),
        });
        const json = (await res.json()) as { outputs?: { data: number[] }[]; error?: string };
        answers.push({ at: Date.now(), status: res.status, logits: json.outputs?.[0]?.data, error: json.error });
      } catch (e) {
        answers.push({ at: Date.now(), status: 0, error: (e as Error).message });
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    answers,
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mlw serve NAME@ALIAS', () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('rolls to the promoted version and back with zero failed requests under load', async (t) => {
    if (!needs(t, 'python3-onnx', pythonHas('onnx'), 'apt-get install -y python3-onnx')) return;
    const ws = tempDir('mlw-alias-roll-');
    const script = path.join(ws, 'write_model.py');
    writeFileSync(script, WRITE_MODEL);
    const v1 = path.join(ws, 'clf_a.onnx');
    const v2 = path.join(ws, 'clf_b.onnx');
    for (const [file, scale] of [
      [v1, '1'],
      [v2, '3'],
    ]) {
      const r = spawnSync(SYSTEM_PYTHON, [script, file, scale], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
    }
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
