/**
 * The real server on 127.0.0.1:0 with real models (ONNX backend corpus + torch-exported): every endpoint's status and
 * body, malformed requests, body limits, 503 while loading and draining, the access log and /metrics.
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { startServer, type RunningServer } from '../../../src/core/serve/startServer';
import { InferenceServer, type AccessLogEntry } from '../../../src/core/serve/inferenceServer';
import { ServedModel } from '../../../src/core/serve/servedModel';
import { silentLogger } from '../../../src/core/logger';
import { CORPUS_DIR, hasCorpus, needs, pythonHas } from '../../support/requires';
import { corpusCases, destroyAgent, postJson, request, torchModel, type CorpusCase } from './fixtures';

const HAS_TORCH = pythonHas('torch') && pythonHas('onnx');
const log: AccessLogEntry[] = [];
let server: Promise<RunningServer> | undefined;
let cases: Record<string, CorpusCase> | undefined;

function ready(t: TestContext): boolean {
  return (
    needs(t, 'libonnx-testdata', hasCorpus(), 'apt-get install libonnx-testdata') &&
    needs(t, 'python3-torch and python3-onnx', HAS_TORCH, 'apt-get install python3-torch python3-onnx')
  );
}

function start(): Promise<RunningServer> {
  server ??= startServer(
    {
      models: [
        { name: 'add', path: path.join(CORPUS_DIR, 'node/test_add/model.onnx') },
        { name: 'sigmoid', path: path.join(CORPUS_DIR, 'node/test_sigmoid/model.onnx') },
        { name: 'mlp', path: torchModel('mlp') },
        { name: 'twoinputs', path: torchModel('twoinputs') },
      ],
      port: 0,
      bodyLimitBytes: 64 * 1024,
      accessLog: (e) => log.push(e),
    },
    silentLogger,
  );
  return server;
}

function corpus(): Record<string, CorpusCase> {
  cases ??= corpusCases(['node/test_add', 'node/test_sigmoid']);
  return cases;
}

after(async () => {
  if (server) await (await server).close();
  destroyAgent();
});

const near = (actual: number[], expected: number[], tol = 1e-6) => {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) =>
    assert.ok(Math.abs(a - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])), `element ${i}: ${a} vs ${expected[i]}`),
  );
};

test('server metadata and health', async (t) => {
  if (!ready(t)) return;
  const { url } = await start();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const meta = await request(`${url}/v2`);
  assert.equal(meta.status, 200);
  assert.equal(meta.headers['content-type'], 'application/json');
  assert.equal(meta.json.name, 'mlw-serve');
  assert.equal(typeof meta.json.version, 'string');
  assert.deepEqual(meta.json.extensions, ['binary_tensor_data', 'mlw_model_stats']);
  assert.deepEqual((await request(`${url}/v2/health/live`)).json, { live: true });
  const r = await request(`${url}/v2/health/ready`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { ready: true });
});

test('model metadata, versions and readiness', async (t) => {
  if (!ready(t)) return;
  const { url } = await start();
  const add = await request(`${url}/v2/models/add`);
  assert.equal(add.status, 200);
  assert.deepEqual(add.json, {
    name: 'add',
    versions: ['1'],
    platform: 'onnxruntime_onnx',
    inputs: [
      { name: 'x', datatype: 'FP32', shape: [3, 4, 5] },
      { name: 'y', datatype: 'FP32', shape: [3, 4, 5] },
    ],
    outputs: [{ name: 'sum', datatype: 'FP32', shape: [3, 4, 5] }],
  });
  const mlp = await request(`${url}/v2/models/mlp/versions/1`);
  assert.deepEqual(mlp.json.inputs, [{ name: 'input', datatype: 'FP32', shape: [-1, 16] }]);
  assert.deepEqual(mlp.json.outputs, [{ name: 'logits', datatype: 'FP32', shape: [-1, 4] }]);
  const two = await request(`${url}/v2/models/twoinputs`);
  assert.deepEqual(
    two.json.inputs.map((i: { datatype: string }) => i.datatype),
    ['FP32', 'INT64'],
  );
  assert.deepEqual(await request(`${url}/v2/models/mlp/ready`).then((r) => [r.status, r.json]), [200, { name: 'mlp', ready: true }]);
  assert.equal((await request(`${url}/v2/models/mlp/versions/1/ready`)).status, 200);
  for (const p of [
    '/v2/models/mlp/versions/2',
    '/v2/models/mlp/versions/2/ready',
    '/v2/models/nope',
    '/v2/models/nope/ready',
    '/v2/nothing',
    '/v1/models/nope', // TF Serving's REST API answers /v1/models/mlp (tfServing.test.ts)
    '/v1/models/mlp/versions/2',
    '/v1',
    '/',
  ]) {
    const r = await request(url + p);
    assert.equal(r.status, 404, p);
    assert.equal(typeof r.json.error, 'string', p);
  }
  assert.match((await request(`${url}/v2/models/nope`)).json.error, /unknown model 'nope'/);
  const wrong = await request(`${url}/v2/models/mlp/infer`);
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.allow, 'POST');
  assert.equal((await request(`${url}/v2`, { method: 'POST', body: '{}' })).status, 405);
  assert.equal((await request(`${url}/metrics`, { method: 'DELETE' })).headers.allow, 'GET');
});

test('inference on corpus models matches the expected outputs (flat and nested data, id, requested outputs)', async (t) => {
  if (!ready(t)) return;
  const { url } = await start();
  const c = corpus()['node/test_add'];
  const [x, y] = c.inputs;
  const flat = await postJson(`${url}/v2/models/add/infer`, {
    id: 'req-1',
    inputs: [
      { name: 'x', shape: x.shape, datatype: 'FP32', data: x.data },
      { name: 'y', shape: y.shape, datatype: 'FP32', data: y.data },
    ],
  });
  assert.equal(flat.status, 200, JSON.stringify(flat.json));
  assert.equal(flat.json.model_name, 'add');
  assert.equal(flat.json.model_version, '1');
  assert.equal(flat.json.id, 'req-1');
  assert.equal(flat.json.outputs.length, 1);
  assert.deepEqual({ ...flat.json.outputs[0], data: undefined }, { name: 'sum', datatype: 'FP32', shape: [3, 4, 5], data: undefined });
  near(flat.json.outputs[0].data, c.outputs[0].data as number[]);
  // The same tensors as nested arrays.
  const nest = (d: unknown[]) =>
    Array.from({ length: 3 }, (_, i) => Array.from({ length: 4 }, (_, j) => d.slice(i * 20 + j * 5, i * 20 + j * 5 + 5)));
  const nested = await postJson(`${url}/v2/models/add/infer`, {
    inputs: [
      { name: 'y', shape: [3, 4, 5], datatype: 'FP32', data: nest(y.data) },
      { name: 'x', shape: [3, 4, 5], datatype: 'FP32', data: nest(x.data) },
    ],
    outputs: [{ name: 'sum' }],
  });
  assert.equal(nested.status, 200);
  assert.equal(nested.json.id, undefined);
  assert.deepEqual(nested.json.outputs[0].data, flat.json.outputs[0].data);
  const s = corpus()['node/test_sigmoid'];
  const sig = await postJson(`${url}/v2/models/sigmoid/versions/1/infer`, {
    inputs: [{ name: 'x', shape: s.inputs[0].shape, datatype: 'FP32', data: s.inputs[0].data }],
  });
  near(sig.json.outputs[0].data, s.outputs[0].data as number[]);
});

test('torch models: batch dimension, two inputs with INT64, results equal an in-process session.run', async (t) => {
  if (!ready(t)) return;
  const { url } = await start();
  const session = await ort.InferenceSession.create(torchModel('twoinputs'));
  const x = [0.5, -1, 2, 0, 1, 1, 1, 1];
  const ids = [1, 2, 3, 9, 0, 0];
  const r = await postJson(`${url}/v2/models/twoinputs/infer`, {
    inputs: [
      { name: 'x', shape: [2, 4], datatype: 'FP32', data: [x.slice(0, 4), x.slice(4)] },
      { name: 'ids', shape: [2, 3], datatype: 'INT64', data: ids.map(String) },
    ],
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const expected = await session.run({
    x: new ort.Tensor('float32', Float32Array.from(x), [2, 4]),
    ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [2, 3]),
  });
  assert.deepEqual(r.json.outputs[0], { name: 'y', datatype: 'FP32', shape: [2, 4], data: Array.from(expected.y.data as Float32Array) });
  assert.deepEqual(r.json.outputs[1], { name: 'idsum', datatype: 'INT64', shape: [2, 1], data: [6, 9] });
  // An index out of the embedding's range is the client's fault: 400, not a crash.
  const bad = await postJson(`${url}/v2/models/twoinputs/infer`, {
    inputs: [
      { name: 'x', shape: [1, 4], datatype: 'FP32', data: [0, 0, 0, 0] },
      { name: 'ids', shape: [1, 3], datatype: 'INT64', data: [1, 2, 99] },
    ],
  });
  assert.ok(bad.status === 400 || bad.status === 500, String(bad.status));
  assert.match(bad.json.error, /inference failed for model 'twoinputs'/);
  await session.release();
});

test('malformed requests are answered 400 with {"error"} and the server stays up', async (t) => {
  if (!ready(t)) return;
  const { url } = await start();
  const infer = `${url}/v2/models/mlp/infer`;
  const good = { name: 'input', shape: [1, 16], datatype: 'FP32', data: new Array(16).fill(0.5) };
  const cases: [unknown, RegExp][] = [
    ['{"inputs": [', /invalid JSON/],
    ['', /invalid JSON/],
    ['[1,2]', /must be a JSON object/],
    [{ inputs: 'x' }, /"inputs" must be an array/],
    [{ inputs: [{ ...good, name: 'wrong' }] }, /unexpected input 'wrong' for model 'mlp'/],
    [{ inputs: [] }, /missing 'input'/],
    [{ inputs: [good, good] }, /appears more than once/],
    [{ inputs: [{ ...good, datatype: 'FP64' }] }, /datatype is FP64 but model 'mlp' expects FP32/],
    [{ inputs: [{ ...good, datatype: 'FLOAT32' }] }, /unknown datatype/],
    [{ inputs: [{ ...good, shape: [16] }] }, /shape \[16\] does not match the model's \[-1,16\]/],
    [{ inputs: [{ ...good, shape: [1, 15] }] }, /does not match/],
    [{ inputs: [{ ...good, shape: [1, -16] }] }, /non-negative integers/],
    [{ inputs: [{ ...good, shape: [2, 16] }] }, /needs 32 elements but "data" has 16/],
    [{ inputs: [{ ...good, data: [...good.data.slice(1), 'x'] }] }, /element 15 "x" is not a number/],
    [{ inputs: [{ ...good, data: undefined }] }, /needs "data"/],
    [{ id: 1, inputs: [good] }, /"id" must be a string/],
    [{ inputs: [good], outputs: [{ name: 'nope' }] }, /unexpected output 'nope'/],
    [{ inputs: [{ ...good, data: undefined, parameters: { binary_data_size: 64 } }] }, /runs past the 0 bytes/],
  ];
  for (const [body, re] of cases) {
    const r = await postJson(infer, body);
    assert.equal(r.status, 400, `${JSON.stringify(body)} -> ${r.status} ${r.body}`);
    assert.match(r.json.error, re);
    assert.deepEqual(Object.keys(r.json), ['error']);
  }
  const twoInt = await postJson(`${url}/v2/models/twoinputs/infer`, {
    inputs: [
      { name: 'x', shape: [1, 4], datatype: 'FP32', data: [0, 0, 0, 0] },
      { name: 'ids', shape: [1, 3], datatype: 'INT64', data: [1, 2, 2 ** 53 + 2] },
    ],
  });
  assert.equal(twoInt.status, 400);
  assert.match(twoInt.json.error, /beyond ±\(2\^53-1\)/);
  const badHeader = await request(infer, {
    method: 'POST',
    body: JSON.stringify({ inputs: [good] }),
    headers: { 'Inference-Header-Content-Length': 99999 },
  });
  assert.equal(badHeader.status, 400);
  assert.match(badHeader.json.error, /exceeds the body size/);
  // Garbage that is not HTTP at all.
  const raw = await rawExchange(url, 'THIS IS NOT HTTP\r\n\r\n');
  assert.match(raw, /^HTTP\/1\.1 400/);
  // Still alive and still right.
  assert.equal((await request(`${url}/v2/health/live`)).status, 200);
  const ok = await postJson(infer, { inputs: [good] });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json.outputs[0].shape, [1, 4]);
});

/** Sends raw bytes and collects what comes back until the server closes or 2 s pass. */
function rawExchange(url: string, text: string, opts: { keepWriting?: Buffer; maxMs?: number } = {}): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write(text);
      if (opts.keepWriting) {
        const pump = () => {
          if (socket.destroyed || socket.writableEnded) return;
          if (socket.write(opts.keepWriting!)) setImmediate(pump);
          else socket.once('drain', pump);
        };
        pump();
      }
    });
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(done, opts.maxMs ?? 2000);
    socket.on('data', (c) => chunks.push(c));
    socket.on('close', done);
    socket.on('error', () => undefined);
  });
}

test('413 above the body limit: at once from Content-Length, and mid-stream for chunked bodies', async (t) => {
  if (!ready(t)) return;
  const { url } = await start();
  const t0 = Date.now();
  const declared = await rawExchange(
    url,
    `POST /v2/models/mlp/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{"inputs":`,
  );
  assert.match(declared, /^HTTP\/1\.1 413/);
  assert.match(declared, /connection: close/i);
  assert.match(declared, /"error":"request body exceeds the limit of 65536 bytes"/);
  assert.ok(Date.now() - t0 < 1900, 'answered without waiting for the body');
  // Chunked: the server answers once 64 KiB have arrived and drops the connection while the client keeps sending.
  const chunk = Buffer.from(`1000\r\n${'x'.repeat(0x1000)}\r\n`);
  const t1 = Date.now();
  const streamed = await rawExchange(url, 'POST /v2/models/mlp/infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n', {
    keepWriting: chunk,
    maxMs: 5000,
  });
  assert.match(streamed, /^HTTP\/1\.1 413/);
  assert.ok(Date.now() - t1 < 4000, `the server closed the connection (${Date.now() - t1} ms)`);
  assert.equal((await request(`${url}/v2/health/live`)).status, 200);
});

test('503 while a model is loading and while draining', async () => {
  // A handler whose model never finished loading, on a plain http server.
  const handler = new InferenceServer({
    serverName: 's',
    version: '0',
    bodyLimitBytes: 1024,
    maxBatchSize: 1,
    maxQueueDelayMs: 0,
    logger: silentLogger,
  });
  handler.models.set('m', new ServedModel('m', '/nonexistent.onnx'));
  const srv = http.createServer(handler.handle);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`;
  try {
    assert.equal((await request(`${url}/v2/health/live`)).status, 200);
    assert.deepEqual(await request(`${url}/v2/health/ready`).then((r) => [r.status, r.json]), [503, { ready: false }]);
    assert.deepEqual(await request(`${url}/v2/models/m/ready`).then((r) => [r.status, r.json]), [503, { name: 'm', ready: false }]);
    const meta = await request(`${url}/v2/models/m`);
    assert.equal(meta.status, 503);
    assert.match(meta.json.error, /not ready \(loading\)/);
    const inf = await postJson(`${url}/v2/models/m/infer`, { inputs: [] });
    assert.equal(inf.status, 503);
    assert.match(inf.json.error, /model 'm' is not ready/);
    handler.models.get('m')!.state = 'ready';
    handler.draining = true;
    const drain = await postJson(`${url}/v2/models/m/infer`, { inputs: [] });
    assert.equal(drain.status, 503);
    assert.match(drain.json.error, /shutting down/);
    assert.equal(drain.headers.connection, 'close');
    assert.equal((await request(`${url}/v2/health/ready`, { agent: false })).status, 503);
  } finally {
    srv.closeAllConnections();
    await new Promise((r) => srv.close(r));
  }
});

test('access log lines and Prometheus metrics', async (t) => {
  if (!ready(t)) return;
  const { url } = await start();
  log.length = 0;
  const body = JSON.stringify({ id: 'log-me', inputs: [{ name: 'input', shape: [1, 16], datatype: 'FP32', data: new Array(16).fill(1) }] });
  const r = await request(`${url}/v2/models/mlp/infer?debug=1`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
  assert.equal(r.status, 200);
  await postJson(`${url}/v2/models/mlp/infer`, '{');
  await new Promise((res) => setTimeout(res, 20));
  const [ok, bad] = log;
  assert.equal(ok.method, 'POST');
  assert.equal(ok.path, '/v2/models/mlp/infer');
  assert.equal(ok.status, 200);
  assert.equal(ok.model, 'mlp');
  assert.equal(ok.id, 'log-me');
  assert.equal(ok.bytesIn, Buffer.byteLength(body));
  assert.equal(ok.bytesOut, r.body.length);
  assert.ok(ok.ms > 0 && ok.batch === 1 && ok.queueMs! >= 0 && ok.inferMs! > 0);
  assert.ok(!Number.isNaN(Date.parse(ok.time)));
  assert.equal(bad.status, 400);
  assert.match(bad.error!, /invalid JSON/);

  const m = await request(`${url}/metrics`);
  assert.equal(m.status, 200);
  assert.equal(m.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  const text = m.body.toString();
  assert.match(text, /^# HELP mlw_requests_total /m);
  assert.match(text, /^mlw_requests_total\{model="mlp",code="200"\} \d+$/m);
  assert.match(text, /^mlw_requests_total\{model="mlp",code="400"\} \d+$/m);
  assert.match(text, /^mlw_request_duration_seconds_bucket\{model="mlp",le="\+Inf"\} \d+$/m);
  assert.match(text, /^mlw_inference_duration_seconds_count\{model="mlp"\} \d+$/m);
  assert.match(text, /^mlw_queue_duration_seconds_sum\{model="mlp"\} [0-9.e-]+$/m);
  assert.match(text, /^mlw_batch_size_bucket\{model="mlp",le="1"\} \d+$/m);
  assert.match(text, /^mlw_inflight_requests 1$/m, 'the scrape itself is in flight');
  assert.match(text, /^mlw_model_ready\{model="add"\} 1$/m);
  assert.match(text, /^mlw_drift_observed_values\{model="mlp",input="input",feature="0"\} \d+$/m);
  // Every sample line is name{labels} value.
  for (const line of text.trim().split('\n')) if (!line.startsWith('#')) assert.match(line, /^[a-z_]+(\{[^}]*\})? [-+0-9.eInfNa]+$/, line);
});
