/**
 * The ONE image containerizeModel builds, run on the real Docker engine exactly as each platform runs it, every answer
 * compared with an in-process onnxruntime-node session on the same inputs:
 * - SageMaker: `docker run IMAGE serve`, port 8080 (or SAGEMAKER_BIND_TO_PORT), /ping and /invocations in JSON (OIP
 *   and instances), CSV and NPY, answered in the Accept type; a model bind-mounted at /opt/ml/model is the one served;
 *   SAGEMAKER_MODEL_SERVER_WORKERS worker processes;
 * - Vertex AI: AIP_HTTP_PORT, AIP_HEALTH_ROUTE, AIP_PREDICT_ROUTE, AIP_STORAGE_URI a local (mounted) folder, the 1.5 MB cap;
 * - Azure ML: AZUREML_MODEL_DIR (a registered model's folder, mounted), the routes and port the deployment configures;
 * - TF Serving's REST API in the image's own start (no platform).
 * One image build; the containers start in parallel; every HTTP call uses a fresh connection (no keep-alive socket
 * outlives the test) with a timeout, every wait has a deadline, and every container is removed in after().
 * In-process counterpart of these contracts: test/system/serve/platformAdapters.test.ts.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { DockerEngine } from '../../../src/core/docker/dockerEngine';
import { containerizeModel, type ContainerizeResult } from '../../../src/core/docker/containerizeModel';
import { locateServerAssets } from '../../../src/core/docker/serverAssets';
import { parseDockerHost } from '../../../src/core/docker/findEngine';
import { parseNpy } from '../../../src/core/ort/parseNpy';
import { writeNpyOf } from '../../../src/core/ort/writeNpy';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { torchModel } from '../serve/fixtures';
import { engineMissing, REPO_ROOT, startTestEngine, type TestEngine } from './engineHarness';

const HAS_TORCH = pythonHas('torch') && pythonHas('onnx');
const CALL_TIMEOUT_MS = 15_000;
const READY_DEADLINE_MS = 90_000;

let env: TestEngine | undefined;
let engine: DockerEngine | undefined;
let missing: string | undefined;
let work = '';
let image: ContainerizeResult | undefined;
/** The image's own model (mlp: [N,16] -> logits [N,4]) and the platform-supplied one (wide: [N,256] -> logits [N,10]). */
const sessions: Record<'mlp' | 'wide', ort.InferenceSession | undefined> = { mlp: undefined, wide: undefined };
const containers = new Map<string, Promise<Started>>();

interface Started {
  id: string;
  url: string;
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One HTTP call on its own connection (agent: false, Connection: close), aborted after CALL_TIMEOUT_MS. */
function call(url: string, opts: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: opts.method ?? 'GET', headers: opts.headers, agent: false, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          let json: unknown;
          if ((res.headers['content-type'] ?? '').startsWith('application/json')) json = JSON.parse(body.toString('utf8'));
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  call(url, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } });

/** GET on the engine's API socket (for what DockerEngine does not wrap, e.g. /top). */
function engineGet(apiPath: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath: env!.socketPath, path: apiPath, agent: false, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) reject(new Error(`engine GET ${apiPath}: ${res.statusCode} ${text}`));
          else resolve(JSON.parse(text));
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function containerLogs(id: string): Promise<string> {
  const lines: string[] = [];
  await engine!.logs(id, { tail: 60, onLine: (s, l) => lines.push(`${s}: ${l}`) }).catch((e: Error) => lines.push(e.message));
  return lines.join('\n');
}

/**
 * Starts a container of the image as a platform would and waits until `readyPath` answers 200 `times` in a row (each
 * on a new connection, so every worker process has answered), failing at once, with its logs, if it stops.
 */
function startContainer(
  key: string,
  opts: { containerPort: number; readyPath: string; cmd?: string[]; env?: Record<string, string>; binds?: string[]; times?: number },
): void {
  containers.set(
    key,
    (async () => {
      const info = await engine!.runContainer({
        image: image!.image,
        name: `mlw-platform-${key}-${process.pid}`,
        containerPort: opts.containerPort,
        cmd: opts.cmd,
        env: opts.env,
        binds: opts.binds,
      });
      const port = info.ports.find((p) => p.containerPort === opts.containerPort)?.hostPort;
      assert.ok(port, `${key}: container port ${opts.containerPort} is not published: ${JSON.stringify(info.ports)}`);
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + READY_DEADLINE_MS;
      let streak = 0;
      let last = 'no answer yet';
      while (streak < (opts.times ?? 1)) {
        if (Date.now() > deadline)
          throw new Error(`${key}: ${opts.readyPath} not 200 within ${READY_DEADLINE_MS} ms (${last})\n${await containerLogs(info.id)}`);
        const state = (await engine!.inspectContainer(info.id)).state;
        if (state !== 'running') throw new Error(`${key}: the container is ${state}\n${await containerLogs(info.id)}`);
        const r = await call(`${url}${opts.readyPath}`).catch((e: Error) => ({ status: 0, body: Buffer.from(e.message) }));
        last = `${r.status} ${r.body.toString().slice(0, 200)}`;
        streak = r.status === 200 ? streak + 1 : 0;
        if (streak === 0) await new Promise((r) => setTimeout(r, 250));
      }
      return { id: info.id, url };
    })(),
  );
}

/** A folder the container's user (uid 10001) can read, holding `files` (path inside -> source file). */
function modelFolder(name: string, files: Record<string, string>): string {
  const dir = path.join(work, name);
  for (const [rel, src] of Object.entries(files)) {
    const dest = path.join(dir, rel);
    mkdirSync(path.dirname(dest), { recursive: true });
    copyFileSync(src, dest);
    chmodSync(dest, 0o644);
  }
  const chmodTree = (d: string) => {
    chmodSync(d, 0o755);
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) chmodTree(path.join(d, e.name));
  };
  chmodTree(dir);
  return dir;
}

before(async () => {
  missing = await engineMissing(false);
  if (missing || !HAS_TORCH) return;
  work = mkdtempSync(path.join(os.tmpdir(), 'mlw-platform-image-'));
  chmodSync(work, 0o755);
  const mlp = torchModel('mlp');
  const wide = torchModel('wide');
  sessions.mlp = await ort.InferenceSession.create(mlp, { logSeverityLevel: 3 });
  sessions.wide = await ort.InferenceSession.create(wide, { logSeverityLevel: 3 });
  mkdirSync(path.join(work, 'image'));
  copyFileSync(mlp, path.join(work, 'image', 'mlp.onnx'));
  env = await startTestEngine(false);
  engine = await DockerEngine.connect(parseDockerHost(env.dockerHost, 'test'));
  image = await containerizeModel({
    engine,
    modelPath: path.join(work, 'image', 'mlp.onnx'),
    assets: locateServerAssets(REPO_ROOT),
    baseImage: env.baseImage,
    tag: 'mlw-platform-image:test',
  });
  const wideDir = modelFolder('sagemaker-model', { 'wide.onnx': wide });
  // As Azure ML mounts a registered model folder "model": $AZUREML_MODEL_DIR/model/<file>.
  const azureDir = modelFolder('azure-model', { 'model/wide.onnx': wide });
  startContainer('plain', { containerPort: 8080, readyPath: '/v2/health/ready' });
  startContainer('sagemaker', { containerPort: 8080, readyPath: '/ping', cmd: ['serve'] });
  startContainer('sagemaker-mounted', {
    containerPort: 9090,
    readyPath: '/ping',
    cmd: ['serve'],
    env: { SAGEMAKER_BIND_TO_PORT: '9090', SAGEMAKER_MODEL_SERVER_WORKERS: '2' },
    binds: [`${wideDir}:/opt/ml/model:ro`],
    times: 4,
  });
  startContainer('vertex', {
    containerPort: 7080,
    readyPath: '/v1/endpoints/123/deployedModels/456/health',
    env: {
      AIP_HTTP_PORT: '7080',
      AIP_HEALTH_ROUTE: '/v1/endpoints/123/deployedModels/456/health',
      AIP_PREDICT_ROUTE: '/v1/endpoints/123/deployedModels/456:predict',
      AIP_STORAGE_URI: '/mnt/vertex/model',
    },
    binds: [`${wideDir}:/mnt/vertex/model:ro`],
  });
  startContainer('azureml', {
    containerPort: 5001,
    readyPath: '/ready',
    env: {
      AZUREML_MODEL_DIR: '/var/azureml-app/azureml-models/wide/1',
      MLW_AZUREML_PORT: '5001',
      MLW_AZUREML_LIVENESS_ROUTE: '/live',
      MLW_AZUREML_READINESS_ROUTE: '/ready',
      MLW_AZUREML_SCORING_ROUTE: '/score',
    },
    binds: [`${azureDir}:/var/azureml-app/azureml-models/wide/1:ro`],
  });
  // A failed start is reported by the test that uses the container, not as an unhandled rejection here.
  for (const p of containers.values()) p.catch(() => undefined);
});

after(async () => {
  for (const [key, p] of containers) {
    const c = await p.catch(() => undefined);
    const id = c?.id ?? `mlw-platform-${key}-${process.pid}`;
    if (engine) await engine.remove(id, { force: true }).catch(() => undefined);
  }
  for (const s of Object.values(sessions)) await s?.release();
  await env?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function ready(t: TestContext): boolean {
  return (
    needs(t, 'a Docker engine', !missing, missing ?? '') &&
    needs(
      t,
      'python3-torch and python3-onnx',
      HAS_TORCH,
      `${SYSTEM_PYTHON} with torch and onnx: apt-get install python3-torch python3-onnx`,
    )
  );
}

async function container(key: string): Promise<Started> {
  const c = containers.get(key);
  assert.ok(c, `container ${key} was not started`);
  return c;
}

function rows(n: number, width: number, seed: number): number[][] {
  return Array.from({ length: n }, (_, r) => Array.from({ length: width }, (_, c) => Math.fround(Math.cos(seed + r * 3.3 + c * 0.21))));
}

async function expected(model: 'mlp' | 'wide', x: number[][]): Promise<number[][]> {
  const session = sessions[model]!;
  const width = x[0].length;
  const out = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x.flat()), [x.length, width]) });
  const d = Array.from(out.logits.data as Float32Array);
  const k = d.length / x.length;
  return x.map((_, i) => d.slice(i * k, (i + 1) * k));
}

function near(actual: number[][], want: number[][], what: string): void {
  assert.equal(actual.length, want.length, `${what}: ${actual.length} rows, want ${want.length}`);
  actual.forEach((row, i) => {
    assert.equal(row.length, want[i].length, `${what}: row ${i} has ${row.length} values, want ${want[i].length}`);
    row.forEach((v, j) =>
      assert.ok(Math.abs(v - want[i][j]) <= 1e-5 * Math.max(1, Math.abs(want[i][j])), `${what} [${i},${j}] ${v} vs ${want[i][j]}`),
    );
  });
}

const split = (flat: ArrayLike<number>, k: number): number[][] =>
  Array.from({ length: flat.length / k }, (_, i) => Array.from(flat).slice(i * k, (i + 1) * k));
const csvRows = (text: string): number[][] =>
  text
    .trim()
    .split('\n')
    .map((l) => l.split(',').map(Number));

test('SageMaker `docker run IMAGE serve`: /ping, /invocations in JSON, CSV and NPY, answered in the Accept type', async (t) => {
  if (!ready(t)) return;
  const { url } = await container('sagemaker');
  const ping = await call(`${url}/ping`);
  assert.equal(ping.status, 200);
  const x = rows(3, 16, 1);
  const want = await expected('mlp', x);
  const npyIn = writeNpyOf('float32', Float32Array.from(x.flat()), [3, 16]);
  const csvIn = x.map((r) => r.join(',')).join('\n') + '\n';
  const bodies: Record<string, { body: string | Buffer; type: string }> = {
    oip: {
      body: JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [3, 16], data: x.flat() }] }),
      type: 'application/json',
    },
    instances: { body: JSON.stringify({ instances: x }), type: 'application/json' },
    csv: { body: csvIn, type: 'text/csv' },
    npy: { body: npyIn, type: 'application/x-npy' },
  };
  for (const [kind, { body, type }] of Object.entries(bodies)) {
    for (const accept of ['application/json', 'text/csv', 'application/x-npy']) {
      const what = `${kind} body, Accept ${accept}`;
      const r = await call(`${url}/invocations`, { method: 'POST', body, headers: { 'Content-Type': type, Accept: accept } });
      assert.equal(r.status, 200, `${what}: ${r.body.toString()}`);
      assert.equal(r.headers['content-type'], accept, what);
      if (accept === 'text/csv') near(csvRows(r.body.toString()), want, what);
      else if (accept === 'application/x-npy') {
        const arr = parseNpy(r.body);
        assert.deepEqual(arr.shape, [3, 4], what);
        near(split(arr.values as Float32Array, 4), want, what);
      } else if (kind === 'oip') {
        assert.equal(r.json.model_name, 'mlp', what);
        assert.deepEqual(r.json.outputs[0].shape, [3, 4], what);
        near(split(r.json.outputs[0].data, 4), want, what);
      } else near(r.json.predictions, want, what);
    }
  }
  // No Accept: JSON; an Accept it cannot answer: 406 with the types it can.
  const plainJson = await call(`${url}/invocations`, { method: 'POST', body: csvIn, headers: { 'Content-Type': 'text/csv' } });
  near(plainJson.json.predictions, want, 'csv body, no Accept');
  const bad = await call(`${url}/invocations`, {
    method: 'POST',
    body: csvIn,
    headers: { 'Content-Type': 'text/csv', Accept: 'image/png' },
  });
  assert.equal(bad.status, 406);
  assert.match(bad.json.error, /application\/json, text\/csv or application\/x-npy/);
  const lines = await containerLogs((await container('sagemaker')).id);
  assert.match(lines, /meeting the sagemaker container contract/);
});

test('SageMaker: SAGEMAKER_BIND_TO_PORT, the model mounted at /opt/ml/model, SAGEMAKER_MODEL_SERVER_WORKERS processes', async (t) => {
  if (!ready(t)) return;
  const c = await container('sagemaker-mounted');
  const x = rows(5, 256, 2);
  const want = await expected('wide', x);
  // Several calls, each on a new connection, so both worker processes answer.
  for (let i = 0; i < 4; i++) {
    const r = await post(`${c.url}/invocations`, { instances: x });
    assert.equal(r.status, 200, r.body.toString());
    near(r.json.predictions, want, `call ${i}`);
  }
  const meta = await call(`${c.url}/v2/models/wide`);
  assert.equal(meta.status, 200, 'the mounted model is served under its file name');
  assert.equal((await call(`${c.url}/v2/models/mlp`)).status, 404, "the image's own model is not served beside it");
  const top = (await engineGet(`/containers/${c.id}/top?ps_args=-ef`)) as { Titles: string[]; Processes: string[][] };
  const cmdCol = top.Titles.findIndex((h) => h === 'CMD' || h === 'COMMAND');
  // Not counted: the engine's init process (docker-init -- node /app/server.js serve) that runs the primary.
  const servers = top.Processes.filter((p) => /^(\S*\/)?node \/app\/server\.js serve$/.test(p[cmdCol]));
  assert.equal(servers.length, 3, `a primary and 2 workers:\n${top.Processes.map((p) => p.join(' ')).join('\n')}`);
});

test('Vertex AI: AIP_* routes and port, the model from AIP_STORAGE_URI, predictions, a clear 413 over 1.5 MB', async (t) => {
  if (!ready(t)) return;
  const { url } = await container('vertex');
  const predict = `${url}/v1/endpoints/123/deployedModels/456:predict`;
  const x = rows(4, 256, 3);
  const r = await post(predict, { instances: x, parameters: { temperature: 0.5 } });
  assert.equal(r.status, 200, r.body.toString());
  assert.deepEqual(Object.keys(r.json), ['predictions']);
  near(r.json.predictions, await expected('wide', x), 'vertex');
  // Just under the cap is served; over it is 413 with Vertex's limit named.
  const under = rows(250, 256, 4);
  const underBody = JSON.stringify({ instances: under });
  assert.ok(underBody.length > 1.2e6 && underBody.length < 1.5 * 2 ** 20, `${underBody.length} bytes`);
  const u = await call(predict, { method: 'POST', body: underBody, headers: { 'Content-Type': 'application/json' } });
  assert.equal(u.status, 200, u.body.toString().slice(0, 300));
  near(u.json.predictions, await expected('wide', under), 'vertex, 1.3 MB body');
  const overBody = JSON.stringify({ instances: rows(320, 256, 5) });
  assert.ok(overBody.length > 1.5 * 2 ** 20, `${overBody.length} bytes`);
  const o = await call(predict, { method: 'POST', body: overBody, headers: { 'Content-Type': 'application/json' } });
  assert.equal(o.status, 413);
  assert.match(o.json.error, /larger than Vertex AI's online prediction limit of 1\.5 MB/);
  assert.equal((await call(`${url}/v1/endpoints/123/deployedModels/456/health`)).status, 200, 'still healthy after the 413');
});

test('Azure ML: AZUREML_MODEL_DIR (a registered model folder), the configured liveness, readiness and scoring routes and port', async (t) => {
  if (!ready(t)) return;
  const { url } = await container('azureml');
  assert.deepEqual(await call(`${url}/live`).then((r) => [r.status, r.json]), [200, { live: true }]);
  assert.deepEqual(await call(`${url}/ready`).then((r) => [r.status, r.json]), [200, { ready: true }]);
  const x = rows(3, 256, 6);
  const want = await expected('wide', x);
  const data = await post(`${url}/score`, { data: x });
  assert.equal(data.status, 200, data.body.toString());
  near(data.json.predictions, want, 'azure {"data"}');
  const csv = await call(`${url}/score`, {
    method: 'POST',
    body: x.map((r) => r.join(',')).join('\n'),
    headers: { 'Content-Type': 'text/csv', Accept: 'text/csv' },
  });
  assert.equal(csv.status, 200, csv.body.toString());
  near(csvRows(csv.body.toString()), want, 'azure csv');
  assert.equal((await call(`${url}/score`)).status, 405);
});

test("TF Serving's REST API answers in the image's own start (no platform), beside OIP", async (t) => {
  if (!ready(t)) return;
  const { url } = await container('plain');
  const status = await call(`${url}/v1/models/mlp`);
  assert.equal(status.status, 200, status.body.toString());
  assert.equal(status.json.model_version_status[0].state, 'AVAILABLE');
  const x = rows(2, 16, 7);
  const want = await expected('mlp', x);
  const row = await post(`${url}/v1/models/mlp:predict`, { signature_name: 'serving_default', instances: x });
  assert.equal(row.status, 200, row.body.toString());
  near(row.json.predictions, want, 'tf row format');
  const col = await post(`${url}/v1/models/mlp:predict`, { inputs: { input: x } });
  assert.equal(col.status, 200, col.body.toString());
  near(col.json.outputs, want, 'tf columnar format');
  const bad = await post(`${url}/v1/models/mlp:predict`, { instances: [[1, 2]] });
  assert.equal(bad.status, 400);
  assert.equal(typeof bad.json.error, 'string');
  const oip = await post(`${url}/v2/models/mlp/infer`, { inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 16], data: x.flat() }] });
  near(split(oip.json.outputs[0].data, 4), want, 'oip');
  // No platform: the SageMaker route is not there.
  assert.equal((await call(`${url}/ping`)).status, 404);
});
