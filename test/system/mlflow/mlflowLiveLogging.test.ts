/**
 * A run logging to a team's tracking server while it runs (`mlw run --log-to URL`, RunMirror):
 * `mlw mlflow-server` as the server, /usr/bin/python3 scripts printing scalars. The server holds the
 * run as RUNNING with its first metrics before the script ends, then the whole history, params,
 * artifact and FINISHED; a server that goes away mid-run and comes back loses nothing and gets
 * nothing twice; a server that never answers leaves the local run complete and says how to push it.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { needs, SYSTEM_PYTHON } from '../../support/requires';
import { launchRun } from '../../../src/core/runs/launchRun';
import { RunStore } from '../../../src/core/runs/RunStore';
import { readRunMetrics } from '../../../src/core/runs/listWorkspaceRuns';
import { MlflowClient } from '../../../src/core/mlflow/client/MlflowClient';
import type { MlflowRun } from '../../../src/core/mlflow/mlflowRunJson';
import { REPO_ROOT, tempDir, waitFor } from '../../unit/runs/runsTestSupport';

const MLW = path.resolve(__dirname, '../../../src/cli/mlw.js');
const TOKEN = 'live-logging-token';
const hasPython = () => existsSync(SYSTEM_PYTHON);
const servers: ChildProcess[] = [];

/** Starts `mlw mlflow-server` over `workspace` on `port` (0: any); resolves with its URL. */
async function startServer(workspace: string, port = 0): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(
    process.execPath,
    [MLW, '--workspace', workspace, 'mlflow-server', '--port', String(port), '--token', TOKEN, '--json'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  servers.push(proc);
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    proc.stderr!.on('data', (c: Buffer) => void (err += c.toString()));
    proc.once('exit', (code) => reject(new Error(`mlw mlflow-server exited (${code}): ${err}`)));
  });
  return { url: (JSON.parse(line) as { url: string }).url, proc };
}

function stopServer(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL'); // as a crashed server or a dropped link: no goodbye
  });
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** The server's run mirrored from local run `localId`, if it exists yet. */
async function remoteOf(client: MlflowClient, localId: string): Promise<MlflowRun | undefined> {
  for (const e of await client.allExperiments()) {
    const page = await client.searchRuns({ experimentIds: [e.experiment_id], maxResults: 1000 });
    const hit = page.runs.find((r) => r.data.tags?.some((t) => t.key === 'mlw.pushedFrom' && t.value === localId));
    if (hit) return hit;
  }
  return undefined;
}

after(async () => {
  for (const s of servers) await stopServer(s);
});

describe('a run logs to an MLflow tracking server while it runs', () => {
  it('mlw run --log-to: the server shows the run RUNNING with metrics before it ends, then all of it', async (t) => {
    if (!needs(t, 'python3', hasPython(), 'apt-get install python3')) return;
    const { url } = await startServer(tempDir('mlw-live-server-'));
    const ws = tempDir('mlw-live-local-');
    // Prints a point every 0.3 s until the test creates `go-on`, so the test sees the run mid-way.
    writeFileSync(
      path.join(ws, 'train.py'),
      `import os, time, argparse
p = argparse.ArgumentParser(); p.add_argument("--lr", type=float); a = p.parse_args()
i = 0
while not os.path.exists("go-on") or i < 12:
    print(f"step={i} loss={1.0 / (i + 1):.6g}", flush=True)
    i += 1
    time.sleep(0.3)
    if i > 400: raise SystemExit("never told to go on")
open("model.pt", "wb").write(b"weights" * 1000)
`,
    );
    const child = spawn(
      process.execPath,
      [
        MLW,
        '--workspace',
        ws,
        'run',
        'train.py',
        '--python',
        SYSTEM_PYTHON,
        '--param',
        'lr=0.1',
        '--experiment',
        'live',
        '--log-to',
        url,
        '--json',
      ],
      { env: { ...process.env, MLFLOW_TRACKING_TOKEN: TOKEN, MLFLOW_TRACKING_URI: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => void (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => void (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const localId = await waitFor(() => /mlw: run (\S+) /.exec(stderr)?.[1], 20_000);

    const client = new MlflowClient({ url, auth: { kind: 'token', token: TOKEN } });
    const midway = await waitFor(
      async () => {
        const r = await remoteOf(client, localId);
        return r && (await client.getMetricHistory(r.info.run_id, 'loss')).length >= 3 ? r : undefined;
      },
      20_000,
      'the run on the server with 3 points of loss',
    );
    assert.equal(midway.info.status, 'RUNNING', 'the server shows the run while it runs');
    assert.equal(midway.info.run_name, JSON.parse(readFileSync(path.join(ws, '.mlw', 'runs', localId, 'run.json'), 'utf8')).name);
    assert.equal(midway.data.params?.find((p) => p.key === 'lr')?.value, '0.1');
    writeFileSync(path.join(ws, 'go-on'), '');

    assert.equal(await exited, 0, stderr);
    const local = JSON.parse(stdout) as { id: string; status: string };
    assert.equal(local.status, 'finished');
    assert.match(
      stderr,
      new RegExp(
        `mlw: run ${localId} logged to ${url.replace(/[.]/g, '\\.')}/#/experiments/\\d+/runs/\\S+ \\(\\d+ metric points, 1 artifacts\\)`,
      ),
    );
    const remote = (await remoteOf(client, localId))!;
    assert.equal(remote.info.status, 'FINISHED');
    const store = new RunStore(ws);
    const series = await readRunMetrics(ws, (await store.readRun(localId))!, store);
    const loss = series.get('loss')!;
    assert.ok(loss.values.length >= 12);
    const history = await client.getMetricHistory(remote.info.run_id, 'loss');
    assert.deepEqual(
      history.map((p) => [p.step, p.value]),
      Array.from(loss.values, (v, i) => [loss.steps[i], v]),
      'the server has every point once, in order',
    );
    const res = await fetch(
      `${url}/api/2.0/mlflow-artifacts/artifacts/${remote.info.experiment_id}/${remote.info.run_id}/artifacts/model.pt`,
      { headers: { Authorization: `Bearer ${TOKEN}` } },
    );
    assert.equal(res.status, 200);
    assert.equal(Buffer.from(await res.arrayBuffer()).toString(), 'weights'.repeat(1000));
  });

  it('a server that drops mid-run and comes back gets every point exactly once', async (t) => {
    if (!needs(t, 'python3', hasPython(), 'apt-get install python3')) return;
    const serverWs = tempDir('mlw-live-server2-');
    let server = await startServer(serverWs);
    const port = Number(new URL(server.url).port);
    const ws = tempDir('mlw-live-local2-');
    writeFileSync(
      path.join(ws, 'train.py'),
      'import time\nfor i in range(40):\n    print(f"epoch {i} acc={i / 40}", flush=True)\n    time.sleep(0.1)\n',
    );
    const client = new MlflowClient({ url: server.url, auth: { kind: 'token', token: TOKEN }, timeoutMs: 2000 });
    const handle = await launchRun({
      store: new RunStore(ws),
      script: 'train.py',
      interpreter: SYSTEM_PYTHON,
      git: false,
      helperDir: path.join(REPO_ROOT, 'python'),
      mirror: { client, intervalMs: 200 },
    });
    await waitFor(async () => {
      const r = await remoteOf(client, handle.id).catch(() => undefined);
      return r && (await client.getMetricHistory(r.info.run_id, 'acc')).length > 0;
    }, 20_000);
    await stopServer(server.proc); // the link drops while the script prints on
    await new Promise((r) => setTimeout(r, 1200));
    server = await startServer(serverWs, port);
    const final = await handle.done;
    const result = await handle.mirrored!;
    assert.equal(final.status, 'finished');
    assert.equal(result.error, undefined);
    const history = await client.getMetricHistory(result.remoteRunId!, 'acc');
    assert.deepEqual(
      history.map((p) => [p.step, p.value]),
      Array.from({ length: 40 }, (_, i) => [i, i / 40]),
    );
    assert.equal((await client.getRun(result.remoteRunId!)).info.status, 'FINISHED');
  });

  it('a server that never answers: the run is complete locally and the result says how to push it', async (t) => {
    if (!needs(t, 'python3', hasPython(), 'apt-get install python3')) return;
    const ws = tempDir('mlw-live-local3-');
    writeFileSync(path.join(ws, 'train.py'), 'for i in range(5):\n    print(f"step {i} loss={1 / (i + 1)}")\n');
    const url = `http://127.0.0.1:${await closedPort()}`;
    const t0 = Date.now();
    const handle = await launchRun({
      store: new RunStore(ws),
      script: 'train.py',
      interpreter: SYSTEM_PYTHON,
      git: false,
      mirror: { client: new MlflowClient({ url, timeoutMs: 2000 }), intervalMs: 200 },
    });
    const final = await handle.done;
    const result = await handle.mirrored!;
    assert.equal(final.status, 'finished');
    assert.equal(final.metrics?.loss.last, 0.2);
    assert.ok(Date.now() - t0 < 15_000, 'an unreachable server does not hold the run');
    assert.match(result.error ?? '', new RegExp(`send it again with mlw runs push ${handle.id} --to ${url.replace(/[.]/g, '\\.')}`));
    assert.equal(result.remoteRunId, undefined);
  });
});
