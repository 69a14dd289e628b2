/**
 * A grid sweep on a docker target for real (the test Docker engine through its unix:// socket, the Python image built
 * from this machine's python3): `mlw sweep --grid … --target dock --parallel 2`, each trial its own run and container.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { needs } from '../../support/requires';
import { dockerPythonMissing, startDockerWithPython, type TestDockerEngine } from '../../support/dockerTestEngine';
import type { Run } from '../../../src/core/runs/runTypes';
import { trainingWorkspace } from './targetHarness';

const MLW = path.resolve(__dirname, '../../../src/cli/mlw.js');
let missing: string | undefined;
let engine: TestDockerEngine | undefined;
let ws: string;

/** loss = lr * 10 / (step + 1) over 3 steps, each trial about 1.5 s. */
const SWEEP_PY = `import argparse, time
import mlw_run
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, required=True)
a = p.parse_args()
for i in range(3):
    mlw_run.log_metric("loss", a.lr * 10 / (i + 1), step=i)
    time.sleep(0.5)
print("trial lr=%g done" % a.lr, flush=True)
`;

before(async () => {
  missing = await dockerPythonMissing();
  if (missing) return;
  const started = await startDockerWithPython();
  engine = started.engine;
  ws = trainingWorkspace();
  writeFileSync(path.join(ws, 'sweep_train.py'), SWEEP_PY);
  execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=T', '-c', 'commit.gpgsign=false', 'add', 'sweep_train.py'], {
    cwd: ws,
  });
  execFileSync(
    'git',
    [
      '-c',
      'user.email=t@example.invalid',
      '-c',
      'user.name=T',
      '-c',
      'commit.gpgsign=false',
      'commit',
      '-q',
      '-m',
      'sweep',
      '--',
      'sweep_train.py',
    ],
    { cwd: ws },
  );
  mkdirSync(path.join(ws, '.mlw'), { recursive: true });
  writeFileSync(
    path.join(ws, '.mlw', 'targets.yaml'),
    `targets:\n  dock: { kind: docker, engine: "${engine.dockerHost}", image: ${started.image}, python: /usr/bin/python3 }\n`,
  );
});

after(async () => {
  await engine?.stop();
  if (ws) rmSync(ws, { recursive: true, force: true });
});

const ready = (t: TestContext) => needs(t, 'a Docker engine (docker.io, python3, root)', !missing, missing ?? '');

function mlw(args: string[], t: TestContext, timeoutMs = 150_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MLW, ...args], { cwd: ws, env: process.env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  t.after(() => {
    clearTimeout(timer);
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

function lossValues(runId: string): number[] {
  const text = readFileSync(path.join(ws, '.mlw', 'runs', runId, 'metrics.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { k?: string; key?: string; v?: number; value?: number })
    .filter((m) => (m.k ?? m.key) === 'loss')
    .map((m) => Number(m.v ?? m.value));
}

describe('sweeps on a docker target', () => {
  it('a 3-trial grid with --parallel 2: each trial its own container, at most 2 at once, metrics as logged, no container left', async (t) => {
    if (!ready(t)) return;
    const r = await mlw(['sweep', 'sweep_train.py', '--grid', 'lr=1,2,3', '--target', 'dock', '--parallel', '2', '--json'], t);
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    const runs = JSON.parse(r.stdout) as Run[];
    assert.deepEqual(
      runs.map((x) => [x.status, x.params.lr, x.target?.kind]),
      [
        ['finished', 1, 'docker'],
        ['finished', 2, 'docker'],
        ['finished', 3, 'docker'],
      ],
    );
    assert.equal(new Set(runs.map((x) => x.experiment)).size, 1, 'one experiment');
    assert.equal(new Set(runs.map((x) => x.target?.jobId)).size, 3, 'each trial its own container');
    for (const run of runs) {
      const lr = Number(run.params.lr);
      assert.deepEqual(lossValues(run.id), [lr * 10, (lr * 10) / 2, (lr * 10) / 3], `trial lr=${lr}`);
    }
    // At most 2 at once: at no trial's start were two others already running.
    for (const a of runs) {
      const overlapping = runs.filter(
        (b) => b !== a && (b.startTime ?? 0) <= (a.startTime ?? 0) && (b.endTime ?? Infinity) > (a.startTime ?? 0),
      );
      assert.ok(overlapping.length <= 1, `trial ${String(a.params.lr)} started while ${overlapping.length} others ran`);
    }
    const [a, b] = runs;
    assert.ok((b.startTime ?? Infinity) < (a.endTime ?? 0), 'the first two trials ran at the same time');
    const left = execFileSync('docker', ['-H', engine!.dockerHost, 'ps', '-aq'], { encoding: 'utf8' }).trim();
    assert.equal(left, '', 'no container left');
  });
});
