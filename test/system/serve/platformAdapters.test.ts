/**
 * The platform contracts (SageMaker, Vertex AI, Azure ML) chosen by platformContract from an environment, on the real
 * server with a real torch-exported model; every answer compared with in-process onnxruntime-node. The same contracts
 * in the built image on the real Docker engine: test/system/docker/platformImage.test.ts.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { startServer, type RunningServer } from '../../../src/core/serve/startServer';
import { parseServeArgs } from '../../../src/core/serve/serveArgs';
import { platformContract } from '../../../src/core/serve/platform/platformContract';
import { parseNpy } from '../../../src/core/ort/parseNpy';
import { writeNpyOf } from '../../../src/core/ort/writeNpy';
import { silentLogger } from '../../../src/core/logger';
import { needs, pythonHas } from '../../support/requires';
import { destroyAgent, postJson, request, torchModel } from './fixtures';

const HAS_TORCH = pythonHas('torch') && pythonHas('onnx');
const servers: RunningServer[] = [];
let dir = '';
let session: ort.InferenceSession;

before(async () => {
  if (!HAS_TORCH) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'mlw-platform-'));
  copyFileSync(torchModel('mlp'), path.join(dir, 'mlp.onnx'));
  session = await ort.InferenceSession.create(path.join(dir, 'mlp.onnx'));
});

after(async () => {
  for (const s of servers) await s.close();
  await session?.release();
  if (dir) rmSync(dir, { recursive: true, force: true });
  destroyAgent();
});

const ready = (t: TestContext) => needs(t, 'python3-torch and python3-onnx', HAS_TORCH, 'apt-get install python3-torch python3-onnx');

async function start(argv: string[], env: Record<string, string>): Promise<RunningServer> {
  const contract = platformContract(argv, env);
  assert.ok(contract);
  const args = contract.args.map((a, i) => (contract.args[i - 1] === '--port' ? '0' : contract.args[i - 1] === '--host' ? '127.0.0.1' : a));
  const { options } = await parseServeArgs(args);
  const s = await startServer({ ...options, adapters: contract.adapters }, silentLogger);
  servers.push(s);
  return s;
}

function rows(n: number, seed: number): number[][] {
  return Array.from({ length: n }, (_, r) => Array.from({ length: 16 }, (_, c) => Math.fround(Math.cos(seed + r * 3.3 + c * 0.21))));
}

async function expected(x: number[][]): Promise<number[][]> {
  const out = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x.flat()), [x.length, 16]) });
  const d = Array.from(out.logits.data as Float32Array);
  return x.map((_, i) => d.slice(i * 4, i * 4 + 4));
}

function near(actual: number[][], want: number[][]): void {
  assert.equal(actual.length, want.length);
  actual.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - want[i][j]) <= 1e-6, `[${i},${j}] ${v} vs ${want[i][j]}`)));
}

test('contract detection: SageMaker by the serve argument, Vertex by AIP_*, Azure by AZUREML_MODEL_DIR, none otherwise', () => {
  assert.equal(platformContract(['--port', '8080', '/models/m.onnx'], {}), undefined);
  const sm = platformContract(['serve'], {
    MLW_MODEL: '/models/m.onnx',
    SAGEMAKER_BIND_TO_PORT: '9000',
    MLW_SAGEMAKER_MODEL_DIR: '/nonexistent',
  });
  assert.deepEqual([sm?.platform, sm?.args], ['sagemaker', ['--host', '0.0.0.0', '--port', '9000', '/models/m.onnx']]);
  const vx = platformContract(['--host', '0.0.0.0', '--port', '8080', '/models/m.onnx'], {
    AIP_HTTP_PORT: '7080',
    AIP_STORAGE_URI: 'gs://b/m',
  });
  assert.deepEqual([vx?.platform, vx?.args], ['vertex', ['--host', '0.0.0.0', '--port', '7080', '/models/m.onnx']]);
  assert.match(vx!.notices.join('\n'), /gs:\/\/b\/m is not a local folder/);
  const az = platformContract(['/models/m.onnx'], { AZUREML_MODEL_DIR: dir || '/nonexistent' });
  assert.equal(az?.platform, 'azureml');
  assert.equal(platformContract(['serve'], { MLW_PLATFORM: 'none' }), undefined);
  assert.throws(() => platformContract([], { MLW_PLATFORM: 'heroku' }), /MLW_PLATFORM must be/);
});

test('SageMaker: /ping, /invocations in JSON (OIP and instances), CSV and NPY, answered in the Accept type', async (t) => {
  if (!ready(t)) return;
  const s = await start(['serve'], { MLW_SAGEMAKER_MODEL_DIR: dir });
  assert.equal((await request(`${s.url}/ping`)).status, 200);
  const x = rows(3, 1);
  const want = await expected(x);
  const inst = await postJson(`${s.url}/invocations`, { instances: x });
  assert.equal(inst.status, 200, inst.body.toString());
  near(inst.json.predictions, want);
  const oip = await postJson(`${s.url}/invocations`, { inputs: [{ name: 'input', datatype: 'FP32', shape: [3, 16], data: x.flat() }] });
  assert.equal(oip.status, 200, oip.body.toString());
  assert.deepEqual(oip.json.outputs[0].shape, [3, 4]);
  near([oip.json.outputs[0].data.slice(0, 4)], [want[0]]);
  const csv = await request(`${s.url}/invocations`, {
    method: 'POST',
    body: x.map((r) => r.join(',')).join('\n'),
    headers: { 'Content-Type': 'text/csv', Accept: 'text/csv' },
  });
  assert.equal(csv.status, 200, csv.body.toString());
  assert.equal(csv.headers['content-type'], 'text/csv');
  near(
    csv.body
      .toString()
      .trim()
      .split('\n')
      .map((l) => l.split(',').map(Number)),
    want,
  );
  const npy = await request(`${s.url}/invocations`, {
    method: 'POST',
    body: writeNpyOf('float32', Float32Array.from(x.flat()), [3, 16]),
    headers: { 'Content-Type': 'application/x-npy', Accept: 'application/x-npy' },
  });
  assert.equal(npy.status, 200, npy.body.toString());
  const arr = parseNpy(npy.body);
  assert.deepEqual(arr.shape, [3, 4]);
  near([Array.from(arr.values as Float32Array).slice(0, 4)], [want[0]]);
  const npyJson = await request(`${s.url}/invocations`, {
    method: 'POST',
    body: writeNpyOf('float32', Float32Array.from(x.flat()), [3, 16]),
    headers: { 'Content-Type': 'application/x-npy' },
  });
  near(npyJson.json.predictions, want);
  const bad = [
    await request(`${s.url}/invocations`, { method: 'POST', body: '1,2\n3', headers: { 'Content-Type': 'text/csv' } }),
    await request(`${s.url}/invocations`, { method: 'POST', body: 'x', headers: { 'Content-Type': 'image/png' } }),
    await request(`${s.url}/invocations`, { method: 'POST', body: '{"instances":[[1]]}', headers: { Accept: 'image/png' } }),
    await request(`${s.url}/invocations`, {
      method: 'POST',
      body: writeNpyOf('float64', new Float64Array(16), [1, 16]),
      headers: { 'Content-Type': 'application/x-npy' },
    }),
  ];
  assert.deepEqual(
    bad.map((r) => r.status),
    [400, 415, 406, 400],
  );
  for (const r of bad) assert.equal(typeof r.json.error, 'string');
  const m = (await request(`${s.url}/metrics`)).body.toString();
  assert.match(m, /^mlw_protocol_requests_total\{model="mlp",protocol="sagemaker",code="200"\} 5$/m);
  // OIP and TF Serving stay beside the contract.
  assert.equal((await request(`${s.url}/v2/models/mlp`)).status, 200);
  assert.equal((await postJson(`${s.url}/v1/models/mlp:predict`, { instances: x })).status, 200);
});

test('Vertex AI: AIP routes, instances + parameters answered as predictions, 413 over 1.5 MB', async (t) => {
  if (!ready(t)) return;
  const s = await start(['--port', '8080', path.join(dir, 'mlp.onnx')], {
    AIP_HTTP_PORT: '8080',
    AIP_HEALTH_ROUTE: '/v1/endpoints/e1/deployedModels/d1/health',
    AIP_PREDICT_ROUTE: '/v1/endpoints/e1/deployedModels/d1:predict',
    AIP_STORAGE_URI: dir,
  });
  assert.equal((await request(`${s.url}/v1/endpoints/e1/deployedModels/d1/health`)).status, 200);
  const x = rows(2, 2);
  const r = await postJson(`${s.url}/v1/endpoints/e1/deployedModels/d1:predict`, { instances: x, parameters: { confidence: 0.5 } });
  assert.equal(r.status, 200, r.body.toString());
  assert.deepEqual(Object.keys(r.json), ['predictions']);
  near(r.json.predictions, await expected(x));
  const big = await postJson(`${s.url}/v1/endpoints/e1/deployedModels/d1:predict`, { instances: rows(9000, 3) });
  assert.equal(big.status, 413);
  assert.match(big.json.error, /Vertex AI's online prediction limit of 1\.5 MB/);
});

test('Azure ML: liveness, readiness and scoring routes as configured, model from AZUREML_MODEL_DIR', async (t) => {
  if (!ready(t)) return;
  const s = await start(['/models/absent.onnx'], {
    AZUREML_MODEL_DIR: dir,
    MLW_AZUREML_LIVENESS_ROUTE: '/live',
    MLW_AZUREML_READINESS_ROUTE: '/ready',
    MLW_AZUREML_SCORING_ROUTE: '/score',
  });
  assert.deepEqual(await request(`${s.url}/live`).then((r) => [r.status, r.json]), [200, { live: true }]);
  assert.deepEqual(await request(`${s.url}/ready`).then((r) => [r.status, r.json]), [200, { ready: true }]);
  const x = rows(2, 3);
  const r = await postJson(`${s.url}/score`, { data: x });
  assert.equal(r.status, 200, r.body.toString());
  near(r.json.predictions, await expected(x));
  assert.equal((await request(`${s.url}/score`)).status, 405);
});
