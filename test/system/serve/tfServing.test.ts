/**
 * TensorFlow Serving's REST API on the `mlw serve` process (main.js, the same arguments and code as `mlw serve`) with
 * real torch-exported models: status, metadata, predict in the row and columnar formats with signature_name, answers
 * compared with in-process onnxruntime-node, TF Serving's {"error": ...} bodies, and the protocol-labelled metrics.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import * as ort from 'onnxruntime-node';
import { needs, pythonHas } from '../../support/requires';
import { destroyAgent, postJson, request, torchModel } from './fixtures';

const MAIN = path.resolve(__dirname, '../../../src/core/serve/main.js');
const HAS_TORCH = pythonHas('torch') && pythonHas('onnx');
let child: ChildProcess | undefined;
let url = '';
const sessions: Record<string, ort.InferenceSession> = {};

before(async () => {
  if (!HAS_TORCH) return;
  const mlp = torchModel('mlp');
  const two = torchModel('twoinputs');
  sessions.mlp = await ort.InferenceSession.create(mlp);
  sessions.twoinputs = await ort.InferenceSession.create(two);
  child = spawn(process.execPath, [MAIN, `mlp=${mlp}`, `twoinputs=${two}`, '--port', '0', '--access-log', 'off'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child!.stdout! });
    lines.on('line', (l) => {
      const e = JSON.parse(l) as { event: string; url: string };
      if (e.event === 'ready') resolve(e.url);
    });
    child!.once('exit', (code) => reject(new Error(`mlw serve exited with ${code}`)));
  });
});

after(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  for (const s of Object.values(sessions)) await s.release();
  destroyAgent();
});

const ready = (t: TestContext) => needs(t, 'python3-torch and python3-onnx', HAS_TORCH, 'apt-get install python3-torch python3-onnx');

function rows(n: number, width: number, seed: number): number[][] {
  return Array.from({ length: n }, (_, r) => Array.from({ length: width }, (_, c) => Math.fround(Math.sin(seed + r * 7.1 + c * 0.37))));
}

async function local(
  name: string,
  feeds: Record<string, ort.Tensor>,
): Promise<Record<string, { dims: readonly number[]; data: number[] }>> {
  const out = await sessions[name].run(feeds);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { dims: v.dims, data: Array.from(v.data as Float32Array, Number) }]));
}

function near(actual: number[], expected: number[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) =>
    assert.ok(Math.abs(a - expected[i]) <= 1e-6 * Math.max(1, Math.abs(expected[i])), `[${i}] ${a} vs ${expected[i]}`),
  );
}

test('model status and metadata as TF Serving answers them', async (t) => {
  if (!ready(t)) return;
  const status = await request(`${url}/v1/models/mlp`);
  assert.equal(status.status, 200);
  assert.deepEqual(status.json, {
    model_version_status: [{ version: '1', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }],
  });
  assert.equal((await request(`${url}/v1/models/mlp/versions/1`)).status, 200);
  const meta = await request(`${url}/v1/models/twoinputs/metadata`);
  assert.equal(meta.status, 200);
  assert.deepEqual(meta.json.model_spec, { name: 'twoinputs', signature_name: '', version: '1' });
  const sig = meta.json.metadata.signature_def.signature_def.serving_default;
  assert.equal(sig.method_name, 'tensorflow/serving/predict');
  assert.deepEqual(sig.inputs.x, {
    dtype: 'DT_FLOAT',
    tensor_shape: {
      dim: [
        { size: '-1', name: '' },
        { size: '4', name: '' },
      ],
      unknown_rank: false,
    },
    name: 'x',
  });
  assert.equal(sig.inputs.ids.dtype, 'DT_INT64');
  assert.deepEqual(Object.keys(sig.outputs).sort(), ['idsum', 'y']);
});

test('row format: instances of the one input, answered as predictions like in-process onnxruntime', async (t) => {
  if (!ready(t)) return;
  const instances = rows(3, 16, 1);
  const r = await postJson(`${url}/v1/models/mlp:predict`, { signature_name: 'serving_default', instances });
  assert.equal(r.status, 200, r.body.toString());
  const want = await local('mlp', { input: new ort.Tensor('float32', Float32Array.from(instances.flat()), [3, 16]) });
  assert.equal(r.json.predictions.length, 3);
  r.json.predictions.forEach((p: number[], i: number) => near(p, want.logits.data.slice(i * 4, i * 4 + 4)));
  // Same on the versioned path.
  const v = await postJson(`${url}/v1/models/mlp/versions/1:predict`, { instances });
  assert.deepEqual(v.json, r.json);
});

test('row format with named inputs and several outputs: one object per instance', async (t) => {
  if (!ready(t)) return;
  const x = rows(2, 4, 2);
  const ids = [
    [1, 2, 3],
    [4, 5, 9],
  ];
  const r = await postJson(`${url}/v1/models/twoinputs:predict`, { instances: x.map((row, i) => ({ x: row, ids: ids[i] })) });
  assert.equal(r.status, 200, r.body.toString());
  const want = await local('twoinputs', {
    x: new ort.Tensor('float32', Float32Array.from(x.flat()), [2, 4]),
    ids: new ort.Tensor('int64', BigInt64Array.from(ids.flat().map(BigInt)), [2, 3]),
  });
  assert.equal(r.json.predictions.length, 2);
  r.json.predictions.forEach((p: { y: number[]; idsum: number[] }, i: number) => {
    near(p.y, want.y.data.slice(i * 4, i * 4 + 4));
    assert.deepEqual(p.idsum, [want.idsum.data[i]]);
  });
});

test('columnar format: inputs by name (or the bare value of the one input), answered as outputs', async (t) => {
  if (!ready(t)) return;
  const x = rows(2, 4, 3);
  const ids = [
    [0, 1, 2],
    [3, 3, 3],
  ];
  const r = await postJson(`${url}/v1/models/twoinputs:predict`, { inputs: { x, ids } });
  assert.equal(r.status, 200, r.body.toString());
  const want = await local('twoinputs', {
    x: new ort.Tensor('float32', Float32Array.from(x.flat()), [2, 4]),
    ids: new ort.Tensor('int64', BigInt64Array.from(ids.flat().map(BigInt)), [2, 3]),
  });
  assert.deepEqual(Object.keys(r.json.outputs).sort(), ['idsum', 'y']);
  near(r.json.outputs.y.flat(), want.y.data);
  assert.deepEqual(r.json.outputs.idsum, [[want.idsum.data[0]], [want.idsum.data[1]]]);

  const one = rows(1, 16, 4);
  const m = await postJson(`${url}/v1/models/mlp:predict`, { inputs: one });
  assert.equal(m.status, 200, m.body.toString());
  const wantMlp = await local('mlp', { input: new ort.Tensor('float32', Float32Array.from(one.flat()), [1, 16]) });
  assert.equal(m.json.outputs.length, 1, 'a single output is the bare nested value');
  near(m.json.outputs[0], wantMlp.logits.data);
});

test('bad input gets TF Serving\'s {"error": ...} body with a 4xx status', async (t) => {
  if (!ready(t)) return;
  const cases: [string, unknown, number, RegExp][] = [
    ['mlp:predict', '{"instances": [', 400, /invalid JSON/],
    ['mlp:predict', { instances: rows(1, 16, 0), signature_name: 'classify_x' }, 400, /signature name: "classify_x" not found/],
    ['mlp:predict', { instances: rows(1, 16, 0), inputs: rows(1, 16, 0) }, 400, /either "instances".*or "inputs"/],
    ['mlp:predict', {}, 400, /either "instances"/],
    ['mlp:predict', { instances: rows(1, 15, 0) }, 400, /shape \[1,15\] does not match/],
    ['mlp:predict', { instances: [rows(1, 16, 0)[0], [1, 2]] }, 400, /instance 1 has a different shape/],
    ['mlp:predict', { instances: [Array(16).fill('a')] }, 400, /input 'input'/],
    ['twoinputs:predict', { instances: [{ x: [1, 2, 3, 4] }] }, 400, /missing input 'ids'/],
    ['twoinputs:predict', { inputs: { x: rows(1, 4, 0), ids: [[1, 2, 3]], z: 1 } }, 400, /unexpected input 'z'/],
    ['twoinputs:predict', { instances: [[1, 2, 3, 4]] }, 400, /takes 2 inputs/],
    ['nope:predict', { instances: [[1]] }, 404, /unknown model 'nope'/],
    ['mlp/versions/7:predict', { instances: rows(1, 16, 0) }, 404, /no version '7'/],
    ['mlp/labels/stable:predict', { instances: rows(1, 16, 0) }, 404, /no version label 'stable'/],
  ];
  for (const [p, body, status, message] of cases) {
    const r = await postJson(`${url}/v1/models/${p}`, body);
    assert.equal(r.status, status, `${p} ${JSON.stringify(body).slice(0, 80)}: ${r.body.toString()}`);
    assert.deepEqual(Object.keys(r.json), ['error']);
    assert.match(r.json.error, message);
  }
  const get = await request(`${url}/v1/models/mlp:predict`);
  assert.equal(get.status, 405);
  assert.equal(get.headers.allow, 'POST');
  assert.equal((await request(`${url}/v1/models/nope`)).status, 404);
});

test('TF Serving requests share the batching counters and are labelled tfserving in /metrics', async (t) => {
  if (!ready(t)) return;
  const before = await request(`${url}/v2/models/mlp/stats`);
  await Promise.all(Array.from({ length: 8 }, (_, i) => postJson(`${url}/v1/models/mlp:predict`, { instances: rows(1, 16, i) })));
  const after = await request(`${url}/v2/models/mlp/stats`);
  assert.equal(after.json.inference_stats.success - before.json.inference_stats.success, 8);
  assert.ok(after.json.drift.inputs[0].observed > 0, 'drift statistics observe TF Serving rows too');
  const m = (await request(`${url}/metrics`)).body.toString();
  assert.match(m, /^mlw_protocol_requests_total\{model="mlp",protocol="tfserving",code="200"\} \d+$/m);
  assert.match(m, /^mlw_protocol_requests_total\{model="mlp",protocol="tfserving",code="400"\} \d+$/m);
  assert.match(m, /^mlw_requests_total\{model="mlp",code="200"\} \d+$/m);
});
