/**
 * Containerize a real model (the ONNX project's Conv2d test model) against a real Docker engine and registry
 * started by the harness: build, run, wait healthy, infer from the host and compare with in-process
 * onnxruntime-node, read logs, push to the registry, remove the image and pull it back by digest, stop and
 * remove, and check that no managed container is left.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { DockerEngine, LABELS } from '../../../src/core/docker/dockerEngine';
import { containerizeModel, type ContainerizeResult } from '../../../src/core/docker/containerizeModel';
import { locateServerAssets } from '../../../src/core/docker/serverAssets';
import { parseDockerHost } from '../../../src/core/docker/findEngine';
import { runLocal, type RunLocalResult } from '../../../src/core/deploy/runLocal';
import { pushImage } from '../../../src/core/deploy/pushImage';
import { CORPUS_DIR, hasCorpus, needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { engineMissing, REPO_ROOT, startTestEngine, type TestEngine } from './engineHarness';

const MODEL = path.join(CORPUS_DIR, 'pytorch-converted', 'test_Conv2d', 'model.onnx');
let env: TestEngine | undefined;
let engine: DockerEngine | undefined;
let work: string;
let built: ContainerizeResult | undefined;
let running: RunLocalResult | undefined;
let missing: string | undefined;

before(async () => {
  missing = await engineMissing(true);
  if (missing || !hasCorpus()) return;
  env = await startTestEngine(true);
  engine = await DockerEngine.connect(parseDockerHost(env.dockerHost, 'test'));
  work = mkdtempSync(path.join(os.tmpdir(), 'mlw-containerize-'));
  mkdirSync(path.join(work, 'models'));
  copyFileSync(MODEL, path.join(work, 'models', 'Conv2d Net.onnx'));
});

after(async () => {
  if (running && engine) await engine.remove(running.container.id, { force: true }).catch(() => undefined);
  await env?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function ready(t: import('node:test').TestContext): boolean {
  return (
    needs(t, 'a Docker engine', !missing, missing ?? '') && needs(t, 'libonnx-testdata', hasCorpus(), 'apt-get install libonnx-testdata')
  );
}

test('builds an image for a model with the base image, tags and labels', async (t) => {
  if (!ready(t)) return;
  const logs: string[] = [];
  built = await containerizeModel({
    engine: engine!,
    modelPath: path.join(work, 'models', 'Conv2d Net.onnx'),
    assets: locateServerAssets(REPO_ROOT),
    baseImage: env!.baseImage,
    runId: 'run-42',
    onLog: (l) => logs.push(l),
  });
  assert.equal(built.modelName, 'Conv2d_Net', 'served under its file name, with the space the server refuses replaced');
  assert.equal(built.image, 'conv2d-net:latest');
  assert.deepEqual(built.tags, ['conv2d-net:latest', `conv2d-net:${built.modelHash.slice(0, 12)}`]);
  assert.match(built.imageId, /^sha256:[0-9a-f]{64}$/);
  assert.ok(
    logs.some((l) => /^Step \d+\/\d+ : COPY models\//.test(l)),
    logs.join('\n'),
  );
  const image = await engine!.inspectImage(built.image);
  assert.ok(image);
  assert.equal(image.labels[LABELS.managed], 'true');
  assert.equal(image.labels[LABELS.modelHash], built.modelHash);
  assert.equal(image.labels[LABELS.runId], 'run-42');
  assert.equal(image.labels[LABELS.servedModels], 'Conv2d_Net');
  const base = await engine!.inspectImage(env!.baseImage);
  const modelBytes = (await import('node:fs')).statSync(MODEL).size;
  assert.ok(image.size <= base!.size + modelBytes + 60e6, `image ${image.size} B > base ${base!.size} B + model + 60 MB`);
});

test('runs the image, becomes ready and healthy, and answers like in-process onnxruntime', async (t) => {
  if (!ready(t)) return;
  assert.ok(built, 'needs the image of the first test');
  running = await runLocal({
    engine: engine!,
    image: built.image,
    modelName: built.modelName,
    containerPort: built.containerPort,
    labels: { [LABELS.modelHash]: built.modelHash },
  });
  assert.match(running.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(running.smoke.ok, running.smoke.summary);
  assert.equal(running.container.state, 'running');
  assert.equal(running.container.labels[LABELS.managed], 'true');
  assert.deepEqual(
    running.container.ports.map((p) => p.hostIp),
    ['127.0.0.1'],
  );

  const meta = (await (await fetch(`${running.endpoint}/v2/models/${encodeURIComponent(built.modelName)}`)).json()) as {
    inputs: { name: string; shape: number[] }[];
  };
  const session = await ort.InferenceSession.create(MODEL, { logSeverityLevel: 3 });
  const input = meta.inputs[0];
  const shape = input.shape.map((d) => (d < 0 ? 1 : d));
  for (let round = 0; round < 3; round++) {
    const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37 + round));
    const res = await fetch(`${running.endpoint}/v2/models/${encodeURIComponent(built.modelName)}/infer`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: input.name, datatype: 'FP32', shape, data: [...data] }] }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { outputs: { name: string; shape: number[]; data: number[] }[] };
    const local = await session.run({ [input.name]: new ort.Tensor('float32', data, shape) });
    const expected = local[body.outputs[0].name];
    assert.deepEqual(body.outputs[0].shape, [...expected.dims]);
    const want = expected.data as Float32Array;
    body.outputs[0].data.forEach((v, i) =>
      assert.ok(Math.abs(v - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])), `output[${i}] ${v} vs ${want[i]}`),
    );
  }
  await session.release();

  const healthy = await engine!.waitHealthy(running.container.id, { timeoutMs: 30_000 });
  assert.equal(healthy.health, 'healthy');
  const listed = await engine!.listContainers({ managedOnly: true });
  assert.deepEqual(
    listed.map((c) => c.id),
    [running.container.id],
  );

  const lines: string[] = [];
  await engine!.logs(running.container.id, { tail: 100, onLine: (s, l) => lines.push(`${s}:${l}`) });
  assert.ok(
    lines.some((l) => l.startsWith('stdout:') && l.includes('"event":"ready"')),
    lines.join('\n'),
  );
  assert.ok(
    lines.some((l) => l.includes('"event":"request"')),
    'the access log shows the requests',
  );
  // follow: new lines arrive while the request is served; aborting ends the stream
  const abort = new AbortController();
  const followed: string[] = [];
  const following = engine!.logs(running.container.id, {
    follow: true,
    tail: 0,
    signal: abort.signal,
    onLine: (_s, l) => followed.push(l),
  });
  await new Promise((r) => setTimeout(r, 300));
  await fetch(`${running.endpoint}/v2/models/${encodeURIComponent(built.modelName)}/ready`);
  for (let i = 0; i < 50 && !followed.some((l) => l.includes('/ready')); i++) await new Promise((r) => setTimeout(r, 100));
  abort.abort();
  await following;
  assert.ok(
    followed.some((l) => l.includes(`"path":"/v2/models/${built!.modelName}/ready"`)),
    followed.join('\n'),
  );
  const stats = await engine!.stats(running.container.id);
  assert.ok(stats.memoryBytes > 0 && stats.memoryLimitBytes > 0);
});

test('pushes to the registry, and the image pulls back by digest', async (t) => {
  if (!ready(t)) return;
  assert.ok(built, 'needs the image of the first test');
  const progress: string[] = [];
  const target = `${env!.registry}/team/conv2d-net:1.0`;
  const pushed = await pushImage({ engine: engine!, image: built.image, target, onProgress: (l) => progress.push(l) });
  assert.match(pushed.digest, /^sha256:[0-9a-f]{64}$/);
  assert.equal(pushed.reference, `${env!.registry}/team/conv2d-net@${pushed.digest}`);
  assert.ok(
    progress.some((l) => /Pushed|Layer already exists|digest/.test(l)),
    progress.join('\n'),
  );
  const manifest = await fetch(`http://${env!.registry}/v2/team/conv2d-net/manifests/1.0`, {
    headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
  });
  assert.equal(manifest.headers.get('docker-content-digest'), pushed.digest);

  await engine!.removeImage(target, { force: true });
  assert.equal(await engine!.inspectImage(target), undefined);
  await engine!.pull(pushed.reference);
  const pulled = await engine!.inspectImage(pushed.reference);
  assert.ok(pulled, 'pulled by digest');
  assert.equal(pulled.id, built.imageId);
});

test('stops gracefully and removes, leaving no managed container', async (t) => {
  if (!ready(t)) return;
  assert.ok(running, 'needs the container of the second test');
  const t0 = Date.now();
  await engine!.stop(running.container.id, { timeoutSeconds: 30 });
  assert.ok(Date.now() - t0 < 20_000, `stop took ${Date.now() - t0} ms: the server should drain on SIGTERM, not wait for SIGKILL`);
  const stopped = await engine!.inspectContainer(running.container.id);
  assert.equal(stopped.state, 'exited');
  assert.match(stopped.status, /Exited \(0\)/, 'exit 0 after a drain (SIGKILL would be 137)');
  await engine!.remove(running.container.id);
  running = undefined;
  assert.deepEqual(await engine!.listContainers({ all: true, managedOnly: true }), []);
});

// A model whose weights live in an external data file (as large exports do): the file goes into the image
// beside the model and the served answers equal in-process onnxruntime-node's.
const EXTERNAL_MODEL = `
import sys, numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto
W = (np.arange(16 * 4, dtype=np.float32).reshape(16, 4) / 9).astype(np.float32)
B = np.linspace(-1, 1, 4).astype(np.float32)
g = helper.make_graph([helper.make_node('MatMul', ['x', 'W'], ['y']), helper.make_node('Add', ['y', 'B'], ['z'])], 'g',
    [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 16])], [helper.make_tensor_value_info('z', TensorProto.FLOAT, ['N', 4])],
    [numpy_helper.from_array(W, 'W'), numpy_helper.from_array(B, 'B')])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)])
m.ir_version = 8
onnx.save_model(m, sys.argv[1], save_as_external_data=True, all_tensors_to_one_file=True, location='weights/linear.bin', size_threshold=0)
`;

test('a model with external data is packed with its weights file and serves the same answers', async (t) => {
  if (!ready(t) || !needs(t, 'python3-onnx', pythonHas('onnx'), `${SYSTEM_PYTHON} with onnx: apt-get install python3-onnx`)) return;
  const dir = path.join(work, 'external');
  mkdirSync(path.join(dir, 'weights'), { recursive: true });
  const modelPath = path.join(dir, 'linear.onnx');
  execFileSync(SYSTEM_PYTHON, ['-c', EXTERNAL_MODEL, modelPath]);
  assert.ok(existsSync(path.join(dir, 'weights', 'linear.bin')), 'the export wrote its weights file');
  const image = await containerizeModel({
    engine: engine!,
    modelPath,
    assets: locateServerAssets(REPO_ROOT),
    baseImage: env!.baseImage,
    tag: 'linear-external:test',
  });
  const run = await runLocal({ engine: engine!, image: image.image, modelName: image.modelName, containerPort: image.containerPort });
  try {
    assert.ok(run.smoke.ok, run.smoke.summary);
    const x = Float32Array.from({ length: 2 * 16 }, (_, i) => Math.cos(i));
    const res = await fetch(`${run.endpoint}/v2/models/${image.modelName}/infer`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 16], data: [...x] }] }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const served = ((await res.json()) as { outputs: { data: number[] }[] }).outputs[0].data;
    const session = await ort.InferenceSession.create(modelPath, { logSeverityLevel: 3 });
    const want = (await session.run({ x: new ort.Tensor('float32', x, [2, 16]) })).z.data as Float32Array;
    await session.release();
    assert.equal(served.length, want.length);
    served.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])), `z[${i}] ${v} vs ${want[i]}`));
  } finally {
    await engine!.remove(run.container.id, { force: true });
    await engine!.removeImage(image.image, { force: true }).catch(() => undefined);
  }
});
