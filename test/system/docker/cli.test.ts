/**
 * The real CLI (dist/mlw.js) end to end against a real engine and registry: mlw containerize, then
 * mlw deploy local, push and k8s, with lineage written to the workspace.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DockerEngine } from '../../../src/core/docker/dockerEngine';
import { parseDockerHost } from '../../../src/core/docker/findEngine';
import { readLineage } from '../../../src/core/deploy/lineage';
import { CORPUS_DIR, hasCorpus, needs } from '../../support/requires';
import { engineMissing, REPO_ROOT, startTestEngine, type TestEngine } from './engineHarness';

const run = promisify(execFile);
const MLW = path.join(REPO_ROOT, 'dist', 'mlw.js');
let env: TestEngine | undefined;
let engine: DockerEngine | undefined;
let missing: string | undefined;
let ws: string;

before(async () => {
  missing =
    (await engineMissing(true)) ??
    (hasCorpus() ? undefined : 'libonnx-testdata (apt-get install libonnx-testdata)') ??
    (existsSync(MLW) ? undefined : 'dist/mlw.js (npm run build)');
  if (missing) return;
  env = await startTestEngine(true);
  engine = await DockerEngine.connect(parseDockerHost(env.dockerHost, 'test'));
  ws = mkdtempSync(path.join(os.tmpdir(), 'mlw-cli-docker-'));
  mkdirSync(path.join(ws, 'models'));
  copyFileSync(path.join(CORPUS_DIR, 'pytorch-converted', 'test_Conv2d', 'model.onnx'), path.join(ws, 'models', 'linear.onnx'));
});

after(async () => {
  if (engine) for (const c of await engine.listContainers({ all: true })) await engine.remove(c.id, { force: true });
  await env?.stop();
  if (ws) rmSync(ws, { recursive: true, force: true });
});

function mlw(args: string[]) {
  return run(process.execPath, [MLW, '--workspace', ws, ...args], {
    env: { ...process.env, DOCKER_HOST: env!.dockerHost },
    maxBuffer: 32 * 2 ** 20,
    timeout: 180_000,
  });
}

test('mlw containerize, deploy local, deploy push and deploy k8s', async (t) => {
  if (!needs(t, 'a Docker engine and the ONNX corpus', !missing, missing ?? '')) return;
  const kept = path.join(ws, 'docker');
  const built = await mlw([
    'containerize',
    'models/linear.onnx',
    '--tag',
    'team/linear:0.1',
    '--base-image',
    env!.baseImage,
    '--keep',
    'docker',
    '--run-id',
    'r-1',
    '--json',
  ]);
  const result = JSON.parse(built.stdout) as {
    image: string;
    tags: string[];
    imageId: string;
    modelName: string;
    modelHash: string;
    containerPort: number;
  };
  assert.equal(result.image, 'team/linear:0.1');
  assert.deepEqual(result.tags, ['team/linear:0.1', `team/linear:${result.modelHash.slice(0, 12)}`]);
  assert.equal(result.modelName, 'linear');
  assert.equal(result.containerPort, 8080);
  assert.ok(existsSync(path.join(kept, 'Dockerfile')) && existsSync(path.join(kept, '.dockerignore')));
  assert.match(readFileSync(path.join(kept, 'Dockerfile'), 'utf8'), /"\/models\/linear\.onnx"\]/);
  await assert.rejects(
    mlw(['containerize', 'models/linear.onnx', '--keep', 'docker']),
    /exists: build from it with --dockerfile, or regenerate it with --force/,
  );

  const local = await mlw(['deploy', 'local', 'team/linear:0.1', '--json']);
  const deployed = JSON.parse(local.stdout) as {
    endpoint: string;
    readyMs: number;
    smoke: { ok: boolean; summary: string };
    container: { id: string; state: string };
  };
  assert.ok(deployed.smoke.ok, deployed.smoke.summary);
  assert.equal(deployed.container.state, 'running');
  const meta = (await (await fetch(`${deployed.endpoint}/v2/models/linear`)).json()) as { name: string; inputs: unknown[] };
  assert.equal(meta.name, 'linear');

  const text = await mlw(['deploy', 'push', 'team/linear:0.1', `${env!.registry}/team/linear:0.1`]);
  assert.match(
    text.stdout,
    new RegExp(`^Pushed ${env!.registry}/team/linear:0\\.1\\n${env!.registry}/team/linear@sha256:[0-9a-f]{64}\\n$`),
  );

  const k8s = await mlw(['deploy', 'k8s', `${env!.registry}/team/linear:0.1`, '--replicas', '2', '--kserve', '--json']);
  const manifest = JSON.parse(k8s.stdout) as { name: string; manifest: string; applied: boolean; yaml: string };
  assert.equal(manifest.name, 'linear');
  assert.equal(manifest.manifest, path.join(ws, 'deploy', 'k8s', 'linear.yaml'));
  assert.match(readFileSync(manifest.manifest, 'utf8'), /kind: InferenceService/);

  const lineage = await readLineage(ws);
  assert.deepEqual(
    lineage.map((r) => r.kind),
    ['image', 'container', 'push', 'kubernetes'],
  );
  assert.equal(lineage[0].runId, 'r-1');
  assert.equal(lineage[1].containerId, deployed.container.id);
  assert.equal(lineage[1].modelPath, path.join(ws, 'models', 'linear.onnx'));
  assert.equal(lineage[2].modelHash, result.modelHash);
  assert.equal(lineage[2].runId, 'r-1');
  assert.match(lineage[2].digest ?? '', /^sha256:/);
  assert.equal(lineage[3].modelHash, result.modelHash, 'the Kubernetes record carries the model facts of the push');
  assert.equal(lineage[3].digest, lineage[2].digest);

  await engine!.stop(deployed.container.id);
  await engine!.remove(deployed.container.id);
});

test('mlw containerize with the engine down prints the clear message and exits 1', async (t) => {
  if (!needs(t, 'dist/mlw.js', existsSync(MLW), 'npm run build')) return;
  if (existsSync('/var/run/docker.sock')) return t.skip('a system Docker engine would answer the fallback');
  const home = mkdtempSync(path.join(os.tmpdir(), 'mlw-nohome-'));
  try {
    const err = await run(
      process.execPath,
      [MLW, 'containerize', path.join(CORPUS_DIR, 'pytorch-converted', 'test_Linear', 'model.onnx')],
      { env: { PATH: process.env.PATH, HOME: home, DOCKER_HOST: `unix://${home}/dead.sock` } },
    ).catch((e: { code: number; stderr: string }) => e);
    assert.equal((err as { code: number }).code, 1);
    assert.match(
      (err as { stderr: string }).stderr,
      /^mlw containerize: No Docker engine answered\. Tried: unix:\/\/.*dead\.sock \[DOCKER_HOST\] \(no such socket\);/,
    );
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
