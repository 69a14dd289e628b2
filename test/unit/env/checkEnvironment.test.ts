import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { checkEnvironment } from '../../../src/core/env/checkEnvironment';
import { silentLogger } from '../../../src/core/logger';
import { platformExecutionProviders } from '../../../src/core/ort/executionProviders';
import { probeExecutionProvider } from '../../../src/core/ort/probeExecutionProvider';
import { SYSTEM_PYTHON, needs } from '../../support/requires';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const byId = async (opts: Parameters<typeof checkEnvironment>[0]) => new Map((await checkEnvironment(opts)).checks.map((c) => [c.id, c]));

test('a missing interpreter is reported as missing, with the path and a fix', async () => {
  const checks = await byId({ python: '/nonexistent/python3', dockerHost: 'unix:///nonexistent.sock', logger: silentLogger });
  const py = checks.get('python');
  assert.equal(py?.status, 'missing');
  assert.match(py!.detail, /\/nonexistent\/python3 was not found/);
  assert.match(py!.fix ?? '', /mlWorkbench\.pythonPath/);
  assert.ok(![...checks.keys()].some((k) => k.startsWith('python.')), 'no package checks without an interpreter');
});

test('Debian python3 reports its version and the ML packages it can import', async (t) => {
  if (!needs(t, 'Debian python3', existsSync(SYSTEM_PYTHON), 'apt-get install python3')) return;
  const checks = await byId({ python: SYSTEM_PYTHON, dockerHost: 'unix:///nonexistent.sock', logger: silentLogger });
  assert.equal(checks.get('python')?.status, 'ok');
  assert.match(checks.get('python')!.detail, /Python 3\.\d+/);
  for (const m of ['numpy', 'yaml']) assert.ok(checks.get(`python.${m}`), `no check for ${m}`);
});

test('onnxruntime-node loads and names its CPU provider', async () => {
  const checks = await byId({ python: '/nonexistent', dockerHost: 'unix:///nonexistent.sock', logger: silentLogger });
  assert.equal(checks.get('onnxruntime')?.status, 'ok');
  assert.match(checks.get('onnxruntime')!.detail, /cpu/);
});

test('the execution providers that really load: cpu does, cuda does not (no GPU, no CUDA binaries here)', async (t) => {
  if ((await probeExecutionProvider('cuda')).loads) return t.skip('the CUDA provider loads on this machine');
  const checks = await byId({
    python: '/nonexistent',
    dockerHost: 'unix:///nonexistent.sock',
    probeProviders: ['cpu', 'cuda'],
    logger: silentLogger,
  });
  const ort = checks.get('onnxruntime')!;
  assert.equal(ort.status, 'ok');
  assert.match(ort.detail, /^\d+\.\d+\.\d+; execution providers that load: cpu; that do not load here: cuda$/);
  assert.equal(checks.get('onnxruntime.cuda'), undefined, 'cuda is not asked for: no warning row');
  // Asked for (mlWorkbench.executionProviders): a warning row with the reason and the install command.
  const asked = await byId({
    python: '/nonexistent',
    dockerHost: 'unix:///nonexistent.sock',
    probeProviders: ['cpu'],
    executionProviders: ['cuda', 'cpu'],
    logger: silentLogger,
  });
  assert.match(asked.get('onnxruntime')!.detail, /that load: cpu; that do not load here: cuda$/);
  const cuda = asked.get('onnxruntime.cuda')!;
  assert.equal(cuda.status, 'warning');
  assert.match(cuda.detail, /^does not load: .*Failed to load shared library/);
  assert.ok(
    cuda.fix?.startsWith(
      `Install onnxruntime-node's CUDA 12 binaries with \`ONNXRUNTIME_NODE_INSTALL=cuda12 node ${require.resolve('onnxruntime-node/script/install.js')}\``,
    ),
    cuda.fix,
  );
  assert.equal(asked.get('onnxruntime.cpu'), undefined);
});

test("the default candidates are this platform's", async () => {
  const detail = (await byId({ python: '/nonexistent', dockerHost: 'unix:///nonexistent.sock', logger: silentLogger })).get(
    'onnxruntime',
  )!.detail;
  const named = [...detail.matchAll(/(?:load|here): ([a-z, ]+)/g)].flatMap((m) => m[1].split(', '));
  assert.deepEqual([...named].sort(), [...platformExecutionProviders()].sort());
  assert.match(detail, /that load: cpu\b/);
});

/** Engine discovery that sees only what the test gives it: no DOCKER_HOST, no context, no system sockets. */
const isolated = {
  env: {},
  homeDir: mkdtempSync(path.join(os.tmpdir(), 'mlw-env-home-')),
  systemDockerSocket: '/nonexistent/system.sock',
  systemPodmanSocket: '/nonexistent/podman.sock',
};
after(() => rmSync(isolated.homeDir, { recursive: true, force: true }));

test('a Docker socket that does not exist, and a TCP engine address nobody listens on, are missing with what was tried and a fix', async () => {
  const noSocket = (
    await byId({ python: '/nonexistent', dockerHost: 'unix:///nonexistent/docker.sock', dockerDiscovery: isolated, logger: silentLogger })
  ).get('docker');
  assert.equal(noSocket?.status, 'missing');
  assert.match(noSocket!.detail, /No engine answered\. Tried: unix:\/\/\/nonexistent\/docker\.sock \[setting\] \(no such socket\)/);
  assert.match(noSocket!.detail, /\/nonexistent\/system\.sock \[default socket\]/, 'the default socket was tried too');
  // A port that was just free: the connection is refused for real.
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const refused = (
    await byId({ python: '/nonexistent', dockerHost: `tcp://127.0.0.1:${port}`, dockerDiscovery: isolated, logger: silentLogger })
  ).get('docker');
  assert.equal(refused?.status, 'missing');
  assert.match(refused!.detail, new RegExp(`tcp://127.0.0.1:${port} \\[setting\\] \\(ECONNREFUSED`));
  assert.match(refused!.fix ?? '', /mlWorkbench\.docker\.host/);
});
