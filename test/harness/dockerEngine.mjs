// A real, throwaway Docker engine (and OCI registry) for system tests, browser tests and benchmarks (RECIPES.md §2).
//
//   const engine = await startDockerEngine({ needRegistry: true });
//   engine.dockerHost   unix:///tmp/mlw-dockerd-XXXX/docker.sock
//   engine.registry     127.0.0.1:PORT (docker-registry with filesystem storage; 127.0.0.0/8 needs no TLS)
//   engine.baseImage    local/mlw-node-base:test — this machine's node binary and its shared libraries
//                       (plus those libonnxruntime.so needs) on a busybox-static rootfs; no image is pulled
//   await engine.stop()
//
// Each engine gets its own bridge (mlwb<hex>, a private /24) instead of docker0, so several engines
// (other test processes, a developer's engine) can run side by side and teardown never touches theirs.
// One engine is shared by every caller of the same process; the last stop() tears it down.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  openSync,
  closeSync,
} from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseRootfsTarball } from './baseImageRootfs.mjs';
import { freePort } from './codeServer.mjs';
import { SBIN_PATH, which } from './which.mjs';

export const BASE_IMAGE = 'local/mlw-node-base:test';
/** What is missing for startDockerEngine, or undefined when it can run. For needs(): `needs(t, 'docker engine', !missing, missing)`. */
export function dockerEngineMissing({ needRegistry = true } = {}) {
  const missing = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) missing.push('root (dockerd needs it)');
  for (const tool of ['dockerd', 'docker-proxy', 'ip', ...(needRegistry ? ['docker-registry'] : []), 'busybox']) {
    if (!which(tool)) missing.push(tool);
  }
  if (missing.length === 0) return undefined;
  return `missing ${missing.join(', ')}: apt-get install -y --no-install-recommends docker.io docker-registry busybox-static iproute2, and run as root`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One HTTP request to the engine's unix socket. Resolves { status, body }. */
export function engineRequest(socketPath, method, path, { body, headers, timeoutMs = 30_000 } = {}) {
  return new Promise((res, rej) => {
    const req = http.request({ socketPath, method, path, headers, timeout: timeoutMs }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      r.on('error', rej);
    });
    req.on('timeout', () => req.destroy(new Error(`engine request ${method} ${path} timed out`)));
    req.on('error', rej);
    if (body && typeof body.pipe === 'function') body.pipe(req);
    else req.end(body);
  });
}

async function waitFor(what, check, timeoutMs, child, logFile) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      const log = logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-3000) : '';
      throw new Error(`${what} exited with code ${child.exitCode}\n${log}`);
    }
    try {
      if (await check()) return;
    } catch {
      /* not up yet */
    }
    await sleep(100);
  }
  throw new Error(`${what} did not answer within ${timeoutMs} ms${logFile ? ` (log: ${logFile})` : ''}`);
}

function usedSubnets() {
  try {
    return execFileSync(which('ip') ?? 'ip', ['-4', 'addr'], { encoding: 'utf8' });
  } catch {
    return '';
  }
}

/** A private bridge for this engine: mlwb + 6 hex, 10.213.N.1/24 with N not in use. */
function createBridge() {
  const ip = which('ip') ?? 'ip';
  const name = `mlwb${randomBytes(3).toString('hex')}`;
  const taken = usedSubnets();
  let n = 0;
  for (let i = 0; i < 50 && !n; i++) {
    const c = 1 + Math.floor(Math.random() * 250);
    if (!taken.includes(`10.213.${c}.`)) n = c;
  }
  if (!n) throw new Error('no free 10.213.N.0/24 subnet for the test bridge');
  execFileSync(ip, ['link', 'add', 'name', name, 'type', 'bridge']);
  execFileSync(ip, ['addr', 'add', `10.213.${n}.1/24`, 'dev', name]);
  execFileSync(ip, ['link', 'set', 'dev', name, 'up']);
  return name;
}

function deleteBridge(name) {
  try {
    execFileSync(which('ip') ?? 'ip', ['link', 'del', name], { stdio: 'ignore' });
  } catch {
    /* already gone */
  }
}

async function importBaseImage(socketPath) {
  const have = await engineRequest(socketPath, 'GET', `/images/${BASE_IMAGE}/json`);
  if (have.status === 200) return;
  const tarball = baseRootfsTarball();
  const [repo, tag] = BASE_IMAGE.split(':');
  const changes = ['ENV PATH=/usr/local/bin:/usr/bin:/bin', 'ENV NODE_ENV=production', 'CMD ["node"]'];
  const qs = new URLSearchParams({ fromSrc: '-', repo, tag });
  for (const c of changes) qs.append('changes', c);
  const r = await engineRequest(socketPath, 'POST', `/images/create?${qs}`, {
    body: createReadStream(tarball),
    headers: { 'Content-Type': 'application/x-tar' },
    timeoutMs: 120_000,
  });
  if (r.status !== 200 || /"error"/.test(r.body)) throw new Error(`importing ${BASE_IMAGE} failed: ${r.status} ${r.body.slice(0, 500)}`);
}

function mountsUnder(dir) {
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m) => m && (m === dir || m.startsWith(dir + '/')))
    .sort((a, b) => b.length - a.length);
}

function waitExit(child, timeoutMs) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((res) => {
    const t = setTimeout(() => res(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(t);
      res(true);
    });
  });
}

function processAlive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat); // a zombie is as good as gone
  } catch {
    return false;
  }
}

/** Engines of test processes that died without stop(): their dockerd is gone but mounts, bridge and folder remain. */
function cleanStale() {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith('mlw-dockerd-')) continue;
    const dir = join(tmpdir(), name);
    try {
      if (Date.now() - statSync(dir).mtimeMs < 60_000) continue; // maybe starting right now
      const pidFile = join(dir, 'dockerd.pid');
      if (existsSync(pidFile) && processAlive(Number(readFileSync(pidFile, 'utf8').trim()))) continue;
      const owner = join(dir, 'owner.pid');
      if (existsSync(owner) && processAlive(Number(readFileSync(owner, 'utf8').trim()))) continue;
      for (const m of mountsUnder(dir)) execFileSync('umount', ['-l', m], { stdio: 'ignore' });
      const bridge = join(dir, 'bridge');
      if (existsSync(bridge)) deleteBridge(readFileSync(bridge, 'utf8').trim());
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* another process is cleaning it, or it is not ours to touch */
    }
  }
}

async function launch({ needRegistry }) {
  const missing = dockerEngineMissing({ needRegistry });
  if (missing) throw new Error(`cannot start a test Docker engine: ${missing}`);
  cleanStale();
  const dir = mkdtempSync(join(tmpdir(), 'mlw-dockerd-'));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  const socketPath = join(dir, 'docker.sock');
  const env = { ...process.env, PATH: `${process.env.PATH ?? ''}:${SBIN_PATH}` };
  delete env.DOCKER_HOST;
  const state = { dir, socketPath, bridge: undefined, dockerd: undefined, registry: undefined, registryAddress: undefined };
  live.add(state);
  try {
    state.bridge = createBridge();
    writeFileSync(join(dir, 'bridge'), state.bridge);
    const log = openSync(join(dir, 'dockerd.log'), 'a');
    state.dockerd = spawn(
      which('dockerd'),
      [
        '--data-root',
        join(dir, 'data'),
        '--exec-root',
        join(dir, 'exec'),
        '--pidfile',
        join(dir, 'dockerd.pid'),
        '-H',
        `unix://${socketPath}`,
        '--storage-driver=overlay2',
        '--iptables=false',
        '--ip6tables=false',
        `--bridge=${state.bridge}`,
      ],
      { detached: true, stdio: ['ignore', log, log], env },
    );
    closeSync(log);
    state.dockerd.unref();
    await waitFor(
      'dockerd',
      async () => (await engineRequest(socketPath, 'GET', '/_ping', { timeoutMs: 1000 })).status === 200,
      30_000,
      state.dockerd,
      join(dir, 'dockerd.log'),
    );
    if (needRegistry) await startRegistry(state, env);
    await importBaseImage(socketPath);
    return state;
  } catch (e) {
    await teardown(state);
    throw e;
  }
}

async function startRegistry(state, env) {
  const port = await freePort();
  const config = join(state.dir, 'registry.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(state.dir, 'registry')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const log = openSync(join(state.dir, 'registry.log'), 'a');
  state.registry = spawn(which('docker-registry'), ['serve', config], { detached: true, stdio: ['ignore', log, log], env });
  closeSync(log);
  state.registry.unref();
  state.registryAddress = `127.0.0.1:${port}`;
  await waitFor(
    'docker-registry',
    async () => (await fetch(`http://127.0.0.1:${port}/v2/`)).status === 200,
    20_000,
    state.registry,
    join(state.dir, 'registry.log'),
  );
}

async function teardown(state) {
  if (state.dockerd && state.dockerd.exitCode === null) {
    try {
      const list = await engineRequest(state.socketPath, 'GET', '/containers/json?all=1', { timeoutMs: 10_000 });
      for (const c of JSON.parse(list.body))
        await engineRequest(state.socketPath, 'DELETE', `/containers/${c.Id}?force=1&v=1`, { timeoutMs: 30_000 });
    } catch {
      /* engine already unhealthy: SIGTERM below still stops its containers */
    }
    state.dockerd.kill('SIGTERM');
    if (!(await waitExit(state.dockerd, 20_000))) {
      state.dockerd.kill('SIGKILL');
      await waitExit(state.dockerd, 5_000);
    }
  }
  if (state.registry && state.registry.exitCode === null) {
    state.registry.kill('SIGTERM');
    if (!(await waitExit(state.registry, 5_000))) state.registry.kill('SIGKILL');
  }
  for (const m of mountsUnder(state.dir)) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      /* not mounted any more */
    }
  }
  if (state.bridge) deleteBridge(state.bridge);
  rmSync(state.dir, { recursive: true, force: true, maxRetries: 3 });
  live.delete(state);
}

let shared; // { promise, users, needRegistry }

/**
 * Starts (or joins) this process's test engine.
 * @param {{ needRegistry?: boolean }} [opts]
 * @returns {Promise<{ dockerHost: string, socketPath: string, registry: string | undefined, baseImage: string, dir: string, stop: () => Promise<void> }>}
 */
export async function startDockerEngine({ needRegistry = true } = {}) {
  if (!shared) {
    shared = { promise: launch({ needRegistry }), users: 0 };
    shared.promise.catch(() => {
      shared = undefined;
    });
  }
  const mine = shared;
  mine.users++;
  let state;
  try {
    state = await mine.promise;
    if (needRegistry && !state.registry) {
      state.registryPromise ??= startRegistry(state, { ...process.env, PATH: `${process.env.PATH ?? ''}:${SBIN_PATH}` });
      await state.registryPromise;
    }
  } catch (e) {
    mine.users--;
    throw e;
  }
  let stopped = false;
  return {
    dockerHost: `unix://${state.socketPath}`,
    socketPath: state.socketPath,
    registry: state.registryAddress,
    baseImage: BASE_IMAGE,
    dir: state.dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      mine.users--;
      if (mine.users > 0) return;
      if (shared === mine) shared = undefined;
      await teardown(state);
    },
  };
}

// A test process that ends without stop() must not leave an engine behind: best effort on exit
// (nothing asynchronous can run here, so dockerd gets SIGTERM and cleans up its own containers).
const live = new Set();
process.once('exit', () => {
  for (const state of live) {
    for (const child of [state.dockerd, state.registry]) if (child && child.exitCode === null) child.kill('SIGTERM');
  }
});

/**
 * An extra registry that requires a user name and password (htpasswd, bcrypt made with the system Python's crypt),
 * for tests of refused and accepted credentials. Stop it with stop().
 * @param {{ username: string, password: string }} auth
 * @returns {Promise<{ registry: string, stop: () => Promise<void> }>}
 */
export async function startAuthRegistry(auth) {
  const dir = mkdtempSync(join(tmpdir(), 'mlw-auth-registry-'));
  const hash = execFileSync(
    '/usr/bin/python3',
    ['-W', 'ignore', '-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))', auth.password],
    { encoding: 'utf8' },
  ).trim();
  if (!hash.startsWith('$2')) throw new Error('the system Python cannot make bcrypt hashes for htpasswd');
  writeFileSync(join(dir, 'htpasswd'), `${auth.username}:${hash}\n`);
  const port = await freePort();
  const config = join(dir, 'registry.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      'auth:',
      '  htpasswd:',
      '    realm: mlw-test',
      `    path: ${join(dir, 'htpasswd')}`,
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const log = openSync(join(dir, 'registry.log'), 'a');
  const child = spawn(which('docker-registry'), ['serve', config], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      if (!(await waitExit(child, 5_000))) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'docker-registry (htpasswd)',
      async () => (await fetch(`http://127.0.0.1:${port}/v2/`)).status === 401,
      20_000,
      child,
      join(dir, 'registry.log'),
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { registry: `127.0.0.1:${port}`, stop };
}
