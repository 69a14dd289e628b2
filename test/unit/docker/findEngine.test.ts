/** Engine discovery against real unix-socket HTTP servers answering /_ping, with temporary home folders. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineUnavailableError, findEngine, parseDockerHost } from '../../../src/core/docker/findEngine';

const root = mkdtempSync(path.join(os.tmpdir(), 'mlw-find-engine-'));
const servers: http.Server[] = [];
after(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(root, { recursive: true, force: true });
});

/** A fake engine: answers GET /_ping with OK (or hangs when told to), on a unix socket. */
async function engineAt(socket: string, behaviour: 'ok' | 'hang' | '500' = 'ok'): Promise<string> {
  mkdirSync(path.dirname(socket), { recursive: true });
  const server = http.createServer((req, res) => {
    if (behaviour === 'hang') return;
    if (req.url === '/_ping' && behaviour === 'ok') res.end('OK');
    else res.writeHead(500).end('broken');
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(socket, r));
  return socket;
}

let n = 0;
function home(): string {
  const dir = path.join(root, `h${n++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const none = (h: string) => ({
  systemDockerSocket: path.join(h, 'none-docker.sock'),
  systemPodmanSocket: path.join(h, 'none-podman.sock'),
});

test('DOCKER_HOST wins over the context and the default socket', async () => {
  const h = home();
  const a = await engineAt(path.join(h, 'a.sock'));
  const b = await engineAt(path.join(h, 'b.sock'));
  const e = await findEngine({
    homeDir: h,
    env: { DOCKER_HOST: `unix://${a}` },
    systemDockerSocket: b,
    systemPodmanSocket: path.join(h, 'x'),
  });
  assert.equal(e.source, 'DOCKER_HOST');
  assert.equal(e.socketPath, a);
  assert.equal(e.description, `unix://${a}`);
});

test('the setting wins over DOCKER_HOST', async () => {
  const h = home();
  const a = await engineAt(path.join(h, 'a.sock'));
  const b = await engineAt(path.join(h, 'b.sock'));
  const e = await findEngine({ dockerHost: `unix://${b}`, homeDir: h, env: { DOCKER_HOST: `unix://${a}` }, ...none(h) });
  assert.equal(e.source, 'setting');
  assert.equal(e.socketPath, b);
});

test('the current context from config.json is used when DOCKER_HOST is unset', async () => {
  const h = home();
  const sock = await engineAt(path.join(h, 'ctx.sock'));
  const name = 'my-ctx';
  const id = createHash('sha256').update(name).digest('hex');
  mkdirSync(path.join(h, '.docker', 'contexts', 'meta', id), { recursive: true });
  writeFileSync(path.join(h, '.docker', 'config.json'), JSON.stringify({ currentContext: name }));
  writeFileSync(
    path.join(h, '.docker', 'contexts', 'meta', id, 'meta.json'),
    JSON.stringify({ Name: name, Endpoints: { docker: { Host: `unix://${sock}`, SkipTLSVerify: false } } }),
  );
  const other = await engineAt(path.join(h, 'default.sock'));
  const e = await findEngine({ homeDir: h, env: {}, systemDockerSocket: other, systemPodmanSocket: path.join(h, 'x') });
  assert.equal(e.source, 'context my-ctx');
  assert.equal(e.socketPath, sock);
  // DOCKER_CONTEXT=default overrides config.json and falls through to the default socket
  const d = await findEngine({
    homeDir: h,
    env: { DOCKER_CONTEXT: 'default' },
    systemDockerSocket: other,
    systemPodmanSocket: path.join(h, 'x'),
  });
  assert.equal(d.source, 'default socket');
});

test('falls back past a dead DOCKER_HOST to the default socket, then to Podman', async () => {
  const h = home();
  const podman = await engineAt(path.join(h, 'run', 'podman', 'podman.sock'));
  const e = await findEngine({
    homeDir: h,
    env: { DOCKER_HOST: `unix://${path.join(h, 'dead.sock')}`, XDG_RUNTIME_DIR: path.join(h, 'run') },
    ...none(h),
  });
  assert.equal(e.source, 'podman socket');
  assert.equal(e.socketPath, podman);
  const dflt = await engineAt(path.join(h, 'docker.sock'));
  const f = await findEngine({
    homeDir: h,
    env: { XDG_RUNTIME_DIR: path.join(h, 'run') },
    systemDockerSocket: dflt,
    systemPodmanSocket: path.join(h, 'x'),
  });
  assert.equal(f.source, 'default socket');
});

test('nothing answering: EngineUnavailableError lists every candidate and why', async () => {
  const h = home();
  const hang = await engineAt(path.join(h, 'hang.sock'), 'hang');
  const broken = await engineAt(path.join(h, 'broken.sock'), '500');
  const t0 = Date.now();
  const err = await findEngine({
    dockerHost: `unix://${hang}`,
    homeDir: h,
    env: { DOCKER_HOST: `unix://${broken}`, XDG_RUNTIME_DIR: path.join(h, 'run') },
    timeoutMs: 300,
    ...none(h),
  }).then(
    () => assert.fail('expected EngineUnavailableError'),
    (e: unknown) => e,
  );
  assert.ok(Date.now() - t0 < 3000, 'short timeouts, no hang');
  assert.ok(err instanceof EngineUnavailableError);
  assert.match(err.message, /^No Docker engine answered\. Tried: /);
  assert.match(err.message, /hang\.sock \[setting\] \(no answer within 300 ms\)/);
  assert.match(err.message, /broken\.sock \[DOCKER_HOST\] \(answered HTTP 500/);
  assert.match(err.message, /none-docker\.sock \[default socket\] \(no such socket\)/);
  assert.match(err.message, /podman\.sock \[podman socket\]/);
  assert.match(err.message, /mlWorkbench\.docker\.host/);
  assert.equal(err.tried.length, 6);
});

test('a broken context is reported, not thrown', async () => {
  const h = home();
  mkdirSync(path.join(h, '.docker'), { recursive: true });
  writeFileSync(path.join(h, '.docker', 'config.json'), JSON.stringify({ currentContext: 'gone' }));
  const err = (await findEngine({ homeDir: h, env: {}, timeoutMs: 200, ...none(h) }).catch((e: unknown) => e)) as EngineUnavailableError;
  assert.ok(err instanceof EngineUnavailableError);
  assert.match(err.message, /context gone \(its metadata .* is missing or unreadable\)/);
});

test('parseDockerHost: unix, tcp, TLS, ssh and bad addresses', () => {
  assert.deepEqual(parseDockerHost('unix:///var/run/docker.sock', 's'), {
    socketPath: '/var/run/docker.sock',
    source: 's',
    description: 'unix:///var/run/docker.sock',
  });
  const tcp = parseDockerHost('tcp://10.0.0.5:2375', 'DOCKER_HOST');
  assert.equal(tcp.protocol, 'http');
  assert.equal(tcp.port, 2375);
  assert.equal(tcp.host, '10.0.0.5');
  const tls = parseDockerHost('tcp://docker.example:2376', 'DOCKER_HOST', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' });
  assert.equal(tls.protocol, 'https');
  assert.equal(tls.tlsDir, '/certs');
  assert.equal(parseDockerHost('tcp://h:2376', 'x', {}, '/home/u').tlsDir, '/home/u/.docker');
  const ssh = parseDockerHost('ssh://deploy@build-box', 'x');
  assert.deepEqual(
    [ssh.protocol, ssh.username, ssh.host, ssh.port, ssh.description],
    ['ssh', 'deploy', 'build-box', 22, 'ssh://deploy@build-box'],
  );
  assert.equal(parseDockerHost('127.0.0.1:2375', 'x').description, 'tcp://127.0.0.1:2375');
  assert.throws(() => parseDockerHost('ftp://x', 'x'), /unsupported scheme/);
  assert.throws(() => parseDockerHost('unix://', 'x'), /no socket path/);
});
