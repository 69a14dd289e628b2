/**
 * Failure paths and engine features against a real engine: a Dockerfile that fails to build, a cancelled build,
 * an engine that is down, an unreachable registry, the event stream, restart, and the build cache on a rebuild
 * after only the model changed.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BuildFailedError, DockerEngine, MANAGED_LABEL } from '../../../src/core/docker/dockerEngine';
import { containerizeModel } from '../../../src/core/docker/containerizeModel';
import { OperationCancelledError, RegistryUnreachableError } from '../../../src/core/docker/engineErrors';
import { EngineUnavailableError, findEngine, parseDockerHost } from '../../../src/core/docker/findEngine';
import { packContext } from '../../../src/core/docker/buildContext';
import { locateServerAssets } from '../../../src/core/docker/serverAssets';
import { pushImage } from '../../../src/core/deploy/pushImage';
import { checkEnvironment } from '../../../src/core/env/checkEnvironment';
import { silentLogger } from '../../../src/core/logger';
import { CORPUS_DIR, hasCorpus, needs } from '../../support/requires';
import { engineMissing, REPO_ROOT, startTestEngine, type TestEngine } from './engineHarness';

let env: TestEngine | undefined;
let engine: DockerEngine | undefined;
let missing: string | undefined;
let work: string;

before(async () => {
  missing = await engineMissing(false);
  work = mkdtempSync(path.join(os.tmpdir(), 'mlw-engine-behaviour-'));
  if (missing) return;
  env = await startTestEngine(false);
  engine = await DockerEngine.connect(parseDockerHost(env.dockerHost, 'test'));
});

after(async () => {
  await env?.stop();
  rmSync(work, { recursive: true, force: true });
});

const ready = (t: TestContext) => needs(t, 'a Docker engine', !missing, missing ?? '');

async function context(dockerfile: string) {
  return packContext([{ name: 'Dockerfile', content: dockerfile, size: Buffer.byteLength(dockerfile) }]);
}

test('a Dockerfile that fails surfaces BuildFailedError with the failing step and the log, and leaves no container', async (t) => {
  if (!ready(t)) return;
  const lines: string[] = [];
  const err = await engine!
    .build({
      context: await context(`FROM ${env!.baseImage}\nRUN echo building\nRUN echo about to fail && exit 3\nRUN echo never\n`),
      tags: ['mlw-test/broken:1'],
      onLog: (l) => lines.push(l),
    })
    .then(
      () => assert.fail('the build should fail'),
      (e: unknown) => e,
    );
  assert.ok(err instanceof BuildFailedError, String(err));
  assert.match(err.step ?? '', /^Step 3\/\d+ : RUN echo about to fail && exit 3$/);
  assert.match(err.message, /^Docker build failed at Step 3\/\d+ : RUN echo about to fail && exit 3: .*returned a non-zero code: 3/);
  assert.match(err.log, /about to fail/);
  assert.ok(lines.includes('building'));
  assert.deepEqual(
    (await engine!.listContainers({ all: true })).map((c) => c.id),
    [],
    'forcerm removed the intermediate containers',
  );
});

test('a build context that cannot be read fails the build instead of crashing the process', async (t) => {
  if (!ready(t)) return;
  const dockerfile = `FROM ${env!.baseImage}\nCOPY models/ /models/\n`;
  const ctx = await packContext([
    { name: 'Dockerfile', content: dockerfile, size: Buffer.byteLength(dockerfile) },
    { name: 'models/gone.onnx', file: path.join(work, 'deleted-before-the-build.onnx'), size: 1000 },
  ]);
  await assert.rejects(engine!.build({ context: ctx, tags: ['mlw-test/gone:1'] }), (e: unknown) => {
    assert.ok(e instanceof BuildFailedError, String(e));
    assert.match(e.message, /sending the build context failed: ENOENT/);
    return true;
  });
});

test('a kept Dockerfile that COPYs a missing file fails at that step', async (t) => {
  if (!ready(t) || !needs(t, 'libonnx-testdata', hasCorpus(), 'apt-get install libonnx-testdata')) return;
  const model = path.join(work, 'linear.onnx');
  copyFileSync(path.join(CORPUS_DIR, 'pytorch-converted', 'test_Linear', 'model.onnx'), model);
  const dockerfile = path.join(work, 'Dockerfile');
  writeFileSync(dockerfile, `ARG BASE_IMAGE\nFROM \${BASE_IMAGE}\nCOPY weights.bin /app/\n`);
  await assert.rejects(
    containerizeModel({
      engine: engine!,
      modelPath: model,
      assets: locateServerAssets(REPO_ROOT),
      baseImage: env!.baseImage,
      dockerfilePath: dockerfile,
    }),
    (e: unknown) => {
      assert.ok(e instanceof BuildFailedError, String(e));
      assert.match(e.step ?? '', /^Step 3\/\d+ : COPY weights\.bin \/app\/$/);
      assert.match(e.message, /weights\.bin/);
      return true;
    },
  );
});

test('a cancelled build rejects with OperationCancelledError', async (t) => {
  if (!ready(t)) return;
  const abort = new AbortController();
  const started = engine!.build({
    context: await context(`FROM ${env!.baseImage}\nRUN sleep 20\n`),
    tags: ['mlw-test/slow:1'],
    signal: abort.signal,
    onLog: (l) => l.startsWith('Step 2/') && abort.abort(),
  });
  const t0 = Date.now();
  await assert.rejects(started, OperationCancelledError);
  assert.ok(Date.now() - t0 < 10_000);
  let left = await engine!.listContainers({ all: true });
  for (let i = 0; i < 50 && left.length; i++) {
    await new Promise((r) => setTimeout(r, 200));
    left = await engine!.listContainers({ all: true });
  }
  assert.deepEqual(left, [], 'the engine removes the cancelled build container');
});

test('an engine that is down: the clear message, listing what was tried', async () => {
  const dead = path.join(work, 'dead.sock');
  const home = mkdtempSync(path.join(work, 'home-'));
  const err = await findEngine({
    homeDir: home,
    env: { DOCKER_HOST: `unix://${dead}` },
    systemDockerSocket: path.join(home, 'docker.sock'),
    systemPodmanSocket: path.join(home, 'podman.sock'),
  }).catch((e: unknown) => e);
  assert.ok(err instanceof EngineUnavailableError);
  assert.match(
    err.message,
    new RegExp(
      `^No Docker engine answered\\. Tried: unix://${dead.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\[DOCKER_HOST\\] \\(no such socket\\)`,
    ),
  );
  assert.match(
    err.message,
    /Start Docker \(or Podman\), or point the mlWorkbench\.docker\.host setting or DOCKER_HOST at a running engine\./,
  );
});

test('ML: Check Environment finds the engine the way the extension does and reports its version', async (t) => {
  if (!ready(t)) return;
  const home = mkdtempSync(path.join(work, 'home-'));
  const discovery = {
    homeDir: home,
    env: { DOCKER_HOST: env!.dockerHost },
    systemDockerSocket: path.join(home, 'docker.sock'),
    systemPodmanSocket: path.join(home, 'podman.sock'),
  };
  const docker = async (dockerHost: string) =>
    (await checkEnvironment({ python: '/nonexistent', dockerHost, dockerDiscovery: discovery, logger: silentLogger })).checks.find(
      (c) => c.id === 'docker',
    );
  const found = await docker('');
  assert.equal(found?.status, 'ok', found?.detail);
  assert.match(found!.detail, /^\d+\.\d+\.\d+\S* \(API 1\.\d+, linux\/\w+\) at unix:\/\/\S+ \(DOCKER_HOST\)$/);
  // The setting names an engine that is not there: the one that answered is reported, with a warning.
  const fallback = await docker(`unix://${path.join(work, 'gone.sock')}`);
  assert.equal(fallback?.status, 'warning');
  assert.match(fallback!.detail, /\(DOCKER_HOST\); the engine of mlWorkbench\.docker\.host \(unix:\/\/\S+gone\.sock\) did not answer/);
});

test('the event stream reports container events until aborted; restart keeps the container running', async (t) => {
  if (!ready(t)) return;
  const abort = new AbortController();
  const events: { type: string; action: string; id: string }[] = [];
  const following = engine!.events({ signal: abort.signal, onEvent: (e) => events.push(e) });
  const c = await engine!.runContainer({ image: env!.baseImage, cmd: ['sleep', '300'], containerPort: 8080 });
  assert.equal(c.labels[MANAGED_LABEL], 'true');
  assert.equal(c.state, 'running');
  await engine!.restart(c.id);
  assert.equal((await engine!.inspectContainer(c.id)).state, 'running');
  const t0 = Date.now();
  await engine!.stop(c.id, { timeoutSeconds: 10 });
  assert.ok(Date.now() - t0 < 5000, 'Init: true lets sleep as PID 2 get SIGTERM');
  await engine!.remove(c.id);
  for (let i = 0; i < 50 && !events.some((e) => e.id === c.id && e.action === 'destroy'); i++) await new Promise((r) => setTimeout(r, 100));
  abort.abort();
  await following;
  const mine = events.filter((e) => e.id === c.id).map((e) => e.action);
  for (const a of ['create', 'start', 'restart', 'stop', 'destroy']) assert.ok(mine.includes(a), `${a} in ${mine.join(',')}`);
});

test('pushing to a registry nobody listens on is RegistryUnreachableError', async (t) => {
  if (!ready(t)) return;
  const err = await pushImage({ engine: engine!, image: env!.baseImage, target: '127.0.0.1:9/mlw/unreachable:1' }).catch((e: unknown) => e);
  assert.ok(err instanceof RegistryUnreachableError, String(err));
  assert.match(err.message, /The registry 127\.0\.0\.1:9 cannot be reached/);
});

test('a rebuild after only the model changed reuses the cached layers above the model', async (t) => {
  if (!ready(t) || !needs(t, 'libonnx-testdata', hasCorpus(), 'apt-get install libonnx-testdata')) return;
  const model = path.join(work, 'cached.onnx');
  const assets = locateServerAssets(REPO_ROOT);
  copyFileSync(path.join(CORPUS_DIR, 'pytorch-converted', 'test_Linear', 'model.onnx'), model);
  const first = await containerizeModel({ engine: engine!, modelPath: model, assets, baseImage: env!.baseImage });
  copyFileSync(path.join(CORPUS_DIR, 'pytorch-converted', 'test_Conv2d', 'model.onnx'), model);
  const lines: string[] = [];
  const second = await containerizeModel({
    engine: engine!,
    modelPath: model,
    assets,
    baseImage: env!.baseImage,
    onLog: (l) => lines.push(l),
  });
  assert.notEqual(second.modelHash, first.modelHash);
  assert.notEqual(second.imageId, first.imageId);
  const stepOf = (prefix: string) => lines.findIndex((l) => l.includes(prefix));
  const cachedAfter = (i: number) => /Using cache/.test(lines[i + 1] ?? '');
  assert.ok(cachedAfter(stepOf(': COPY node_modules/')), lines.join('\n'));
  assert.ok(cachedAfter(stepOf(': COPY server.js')), lines.join('\n'));
  assert.ok(!cachedAfter(stepOf(': COPY models/')), 'the model layer is rebuilt');
  t.diagnostic(`rebuild after a model change: ${second.buildMs} ms (first build ${first.buildMs} ms)`);
});
