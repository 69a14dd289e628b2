/**
 * Request capture for real: a torch-exported MLP on onnxruntime-node, requests over OIP v2 (JSON and binary) and
 * TF Serving, and the system Python's numpy reading the captured .npy chunks back (np.load) to match them with
 * what was sent and answered. Also: off by default, the rate respected statistically, rotation and the size cap,
 * a full queue dropping rather than waiting, and the drift state file that the registry's no_drift gate reads,
 * written by a server that sees drifted traffic.
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { serveCommand } from '../../../src/cli/commands/serve';
import { profileCommand } from '../../../src/cli/commands/profile';
import type { CliContext } from '../../../src/cli/cliCommand';
import { silentLogger, type Logger } from '../../../src/core/logger';
import { parseServeArgs, ServeArgsError } from '../../../src/core/serve/serveArgs';
import { startServer, type RunningServer } from '../../../src/core/serve/startServer';
import { ModelCapture } from '../../../src/core/serve/capture/modelCapture';
import { readDriftState } from '../../../src/core/registry/driftState';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { REPO_ROOT } from '../../unit/runs/runsTestSupport';
import { binaryBody, destroyAgent, parseBinaryResponse, postJson, request, torchModel } from './fixtures';

const HAS_TORCH = pythonHas('numpy') && pythonHas('torch') && pythonHas('onnx');
const root = mkdtempSync(path.join(os.tmpdir(), 'mlw-capture-'));
const servers: RunningServer[] = [];
const MLW = path.join(REPO_ROOT, 'dist', 'mlw.js');

after(async () => {
  for (const s of servers) await s.close();
  destroyAgent();
  rmSync(root, { recursive: true, force: true });
});

const ready = (t: TestContext) =>
  needs(t, 'python3-torch, python3-onnx and numpy', HAS_TORCH, 'apt-get install python3-torch python3-onnx python3-numpy');

/** A workspace with the mlp model copied in as mlp.onnx. */
function workspace(name: string): string {
  const ws = path.join(root, name);
  mkdirSync(ws, { recursive: true });
  copyFileSync(torchModel('mlp'), path.join(ws, 'mlp.onnx'));
  return ws;
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warn: (m: string | Error) => void warnings.push(String(m)), warnings };
}

async function serve(ws: string, args: string[], logger: Logger = silentLogger): Promise<RunningServer> {
  const { options } = await parseServeArgs(['mlp.onnx', '--port', '0', ...args], ws, {});
  const server = await startServer(options, logger);
  servers.push(server);
  return server;
}

/** Rows of 16 features whose first value is the row's number, so a captured row says which request it came from. */
const rowsOf = (first: number, n: number) =>
  Array.from({ length: n * 16 }, (_, i) => (i % 16 === 0 ? first + i / 16 : Math.sin(first + i)));

/** Every index line of a model's capture folder, in chunk order, and numpy's reading of the rows it points at. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function readBack(dir: string): { lines: any[]; npy: Record<string, { shape: number[]; dtype: string; data: number[] }> } {
  const files = readdirSync(dir).sort();
  const lines = files
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').trim().split('\n').filter(Boolean))
    .map((l) => JSON.parse(l));
  const out = execFileSync(
    SYSTEM_PYTHON,
    [
      '-c',
      `
import numpy as np, json, os, sys
d = sys.argv[1]
res = {}
for f in sorted(os.listdir(d)):
    if f.endswith('.npy'):
        a = np.load(os.path.join(d, f))
        res[f] = {'shape': list(a.shape), 'dtype': str(a.dtype), 'data': a.astype('f8').reshape(-1).tolist()}
print(json.dumps(res))
`,
      dir,
    ],
    { encoding: 'utf8', maxBuffer: 256 * 2 ** 20, timeout: 60_000 },
  );
  return { lines, npy: JSON.parse(out) };
}

/** The rows [a, b) of a captured file as numpy read it. */
function rowsIn(npy: ReturnType<typeof readBack>['npy'], file: string, [a, b]: [number, number]): number[] {
  const f = npy[file];
  assert.ok(f, `numpy read ${file}`);
  const width = f.shape.slice(1).reduce((x, y) => x * y, 1);
  assert.ok(b <= f.shape[0], `${file} holds rows up to ${b} (shape ${f.shape})`);
  return f.data.slice(a * width, b * width);
}

function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
}

test('capture is off by default: no folder, no counters, /stats says disabled; bad flags are one-line usage errors', async (t) => {
  if (!ready(t)) return;
  const ws = workspace('off');
  const server = await serve(ws, []);
  for (let i = 0; i < 20; i++)
    assert.equal(
      (
        await postJson(`${server.url}/v2/models/mlp/infer`, {
          inputs: [{ name: 'input', shape: [1, 16], datatype: 'FP32', data: rowsOf(i, 1) }],
        })
      ).status,
      200,
    );
  const stats = (await request(`${server.url}/v2/models/mlp/stats`)).json;
  assert.deepEqual(stats.capture, { enabled: false });
  assert.doesNotMatch((await request(`${server.url}/metrics`)).body.toString(), /mlw_capture/);
  await server.close();
  assert.equal(existsSync(path.join(ws, '.mlw', 'captures')), false);

  const bad = async (args: string[], re: RegExp) => {
    await assert.rejects(parseServeArgs(['mlp.onnx', ...args], ws, {}), (e: Error) => e instanceof ServeArgsError && re.test(e.message));
  };
  await bad(['--capture', '10%'], /^--capture must be a fraction of requests in \[0, 1\], e\.g\. 0\.1 for 10 %, got "10%"$/);
  await bad(['--capture', '1.5'], /--capture must be a fraction/);
  await bad(['--capture-dir', 'x'], /^--capture-dir needs --capture RATE/);
  await bad(['--capture', '0.1', '--capture-max-mb', '0'], /^--capture-max-mb must be a number of megabytes > 0, got "0"$/);
  assert.equal((await parseServeArgs(['mlp.onnx', '--capture', '0'], ws, {})).options.capture, undefined);
  // The container's variables turn it on; a flag wins over its variable.
  const env = { MLW_CAPTURE: '0.25', MLW_CAPTURE_DIR: '/mlw/captures', MLW_CAPTURE_MAX_MB: '2' };
  const fromEnv = (await parseServeArgs(['mlp.onnx'], ws, env)).options.capture!;
  assert.deepEqual([fromEnv.rate, fromEnv.dir, fromEnv.maxBytes], [0.25, '/mlw/captures', 2 * 2 ** 20]);
  assert.equal((await parseServeArgs(['mlp.onnx', '--capture', '0.5'], ws, env)).options.capture!.rate, 0.5);
});

test('--capture 0.1 over OIP JSON, OIP binary and TF Serving: about a tenth captured, numpy reads back what was sent and answered', async (t) => {
  if (!ready(t)) return;
  const ws = workspace('rate');
  const server = await serve(ws, ['--capture', '0.1']);
  const N = 1500;
  const answers = new Map<number, number[]>();
  const send = async (i: number) => {
    const rows = 1 + (i % 3);
    const data = rowsOf(i * 10, rows);
    let logits: number[];
    if (i % 3 === 0) {
      const r = await postJson(`${server.url}/v2/models/mlp/infer`, {
        id: `req-${i}`,
        inputs: [{ name: 'input', shape: [rows, 16], datatype: 'FP32', data }],
      });
      assert.equal(r.status, 200);
      logits = r.json.outputs[0].data;
    } else if (i % 3 === 1) {
      const { body, headers } = binaryBody(
        {
          id: `req-${i}`,
          inputs: [{ name: 'input', shape: [rows, 16], datatype: 'FP32', parameters: { binary_data_size: rows * 64 } }],
          outputs: [{ name: 'logits', parameters: { binary_data: true } }],
        },
        [Buffer.from(new Float32Array(data).buffer)],
      );
      const r = await request(`${server.url}/v2/models/mlp/infer`, { method: 'POST', body, headers });
      assert.equal(r.status, 200);
      const blob = parseBinaryResponse(r).blobs.get('logits')!;
      logits = Array.from(new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.length)));
    } else {
      const instances = Array.from({ length: rows }, (_, k) => data.slice(k * 16, k * 16 + 16));
      const r = await postJson(`${server.url}/v1/models/mlp:predict`, { instances });
      assert.equal(r.status, 200);
      logits = (r.json.predictions as number[][]).flat();
    }
    answers.set(i * 10, logits);
  };
  for (let i = 0; i < N; i += 10) await Promise.all(Array.from({ length: 10 }, (_, k) => send(i + k)));
  const live = (await request(`${server.url}/v2/models/mlp/stats`)).json.capture;
  assert.equal(live.enabled, true);
  assert.equal(live.rate, 0.1);
  await server.close();

  const dir = path.join(ws, '.mlw', 'captures', 'mlp');
  const { lines, npy } = readBack(dir);
  // Binomial(1500, 0.1): mean 150, sd 11.6; [100, 200] is more than 4 sd either side.
  assert.ok(lines.length >= 100 && lines.length <= 200, `captured ${lines.length} of ${N}`);
  assert.deepEqual(new Set(lines.map((l) => l.protocol)), new Set(['v2', 'tfserving']));
  assert.deepEqual(
    lines.map((l) => l.seq),
    lines.map((_, i) => i + 1),
  );
  for (const l of lines) {
    assert.equal(l.model, 'mlp');
    assert.ok(!Number.isNaN(Date.parse(l.time)));
    const [input] = l.inputs;
    assert.equal(input.name, 'input');
    assert.equal(input.datatype, 'FP32');
    const rows = input.shape[0];
    assert.deepEqual(input.shape, [rows, 16]);
    assert.equal(input.rows[1] - input.rows[0], rows);
    const got = rowsIn(npy, input.file, input.rows);
    const first = got[0];
    const i = first / 10;
    if (l.protocol === 'v2') assert.equal(l.id, `req-${i}`);
    else assert.equal(l.id, null);
    assert.deepEqual(got, rowsOf(first, rows).map(Math.fround), `request ${i}: input rows as sent`);
    const [output] = l.outputs;
    assert.deepEqual(output.shape, [rows, 4]);
    const logits = rowsIn(npy, output.file, output.rows);
    assert.deepEqual(logits, answers.get(first)!.map(Math.fround), `request ${i}: output rows as answered`);
    const argmax = Array.from({ length: rows }, (_, r) => {
      const row = logits.slice(r * 4, r * 4 + 4);
      return row.indexOf(Math.max(...row));
    });
    assert.deepEqual(l.prediction.logits.argmax, argmax);
  }
  assert.equal(npy['chunk-000001.inputs.input.npy'].dtype, 'float32');
  assert.deepEqual(
    Object.keys(npy),
    ['chunk-000001.inputs.input.npy', 'chunk-000001.outputs.logits.npy'],
    'one chunk: nothing reached the rotation size',
  );
  assert.equal(
    npy['chunk-000001.inputs.input.npy'].shape[0],
    lines.reduce((n, l) => n + l.inputs[0].shape[0], 0),
  );
});

test('rotation and the size cap: chunks of about the rotation size, capture stops at the cap, says so once in the log and in /stats', async (t) => {
  if (!ready(t)) return;
  const ws = workspace('cap');
  const logger = recordingLogger();
  // 25 rows a request: 1600 bytes in, 400 out. Rotate every ~10 KB, stop at ~60 KB.
  const server = await serve(
    ws,
    ['--capture', '1', '--capture-dir', 'caps', '--capture-rotate-mb', '0.01', '--capture-max-mb', '0.06'],
    logger,
  );
  for (let i = 0; i < 60; i++) {
    const r = await postJson(`${server.url}/v2/models/mlp/infer`, {
      id: `r${i}`,
      inputs: [{ name: 'input', shape: [25, 16], datatype: 'FP32', data: rowsOf(i * 100, 25) }],
    });
    assert.equal(r.status, 200);
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let stats: any;
  const deadline = Date.now() + 10_000;
  do {
    await new Promise((r) => setTimeout(r, 50));
    stats = (await request(`${server.url}/v2/models/mlp/stats`)).json.capture;
  } while (stats.captured + stats.dropped.size_cap < 60 && Date.now() < deadline);
  assert.match(stats.stopped, /^size cap of 0\.06 MB reached in /);
  assert.equal(stats.captured + stats.dropped.size_cap, 60);
  assert.ok(stats.dropped.size_cap > 0);
  const metrics = (await request(`${server.url}/metrics`)).body.toString();
  assert.match(metrics, new RegExp(`mlw_capture_requests_total\\{model="mlp"\\} ${stats.captured}\\n`));
  assert.match(metrics, new RegExp(`mlw_capture_dropped_total\\{model="mlp",reason="size_cap"\\} ${stats.dropped.size_cap}\\n`));
  await server.close();
  assert.equal(logger.warnings.filter((w) => /capture of model 'mlp' stopped: size cap/.test(w)).length, 1, logger.warnings.join('\n'));

  const dir = path.join(ws, 'caps', 'mlp');
  assert.ok(dirBytes(dir) <= 0.06 * 2 ** 20, `${dirBytes(dir)} bytes on disk`);
  const { lines, npy } = readBack(dir);
  assert.equal(lines.length, stats.captured);
  const chunks = [...new Set(readdirSync(dir).map((f) => f.split('.')[0]))].sort();
  assert.ok(chunks.length >= 4, `chunks: ${chunks.join(', ')}`);
  for (const c of chunks.slice(0, -1)) {
    const size = readdirSync(dir)
      .filter((f) => f.startsWith(`${c}.`))
      .reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
    assert.ok(size >= 0.01 * 2 ** 20 && size < 0.01 * 2 ** 20 + 3000, `${c}: ${size} bytes`);
  }
  // Captured in order, each request's rows where its line says, rows contiguous within a chunk.
  lines.forEach((l, k) => {
    assert.equal(l.id, `r${k}`);
    assert.deepEqual(rowsIn(npy, l.inputs[0].file, l.inputs[0].rows), rowsOf(k * 100, 25).map(Math.fround));
    assert.ok(l.inputs[0].file.startsWith(`${l.outputs[0].file.split('.')[0]}.`));
  });

  // A restarted server goes on after the last chunk and counts what the folder holds against the cap.
  const again = await serve(ws, ['--capture', '1', '--capture-dir', 'caps', '--capture-max-mb', '1']);
  await postJson(`${again.url}/v2/models/mlp/infer`, {
    id: 'after',
    inputs: [{ name: 'input', shape: [1, 16], datatype: 'FP32', data: rowsOf(7, 1) }],
  });
  await again.close();
  const next = `chunk-${String(Number(chunks[chunks.length - 1].slice(6)) + 1).padStart(6, '0')}`;
  assert.equal(JSON.parse(readFileSync(path.join(dir, `${next}.jsonl`), 'utf8')).id, 'after');
});

test('a full capture queue drops and counts instead of waiting', async () => {
  const dir = path.join(root, 'queue');
  const capture = new ModelCapture('m', { rate: 1, dir, maxBytes: 2 ** 20, rotateBytes: 2 ** 20, queueLimit: 2 }, silentLogger);
  const entry = (i: number) => ({
    time: new Date().toISOString(),
    id: String(i),
    protocol: 'v2',
    inputs: [{ name: 'x', tensor: { datatype: 'FP32' as const, shape: [1, 2], data: new Float32Array([i, i]) } }],
    outputs: [{ name: 'y', tensor: { datatype: 'INT64' as const, shape: [1], data: new BigInt64Array([BigInt(i)]) } }],
  });
  // Offered in one turn: the writer takes the queue only later (flushDelayMs), so the third finds it full.
  assert.deepEqual(
    [0, 1, 2, 3].map((i) => capture.offer(entry(i))),
    [true, true, false, false],
  );
  await capture.close();
  assert.equal(capture.captured, 2);
  assert.deepEqual(capture.dropped, { queue_full: 2, size_cap: 0, error: 0 });
  const lines = readFileSync(path.join(dir, 'm', 'chunk-000001.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => [l.id, l.prediction.y.values]),
    [
      ['0', [0]],
      ['1', [1]],
    ],
  );
});

test('drifted traffic: the server writes .mlw/drift/mlp.json, and mlw registry promote with a no_drift gate refuses with the reason', async (t) => {
  if (!ready(t)) return;
  if (!needs(t, 'dist/mlw.js', existsSync(MLW), 'npm run build')) return;
  const ws = workspace('drift');
  execFileSync(SYSTEM_PYTHON, [
    '-c',
    `import numpy as np; np.save(${JSON.stringify(path.join(ws, 'ref.npy'))}, np.random.default_rng(0).normal(0, 1, (2000, 16)).astype('<f4'))`,
  ]);
  const ctx = (lines: string[], signal: AbortSignal): CliContext => ({
    workspace: ws,
    json: false,
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    logger: silentLogger,
    signal,
  });
  assert.equal(await profileCommand.run(['ref.npy', '-o', 'mlp.profile.json'], ctx([], new AbortController().signal)), 0);
  const abort = new AbortController();
  const lines: string[] = [];
  const running = serveCommand.run(
    ['mlp.onnx', '--port', '0', '--reference', 'mlp.profile.json', '--access-log', 'off'],
    ctx(lines, abort.signal),
  );
  t.after(async () => {
    abort.abort();
    await running.catch(() => undefined);
  });
  let url: string | undefined;
  for (const deadline = Date.now() + 30_000; !url && Date.now() < deadline; await new Promise((r) => setTimeout(r, 50)))
    url = lines.map((l) => JSON.parse(l)).find((e) => e.event === 'ready')?.url;
  assert.ok(url, lines.join('\n'));
  // N(0, 1) like the reference (Box-Muller on a small LCG), with feature 3 shifted by 3 sd.
  let s = 11;
  const normal = () => {
    s = (s * 16807) % 2147483647;
    const u = s / 2147483647;
    s = (s * 16807) % 2147483647;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos((2 * Math.PI * s) / 2147483647);
  };
  for (let r = 0; r < 20; r++) {
    const data = Array.from({ length: 25 * 16 }, (_, i) => normal() + (i % 16 === 3 ? 3 : 0));
    assert.equal(
      (await postJson(`${url}/v2/models/mlp/infer`, { inputs: [{ name: 'input', shape: [25, 16], datatype: 'FP32', data }] })).status,
      200,
    );
  }
  const file = path.join(ws, '.mlw', 'drift', 'mlp.json');
  let state = await readDriftState(ws, 'mlp');
  for (const deadline = Date.now() + 10_000; !(state.recorded && state.observed >= 500) && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 200));
    state = await readDriftState(ws, 'mlp');
  }
  assert.ok(state.recorded, JSON.stringify(state));
  assert.equal(state.observed, 500);
  assert.equal(state.drifted[0].feature, 'input[3]');
  assert.ok(state.drifted[0].psi > 1, JSON.stringify(state.drifted));
  assert.equal(state.drifted.length, 1, 'the other features are as in the reference');
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).written_by, 'mlw serve');

  const mlw = (args: string[]) => spawnSync(process.execPath, [MLW, '--workspace', ws, ...args], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(mlw(['registry', 'register', 'mlp.onnx', '--name', 'mlp']).status, 0);
  execFileSync('sh', ['-c', `printf 'registry:\\n  mlp:\\n    gates: ["no_drift"]\\n' > mlw.yaml`], { cwd: ws });
  const refused = mlw(['registry', 'promote', 'mlp', '1']);
  assert.equal(refused.status, 1, refused.stdout + refused.stderr);
  assert.match(
    refused.stderr,
    /refused: 1 of 1 gate failed: no_drift \(drift: input\[3\] PSI \d+(\.\d+)? > 0\.2 \(\.mlw\/drift\/mlp\.json\)\)/,
  );
});
