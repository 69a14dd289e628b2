/**
 * A run on a kubernetes target, end to end against a RECORDED TRANSCRIPT of kubectl: no cluster runs here. A stand-in
 * `kubectl` (first on PATH, in a temp folder; this machine's real kubectl is never reached) records every argv and
 * replays kubectl's documented answers: `apply --server-side` ("configmap/NAME serverside-applied", "job.batch/NAME
 * serverside-applied"), `get job,pod -o json` Lists going Pending (Unschedulable, ContainerCreating) → Running →
 * Succeeded or OOMKilled, "Unable to connect to the server" once, `logs -f` with the pod entry's metric and exit lines,
 * `delete` ("job.batch "NAME" deleted"). Its `exec … mlw_pod.py pack|synced` runs the real python/mlw_pod.py over a
 * folder standing in for the container's /mlw. Checked: the exact kubectl argv sequence, and the run's state, metrics,
 * output, outputs and status in .mlw/runs.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunStore } from '../../../src/core/runs/RunStore';
import { checkTarget } from '../../../src/core/targets/checkTarget';
import { submitKubernetesRun } from '../../../src/core/targets/kubernetes/submitKubernetesRun';
import type { KubernetesTarget, RunTargetState } from '../../../src/core/targets/targetTypes';
import { SYSTEM_PYTHON } from '../../support/requires';

const HELPER = path.resolve(__dirname, '../../../../python/mlw_pod.py');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mlw-k8s-transcript-'));
const bin = path.join(tmp, 'bin');
mkdirSync(bin);
const savedPath = process.env.PATH;
process.env.PATH = `${bin}${path.delimiter}${process.env.PATH}`;
after(() => {
  process.env.PATH = savedPath;
  rmSync(tmp, { recursive: true, force: true });
});

// The stand-in kubectl: replays FAKE_KUBECTL_DIR/transcript.json, records argv in argv.log.
writeFileSync(
  path.join(bin, 'kubectl'),
  `#!${process.execPath}
const fs = require('fs'), path = require('path'), cp = require('child_process');
const dir = process.env.FAKE_KUBECTL_DIR;
const t = JSON.parse(fs.readFileSync(path.join(dir, 'transcript.json'), 'utf8'));
let a = process.argv.slice(2);
fs.appendFileSync(path.join(dir, 'argv.log'), JSON.stringify(a) + '\\n');
while (a[0] === '--context' || a[0] === '--namespace') a = a.slice(2);
const nameFile = path.join(dir, 'job-name');
const job = () => fs.readFileSync(nameFile, 'utf8');
const fill = (s) => s.split('__JOB__').join(job());
if (a[0] === 'apply') {
  const name = /name: (mlw-\\S+)/.exec(fs.readFileSync(a[a.indexOf('-f') + 1], 'utf8'))[1];
  fs.writeFileSync(nameFile, name);
  process.stdout.write('configmap/' + name + ' serverside-applied\\njob.batch/' + name + ' serverside-applied\\n');
} else if (a[0] === 'auth') {
  const yes = (t.canI ?? {})[a[3]] !== 'no';
  process.stdout.write((yes ? 'yes' : 'no') + '\\n');
  process.exit(yes ? 0 : 1);
} else if (a[0] === 'get' && a[1] === 'nodes') {
  process.stdout.write(JSON.stringify(t.nodes) + '\\n');
} else if (a[0] === 'get') {
  const counter = path.join(dir, 'get-count');
  const n = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;
  fs.writeFileSync(counter, String(n + 1));
  const answer = t.get[Math.min(n, t.get.length - 1)];
  if (answer.stderr) { process.stderr.write(answer.stderr + '\\n'); process.exit(1); }
  process.stdout.write(fill(JSON.stringify(answer.list)) + '\\n');
} else if (a[0] === 'logs') {
  const lines = t.logs.map(fill);
  if (a[1] !== '-f') { process.stdout.write(lines.join('\\n') + '\\n'); process.exit(0); }
  let i = 0;
  const next = () => {
    if (i < lines.length) { process.stdout.write(lines[i++] + '\\n'); setTimeout(next, 20); }
    else if (t.logsHang) setTimeout(() => process.exit(0), 30000);
  };
  next();
} else if (a[0] === 'exec') {
  const cmd = a.slice(a.indexOf('--') + 1);
  const r = cp.spawnSync(process.env.FAKE_PYTHON, [process.env.FAKE_POD_HELPER, ...cmd.slice(2)], {
    env: { ...process.env, MLW_POD_ROOT: path.join(dir, 'pod') }, stdio: 'inherit' });
  process.exit(r.status);
} else if (a[0] === 'delete') {
  for (const r of a.slice(1).filter((x) => !x.startsWith('-'))) {
    const [kind, name] = r.split('/');
    process.stdout.write((kind === 'job' ? 'job.batch' : kind) + ' "' + name + '" deleted\\n');
  }
} else {
  process.stderr.write('transcript has no answer for: ' + a.join(' ') + '\\n');
  process.exit(1);
}
`,
  { mode: 0o755 },
);

const target: KubernetesTarget = {
  name: 'k8s',
  origin: 'test',
  kind: 'kubernetes',
  namespace: 'ml',
  image: 'reg.example:5000/train:1',
  gpus: 1,
  context: 'gke-ml',
  workdir: '~/mlw-runs',
  python: 'python3',
  env: {},
};

// `kubectl get job,pod -o json` answers as kubectl prints them, trimmed to the fields read.
const list = (pod: unknown, jobConditions: unknown[] = []) => ({
  apiVersion: 'v1',
  kind: 'List',
  items: [
    { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: '__JOB__' }, status: { conditions: jobConditions } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: '__JOB__-x7k2p', creationTimestamp: '2026-12-03T10:15:01Z' }, ...(pod as object) },
  ],
});
const UNSCHEDULABLE = list({
  spec: {},
  status: {
    phase: 'Pending',
    conditions: [
      {
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.',
      },
    ],
  },
});
const CREATING = list({
  spec: { nodeName: 'gpu-node-1' },
  status: { phase: 'Pending', containerStatuses: [{ name: 'train', state: { waiting: { reason: 'ContainerCreating' } } }] },
});
const RUNNING = list({
  spec: { nodeName: 'gpu-node-1' },
  status: { phase: 'Running', containerStatuses: [{ name: 'train', state: { running: { startedAt: '2026-12-03T10:15:09Z' } } }] },
});
const OOM = list(
  {
    spec: { nodeName: 'gpu-node-1' },
    status: { phase: 'Failed', containerStatuses: [{ name: 'train', state: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }] },
  },
  [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }],
);
const metric = (k: string, v: number, s: number) => `@@mlw:metric {"k":"${k}","v":${v},"s":${s},"t":1764756909000}`;

let n = 0;
/** A workspace (a git repository with train.py committed) and a transcript folder for one scenario. */
function scenario(transcript: object) {
  const dir = path.join(tmp, `s${++n}`);
  const ws = path.join(dir, 'ws');
  mkdirSync(ws, { recursive: true });
  writeFileSync(path.join(ws, 'train.py'), 'print("runs in the pod")\n');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ws, stdio: 'pipe' });
  git('init', '-q');
  git('-c', 'user.email=t@example.invalid', '-c', 'user.name=t', 'add', 'train.py');
  git('-c', 'user.email=t@example.invalid', '-c', 'user.name=t', 'commit', '-q', '-m', 'train');
  const fake = path.join(dir, 'kubectl');
  mkdirSync(path.join(fake, 'pod', 'run'), { recursive: true });
  mkdirSync(path.join(fake, 'pod', 'code'), { recursive: true });
  writeFileSync(path.join(fake, 'transcript.json'), JSON.stringify(transcript));
  process.env.FAKE_KUBECTL_DIR = fake;
  process.env.FAKE_PYTHON = SYSTEM_PYTHON;
  process.env.FAKE_POD_HELPER = HELPER;
  const argv = () =>
    readFileSync(path.join(fake, 'argv.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
  return { ws, fake, argv, store: new RunStore(ws) };
}

/** The calls with repeated polls folded into one (how many polls fall between two steps depends on timing). */
const folded = (calls: string[][]) => calls.filter((c, i) => i === 0 || JSON.stringify(c) !== JSON.stringify(calls[i - 1]));
const K = ['--context', 'gke-ml', '--namespace', 'ml'];

test('a run: applied, pending with its reason, unreachable once, running on its node, logs and metrics followed, folder copied back, finished', async () => {
  const s = scenario({
    get: [
      { list: UNSCHEDULABLE },
      { stderr: 'Unable to connect to the server: dial tcp 10.0.0.1:443: i/o timeout' },
      { list: CREATING },
      { list: RUNNING },
    ],
    logs: [
      '@@mlw:start __RUN__',
      'epoch 1',
      metric('loss', 0.5, 0),
      'epoch 2',
      metric('loss', 0.25, 1),
      'saved model.onnx',
      '@@mlw:exit 0',
    ],
  });
  // The container's /mlw after the script: its run folder and the model it wrote (newer than its start).
  const pod = path.join(s.fake, 'pod');
  writeFileSync(path.join(pod, 'started'), '0');
  utimesSync(path.join(pod, 'started'), new Date(2026, 0, 1), new Date(2026, 0, 1));
  writeFileSync(path.join(pod, 'run', 'metrics.jsonl'), `${metric('loss', 0.5, 0).slice(13)}\n${metric('loss', 0.25, 1).slice(13)}\n`);
  writeFileSync(path.join(pod, 'run', 'logged.jsonl'), '{"type":"param","key":"lr","value":0.1}\n');
  writeFileSync(path.join(pod, 'code', 'model.onnx'), 'onnx bytes');
  const states: RunTargetState[] = [];
  const handle = await submitKubernetesRun({
    store: s.store,
    target,
    script: 'train.py',
    cwd: s.ws,
    pollMs: 300,
    onState: (t) => states.push(t),
  });
  const run = await handle.done;
  assert.equal(run.status, 'finished', run.error);
  assert.equal(run.exitCode, 0);
  const job = `mlw-${handle.id}`;
  const pod0 = `${job}-x7k2p`;
  const helper = '/mlw/helper/mlw_pod.py';
  assert.deepEqual(folded(s.argv()), [
    [...K, 'apply', '--server-side', '--field-manager=ml-workbench', '-f', path.join(handle.dir, 'job.yaml')],
    [...K, 'get', 'job,pod', '-l', `mlworkbench.dev/job=${job}`, '-o', 'json'],
    [...K, 'logs', '-f', pod0, '-c', 'train'],
    [...K, 'get', 'job,pod', '-l', `mlworkbench.dev/job=${job}`, '-o', 'json'],
    [
      ...K,
      'exec',
      pod0,
      '-c',
      'train',
      '--',
      'python3',
      helper,
      'pack',
      '.onnx',
      '.pt',
      '.pth',
      '.ckpt',
      '.safetensors',
      '.pkl',
      '.joblib',
      '.h5',
      '.keras',
    ],
    [...K, 'exec', pod0, '-c', 'train', '--', 'python3', helper, 'synced'],
    [...K, 'delete', `configmap/${job}`, '--ignore-not-found', '--wait=false'],
  ]);
  // What the user sees of the Job on the way (as for SLURM runs: pending reason, node; unreachable, then back).
  assert.ok(
    states.some((t) => t.state === 'PENDING' && t.reason === 'Unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu.'),
  );
  assert.ok(states.some((t) => t.unreachableSince));
  assert.ok(states.some((t) => t.state === 'PENDING' && t.reason === 'ContainerCreating' && t.node === 'gpu-node-1'));
  assert.ok(states.some((t) => t.state === 'RUNNING' && t.node === 'gpu-node-1' && !t.unreachableSince));
  const saved = JSON.parse(readFileSync(path.join(handle.dir, 'run.json'), 'utf8'));
  assert.deepEqual([saved.status, saved.target.kind, saved.target.jobId, saved.target.node], ['finished', 'kubernetes', job, 'gpu-node-1']);
  assert.equal(saved.git.commit.length, 40);
  const losses = readFileSync(path.join(handle.dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((m) => m.k === 'loss')
    .map((m) => [m.s, m.v]);
  assert.deepEqual(losses, [
    [0, 0.5],
    [1, 0.25],
  ]);
  assert.equal(readFileSync(path.join(handle.dir, 'stdout.log'), 'utf8'), 'epoch 1\nepoch 2\nsaved model.onnx\n');
  assert.equal(readFileSync(path.join(handle.dir, 'outputs', 'model.onnx'), 'utf8'), 'onnx bytes');
  assert.ok(existsSync(path.join(handle.dir, 'logged.jsonl')));
  assert.ok(existsSync(path.join(pod, 'run', '.synced')), 'the container was told it may exit');
  // The applied manifest is kept in the run folder.
  assert.match(readFileSync(path.join(handle.dir, 'job.yaml'), 'utf8'), /kind: Job[\s\S]*nvidia.com\/gpu: 1/);
});

test('an OOMKilled pod ends the run as failed with that reason; the Job and its ConfigMap are deleted', async () => {
  const s = scenario({
    get: [{ list: RUNNING }, { list: RUNNING }, { list: OOM }],
    logs: ['@@mlw:start r', 'epoch 1', metric('loss', 0.9, 0)],
  });
  const handle = await submitKubernetesRun({ store: s.store, target, script: 'train.py', cwd: s.ws, pollMs: 300 });
  const run = await handle.done;
  assert.equal(run.status, 'failed');
  assert.match(run.error ?? '', /OOMKilled: the container went over its memory limit/);
  const job = `mlw-${handle.id}`;
  const calls = folded(s.argv()).map((c) => c.slice(K.length).join(' '));
  assert.deepEqual(calls.slice(-4), [
    `get job,pod -l mlworkbench.dev/job=${job} -o json`,
    `logs ${job}-x7k2p -c train`,
    `delete job/${job} --ignore-not-found --wait=false --cascade=background`,
    `delete configmap/${job} --ignore-not-found --wait=false`,
  ]);
  assert.equal(
    readFileSync(path.join(handle.dir, 'stdout.log'), 'utf8'),
    'epoch 1\n',
    'the log read again after the end adds nothing twice',
  );
  assert.equal(
    readFileSync(path.join(handle.dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .filter((l) => l.includes('"loss"')).length,
    1,
  );
});

test('Stop deletes the Job with --wait=false and background propagation; the run is stopped', async () => {
  const s = scenario({ get: [{ list: RUNNING }], logs: ['@@mlw:start r', 'epoch 1', metric('loss', 0.7, 0)], logsHang: true });
  const handle = await submitKubernetesRun({ store: s.store, target, script: 'train.py', cwd: s.ws, pollMs: 300 });
  const metrics = path.join(handle.dir, 'metrics.jsonl');
  const t0 = Date.now();
  while (!(existsSync(metrics) && readFileSync(metrics, 'utf8').includes('"loss"'))) {
    assert.ok(Date.now() - t0 < 20_000, 'the metric line arrived through kubectl logs -f');
    await new Promise((r) => setTimeout(r, 50));
  }
  const run = await handle.stop();
  assert.equal(run.status, 'stopped');
  const job = `mlw-${handle.id}`;
  const calls = folded(s.argv()).map((c) => c.slice(K.length).join(' '));
  assert.deepEqual(calls.slice(-3), [
    `delete job/${job} configmap/${job} --ignore-not-found --wait=false --cascade=background`,
    `logs ${job}-x7k2p -c train`,
    `delete configmap/${job} --ignore-not-found --wait=false`,
  ]);
  assert.equal(JSON.parse(readFileSync(path.join(handle.dir, 'run.json'), 'utf8')).target.state, 'DELETED');
});

test('mlw targets check: kubectl auth can-i for Jobs and ConfigMaps, allocatable GPUs summed over the nodes', async () => {
  const node = (name: string, gpus?: string) => ({
    metadata: { name, labels: {} },
    status: { allocatable: { cpu: '8', ...(gpus ? { 'nvidia.com/gpu': gpus } : {}) } },
  });
  const nodes = { apiVersion: 'v1', kind: 'List', items: [node('cpu-1'), node('gpu-1', '4'), node('gpu-2', '2')] };
  const s = scenario({ get: [], logs: [], nodes });
  const ok = await checkTarget(target, s.ws);
  assert.deepEqual(
    ok.items.map((i) => [i.name, i.ok]),
    [
      ['reachable', true],
      ['scheduler', true],
      ['gpus', true],
    ],
  );
  assert.equal(ok.items[2].detail, '6 GPU(s) allocatable on 2 of 3 node(s)');
  assert.deepEqual(s.argv(), [
    [...K, 'auth', 'can-i', 'create', 'jobs.batch'],
    [...K, 'auth', 'can-i', 'create', 'configmaps'],
    ['--context', 'gke-ml', 'get', 'nodes', '-o', 'json'],
  ]);
  const denied = scenario({ get: [], logs: [], nodes, canI: { 'jobs.batch': 'no' } });
  const no = await checkTarget({ ...target, gpus: 8 }, denied.ws);
  assert.equal(no.ok, false);
  assert.match(no.items[1].detail, /may not create Jobs in namespace ml/);
  assert.match(no.items[2].detail, /no node offers the 8 a run asks for/);
});
