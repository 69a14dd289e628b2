/**
 * Docker targets for real: the test Docker engine (test/harness/dockerEngine.mjs) with a Python image built from this
 * machine's python3 (pythonImage.mjs, nothing pulled), reached through ssh:// to a private sshd on loopback (system
 * OpenSSH + `docker system dial-stdio` on the host, host keys checked) and through its unix:// socket. A training run
 * with live metrics and its folder synced back, a crashing script, Stop, a project Dockerfile, and `targets check`.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { needs } from '../../support/requires';
import { RunStore } from '../../../src/core/runs/RunStore';
import { findTarget, loadTargets } from '../../../src/core/targets/loadTargets';
import { submitRemoteRun } from '../../../src/core/targets/submitRemoteRun';
import { attachRemoteRun } from '../../../src/core/targets/attachRemoteRun';
import { checkTarget } from '../../../src/core/targets/checkTarget';
import { REPO_ROOT, startSsh, trainingWorkspace, waitFor, type TestSshServer } from './targetHarness';

const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<Record<string, unknown>>;
const harness = (name: string) => importEsm(pathToFileURL(path.join(REPO_ROOT, 'test', 'harness', name)).href);

interface Engine {
  dockerHost: string;
  socketPath: string;
  stop(): Promise<void>;
}
let missing: string | undefined;
let engine: Engine | undefined;
let ssh: TestSshServer | undefined;
let ws: string;

before(async () => {
  const d = ((await harness('dockerEngine.mjs')).dockerEngineMissing as (o: unknown) => string | undefined)({ needRegistry: false });
  const s = ((await harness('sshServer.mjs')).sshServerMissing as () => string | undefined)();
  const p = ((await harness('pythonImage.mjs')).pythonImageMissing as () => string | undefined)();
  let docker = '';
  try {
    docker = execFileSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).trim();
  } catch {
    /* below */
  }
  missing = [d, s, p, docker ? undefined : 'the docker CLI (docker.io) on PATH'].filter(Boolean).join('; ') || undefined;
  if (missing) return;
  engine = await ((await harness('dockerEngine.mjs')).startDockerEngine as (o: unknown) => Promise<Engine>)({ needRegistry: false });
  const image = await ((await harness('pythonImage.mjs')).importPythonImage as (s: string) => Promise<string>)(engine.socketPath);
  ssh = await startSsh({});
  ws = trainingWorkspace();
  writeFileSync(path.join(ws, 'crash.py'), 'print("about to fail", flush=True)\nraise RuntimeError("boom in the container")\n');
  writeFileSync(path.join(ws, 'Dockerfile.train'), `FROM ${image}\nENV MLW_FROM_DOCKERFILE=yes\n`);
  writeFileSync(
    path.join(ws, 'envcheck.py'),
    'import os\nprint("dockerfile=" + os.environ.get("MLW_FROM_DOCKERFILE", "no"), flush=True)\n',
  );
  const git = (...a: string[]) =>
    execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=T', '-c', 'commit.gpgsign=false', ...a], { cwd: ws });
  git('add', 'crash.py', 'Dockerfile.train', 'envcheck.py');
  git('commit', '-q', '-m', 'more', '--', 'crash.py', 'Dockerfile.train', 'envcheck.py');
  mkdirSync(path.join(ws, '.mlw'), { recursive: true });
  writeFileSync(
    path.join(ws, '.mlw', 'targets.yaml'),
    [
      'targets:',
      `  dock: { kind: docker, engine: "ssh://${ssh.host}", sshConfig: ${ssh.configFile}, socket: ${engine.socketPath}, image: ${image}, python: /usr/bin/python3 }`,
      `  dock-local: { kind: docker, engine: "${engine.dockerHost}", dockerfile: Dockerfile.train, python: /usr/bin/python3 }`,
      '',
    ].join('\n'),
  );
});

after(async () => {
  await ssh?.stop();
  await engine?.stop();
  if (ws) rmSync(ws, { recursive: true, force: true });
});

const ready = (t: TestContext) => needs(t, 'a Docker engine and sshd (docker.io, openssh-server, python3, root)', !missing, missing ?? '');

async function target(name: string) {
  const parsed = await loadTargets(ws);
  assert.deepEqual(parsed.errors, []);
  return findTarget(parsed, name);
}

function metricLines(store: RunStore, id: string): string[] {
  const file = path.join(store.runDir(id), 'metrics.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** The containers of a run on the test engine (by its label), through the engine's own CLI. */
function containersOf(runId: string): string[] {
  const out = execFileSync('docker', ['-H', engine!.dockerHost, 'ps', '-aq', '--filter', `label=dev.mlworkbench.runId=${runId}`], {
    encoding: 'utf8',
  });
  return out.split('\n').filter(Boolean);
}

describe('runs on docker targets', { concurrency: true }, () => {
  it('over ssh://: the recorded commit plus the patch runs in a container, metrics live, folder synced, container removed', async (t) => {
    if (!ready(t)) return;
    const store = new RunStore(ws);
    const out: string[] = [];
    const handle = await submitRemoteRun({
      store,
      target: await target('dock'),
      script: 'train.py',
      params: { steps: 12, sleep: 0.25 },
      onOutput: (s) => out.push(s),
      pollMs: 500,
    });
    assert.equal(containersOf(handle.id).length, 1);
    // Lag: each metric line carries the script's clock (same machine); seen here within 2 s of being logged.
    const lags: number[] = [];
    let seen = 0;
    const watch = setInterval(() => {
      const now = Date.now();
      const lines = metricLines(store, handle.id);
      for (const l of lines.slice(seen)) lags.push(now - (JSON.parse(l) as { t: number }).t);
      seen = lines.length;
    }, 50);
    t.after(() => clearInterval(watch));
    await waitFor(
      'a metric while the run runs',
      async () => metricLines(store, handle.id).length > 0 && (await store.readRawRun(handle.id))?.status === 'running',
    );
    const run = await handle.done;
    clearInterval(watch);
    assert.equal(run.status, 'finished', `${run.error}: ${out.join('').slice(-1500)}`);
    const live = lags.filter((l) => l < 2000);
    t.diagnostic(`metric lag over ssh:// (ms, sorted): ${[...lags].sort((x, y) => x - y).join(' ')}`);
    assert.ok(live.length >= 8, `metrics seen live within 2 s: ${live.length} of 12 (lags ${lags.join(', ')} ms)`);
    assert.equal(run.exitCode, 0);
    assert.equal(run.target?.kind, 'docker');
    assert.match(run.target?.host ?? '', /^ssh:\/\/mlw-login/);
    assert.match(out.join(''), /mark=patched/);
    const lines = metricLines(store, run.id).map((l) => JSON.parse(l) as { k: string; v: number; s: number });
    assert.equal(lines.length, 12);
    assert.deepEqual(
      lines.map((l) => [l.k, l.s, l.v]),
      lines.map((_, i) => ['loss', i, 1 / (i + 1)]),
    );
    const model = run.artifacts.find((a) => a.path === 'model.pt');
    assert.ok(model?.stored, JSON.stringify(run.artifacts));
    assert.equal(statSync(path.join(ws, model.stored)).size, 700);
    assert.match(readFileSync(path.join(handle.dir, 'stdout.log'), 'utf8'), /done/);
    assert.deepEqual(containersOf(run.id), []);
  });

  it('a crashing script ends failed with its exit status and its log kept', async (t) => {
    if (!ready(t)) return;
    const store = new RunStore(ws);
    const handle = await submitRemoteRun({ store, target: await target('dock'), script: 'crash.py', pollMs: 500 });
    const run = await handle.done;
    assert.equal(run.status, 'failed');
    assert.equal(run.exitCode, 1);
    const log = readFileSync(path.join(handle.dir, 'stdout.log'), 'utf8');
    assert.match(log, /about to fail/);
    assert.match(log, /RuntimeError: boom in the container/);
    assert.deepEqual(containersOf(run.id), []);
  });

  it('Stop ends the container and the run is stopped', async (t) => {
    if (!ready(t)) return;
    const store = new RunStore(ws);
    const handle = await submitRemoteRun({
      store,
      target: await target('dock'),
      script: 'train.py',
      params: { steps: 600, sleep: 0.1 },
      pollMs: 500,
    });
    await waitFor('the first metric', () => metricLines(store, handle.id).length > 0);
    const t0 = Date.now();
    const run = await handle.stop();
    assert.equal(run.status, 'stopped', run.error);
    assert.ok(Date.now() - t0 < 20_000, `stop took ${Date.now() - t0} ms`);
    assert.ok(metricLines(store, run.id).length < 600);
    assert.deepEqual(containersOf(run.id), []);
  });

  it('re-attach after a restart finds the container by its label and the run finishes with every metric', async (t) => {
    if (!ready(t)) return;
    const store = new RunStore(ws);
    const first = await submitRemoteRun({
      store,
      target: await target('dock'),
      script: 'train.py',
      params: { steps: 10, sleep: 0.3 },
      pollMs: 500,
    });
    await waitFor('the first metric', () => metricLines(store, first.id).length > 0);
    await first.detach(); // this process goes away; the container goes on
    assert.equal((await store.readRawRun(first.id))?.status, 'running');
    assert.equal(containersOf(first.id).length, 1);
    const again = await attachRemoteRun({ store, runId: first.id, target: await target('dock'), pollMs: 500 });
    const run = await again.done;
    assert.equal(run.status, 'finished', `${run.error}: ${readFileSync(path.join(again.dir, 'stdout.log'), 'utf8').slice(-1500)}`);
    assert.equal(metricLines(store, run.id).length, 10);
    assert.equal(run.metrics?.loss.count, 10);
    assert.deepEqual(containersOf(run.id), []);
  });

  it('unix:// with the project Dockerfile: the image is built on the engine and the run sees it', async (t) => {
    if (!ready(t)) return;
    const store = new RunStore(ws);
    const out: string[] = [];
    const handle = await submitRemoteRun({
      store,
      target: await target('dock-local'),
      script: 'envcheck.py',
      onOutput: (s) => out.push(s),
      pollMs: 500,
    });
    const run = await handle.done;
    assert.equal(run.status, 'finished', run.error);
    assert.match(out.join('') + readFileSync(path.join(handle.dir, 'stdout.log'), 'utf8'), /dockerfile=yes/);
  });

  it('targets check: the engine over ssh:// answers with its version, no GPU runtime, the image present', async (t) => {
    if (!ready(t)) return;
    const check = await checkTarget(await target('dock'), ws);
    assert.equal(check.ok, true, JSON.stringify(check.items));
    const by = Object.fromEntries(check.items.map((i) => [i.name, i.detail]));
    assert.match(by.engine, /^Docker \d+\.\d+/);
    assert.match(by.image, /is on the engine/);
    assert.match(by.gpus, /no nvidia runtime/);
  });
});
