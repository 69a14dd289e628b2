/** Kubernetes manifests, lineage records and registry credentials from the Docker config file. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kubernetesName, renderKubernetesManifests } from '../../../src/core/deploy/kubernetesManifests';
import { appendLineage, findPush, lineageFile, readLineage } from '../../../src/core/deploy/lineage';
import { credentialHelperFor, dockerLoginAuth, readDockerConfigAuth } from '../../../src/core/deploy/pushImage';
import { applyManifests, findKubectl, rolloutStatus } from '../../../src/core/deploy/kubectl';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'mlw-deploy-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('Deployment and Service with probes on the protocol endpoints and resources', () => {
  const { yaml, files } = renderKubernetesManifests({
    name: 'Conv2d_Net',
    image: 'reg:5000/team/conv:1.0',
    modelName: 'Conv2d_Net',
    containerPort: 8080,
    replicas: 3,
    cpu: '250m',
    memory: '1Gi',
  });
  assert.deepEqual(
    files.map((f) => f.name),
    ['conv2d-net-deployment.yaml', 'conv2d-net-service.yaml'],
  );
  const docs = parseAllDocuments(yaml).map((d) => d.toJS());
  const [dep, svc] = docs;
  assert.equal(dep.kind, 'Deployment');
  assert.equal(dep.spec.replicas, 3);
  const c = dep.spec.template.spec.containers[0];
  assert.equal(c.image, 'reg:5000/team/conv:1.0');
  assert.equal(c.ports[0].containerPort, 8080);
  assert.equal(c.readinessProbe.httpGet.path, '/v2/health/ready');
  assert.equal(c.livenessProbe.httpGet.path, '/v2/health/live');
  assert.deepEqual(c.resources, { requests: { cpu: '250m', memory: '1Gi' }, limits: { cpu: '250m', memory: '1Gi' } });
  assert.equal(c.securityContext.runAsNonRoot, true);
  assert.deepEqual(dep.spec.selector.matchLabels, { 'app.kubernetes.io/name': 'conv2d-net' });
  assert.equal(svc.kind, 'Service');
  assert.deepEqual(svc.spec.selector, dep.spec.selector.matchLabels);
  assert.equal(svc.spec.ports[0].targetPort, 'http');
});

test('KServe InferenceService with the image as a custom predictor', () => {
  const { yaml, files } = renderKubernetesManifests({
    name: 'mnist',
    image: 'ghcr.io/o/mnist@sha256:ab',
    modelName: 'mnist',
    containerPort: 8080,
    kserve: true,
  });
  assert.equal(files.length, 3);
  const isvc = parseAllDocuments(yaml)
    .map((d) => d.toJS())
    .find((d) => d.kind === 'InferenceService');
  assert.equal(isvc.apiVersion, 'serving.kserve.io/v1beta1');
  const c = isvc.spec.predictor.containers[0];
  assert.equal(c.name, 'kserve-container');
  assert.equal(c.image, 'ghcr.io/o/mnist@sha256:ab');
  assert.equal(c.readinessProbe.httpGet.port, 8080);
  assert.throws(() => renderKubernetesManifests({ name: 'x', image: 'i', modelName: 'x', containerPort: 1, replicas: -1 }), /replicas/);
  assert.equal(kubernetesName('9_Lives.Model'), 'lives-model');
});

test('lineage: appended records read back in order; a torn last line and foreign lines are skipped', async () => {
  const ws = path.join(tmp, 'ws');
  assert.deepEqual(await readLineage(ws), []);
  await appendLineage(ws, {
    at: '2026-01-01T00:00:00.000Z',
    kind: 'image',
    modelPath: '/m.onnx',
    modelHash: 'h1',
    runId: 'r1',
    image: 'm:latest',
    imageId: 'sha256:1',
  });
  await appendLineage(ws, {
    at: '2026-01-01T00:01:00.000Z',
    kind: 'push',
    modelPath: '/m.onnx',
    modelHash: 'h1',
    digest: 'sha256:d',
    reference: 'reg/m@sha256:d',
  });
  appendFileSync(lineageFile(ws), '{"something":"else"}\n{"at":"2026-01-01T00:02:00.000Z","kind":"container","modelP');
  const records = await readLineage(ws);
  assert.deepEqual(
    records.map((r) => r.kind),
    ['image', 'push'],
  );
  assert.equal(records[0].runId, 'r1');
  assert.equal(records[1].reference, 'reg/m@sha256:d');
  assert.ok(!('runId' in records[1]), 'undefined fields are not written');
  await appendLineage(ws, {
    at: '2026-01-01T00:03:00.000Z',
    kind: 'push',
    modelPath: '/m.onnx',
    modelHash: 'h2',
    target: 'reg/m:2',
    reference: 'reg/m@sha256:e',
  });
  assert.equal(findPush(await readLineage(ws), 'reg/m:2')?.modelHash, 'h2');
  assert.equal(findPush(await readLineage(ws), 'reg/m@sha256:d')?.modelHash, 'h1');
  assert.equal(findPush(await readLineage(ws), 'other:1'), undefined);
});

test('registry credentials from auths; the helper configured for a registry is named', () => {
  const home = path.join(tmp, 'home');
  mkdirSync(path.join(home, '.docker'), { recursive: true });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  writeFileSync(
    path.join(home, '.docker', 'config.json'),
    JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass') },
        '127.0.0.1:5000': { auth: b64('local:pw') },
        'ghcr.io': {},
      },
      credHelpers: { 'ghcr.io': 'gh' },
      credsStore: 'desktop',
    }),
  );
  assert.deepEqual(readDockerConfigAuth('docker.io', { homeDir: home, env: {} }), {
    username: 'hubuser',
    password: 'hub:pass',
    serveraddress: 'https://index.docker.io/v1/',
  });
  assert.deepEqual(readDockerConfigAuth('127.0.0.1:5000', { homeDir: home, env: {} }), {
    username: 'local',
    password: 'pw',
    serveraddress: '127.0.0.1:5000',
  });
  assert.equal(readDockerConfigAuth('ghcr.io', { homeDir: home, env: {} }), undefined);
  assert.equal(credentialHelperFor('ghcr.io', { homeDir: home, env: {} }), 'gh');
  assert.equal(credentialHelperFor('quay.io', { homeDir: home, env: {} }), 'desktop');
  assert.equal(readDockerConfigAuth('docker.io', { homeDir: path.join(tmp, 'nohome'), env: {} }), undefined);
  assert.deepEqual(readDockerConfigAuth('127.0.0.1:5000', { env: { DOCKER_CONFIG: path.join(home, '.docker') } }), {
    username: 'local',
    password: 'pw',
    serveraddress: '127.0.0.1:5000',
  });
});

test('a credential helper that is not installed is reported, and the inline credentials are used instead', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlw-nohelper-'));
  try {
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ auths: { 'reg.example:5000': { auth: Buffer.from('u:p').toString('base64') } }, credsStore: 'mlw-no-such-helper' }),
    );
    const login = await dockerLoginAuth('reg.example:5000', { env: { PATH: process.env.PATH, DOCKER_CONFIG: dir } });
    assert.match(login.problem ?? '', /docker-credential-mlw-no-such-helper is not on PATH/);
    assert.deepEqual(login.auth, { username: 'u', password: 'p', serveraddress: 'reg.example:5000' });
    assert.equal(login.source, 'Docker config');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an identity token in the config file is passed as one; a helper that hangs is cut off with a clear message', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlw-token-'));
  try {
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ auths: { 'https://myreg.azurecr.io': { identitytoken: 'refresh-token-1' } } }),
    );
    assert.deepEqual(readDockerConfigAuth('myreg.azurecr.io', { env: { DOCKER_CONFIG: dir } }), {
      identitytoken: 'refresh-token-1',
      serveraddress: 'https://myreg.azurecr.io',
    });
    // A stand-in helper that never answers, like one waiting for a keychain to be unlocked (a fault the real one
    // cannot be made to show here).
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'docker-credential-standin-hang'), '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ credsStore: 'standin-hang' }));
    const t0 = Date.now();
    const login = await dockerLoginAuth('reg.example:5000', {
      env: { PATH: `${bin}:${process.env.PATH}`, DOCKER_CONFIG: dir },
      timeoutMs: 500,
    });
    assert.ok(Date.now() - t0 < 5_000, 'the helper was cut off');
    assert.match(login.problem ?? '', /docker-credential-standin-hang did not answer within 0\.5 s/);
    assert.equal(login.auth, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kubectl: found on PATH, applied with an argument array, failures carry the output', async () => {
  const bin = path.join(tmp, 'bin');
  mkdirSync(bin, { recursive: true });
  const log = path.join(tmp, 'kubectl.log');
  writeFileSync(
    path.join(bin, 'kubectl'),
    `#!/bin/sh\necho "$@" >> ${JSON.stringify(log)}\nif [ "$1" = rollout ]; then echo 'error: deployment "x" exceeded its progress deadline' >&2; exit 1; fi\necho "deployment.apps/x configured"\n`,
  );
  chmodSync(path.join(bin, 'kubectl'), 0o755);
  assert.equal(await findKubectl({ PATH: path.join(tmp, 'empty') }), undefined);
  const kubectl = await findKubectl({ PATH: `${path.join(tmp, 'empty')}:${bin}` });
  assert.equal(kubectl, path.join(bin, 'kubectl'));
  const lines: string[] = [];
  await applyManifests({ kubectl: kubectl!, file: '/tmp/has space.yaml', onLog: (l) => lines.push(l) });
  assert.deepEqual(lines, ['deployment.apps/x configured']);
  await assert.rejects(
    rolloutStatus({ kubectl: kubectl!, name: 'x', timeoutSeconds: 5 }),
    /rollout status deployment\/x --timeout=5s failed \(exit 1\):\nerror: deployment "x" exceeded/,
  );
});

test('kubectl: a line written in two pieces is reported once, whole', async () => {
  const bin = path.join(tmp, 'bin-slow');
  mkdirSync(bin, { recursive: true });
  writeFileSync(path.join(bin, 'kubectl'), `#!/bin/sh\nprintf 'deployment "y" successfully '\nsleep 0.3\necho 'rolled out'\n`);
  chmodSync(path.join(bin, 'kubectl'), 0o755);
  const lines: string[] = [];
  await rolloutStatus({ kubectl: path.join(bin, 'kubectl'), name: 'y', timeoutSeconds: 5, onLog: (l) => lines.push(l) });
  assert.deepEqual(lines, ['deployment "y" successfully rolled out']);
});
