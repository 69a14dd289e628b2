/**
 * A grid sweep on a kubernetes target as ONE Indexed Job, end to end against a RECORDED TRANSCRIPT of kubectl: no
 * cluster runs here. A stand-in `kubectl` (first on PATH, in a temp folder; this machine's real kubectl is never
 * reached) records every argv and replays kubectl's documented answers: `apply --server-side` ("configmap/NAME
 * serverside-applied", "job.batch/NAME serverside-applied"); `get job,pod -l mlworkbench.dev/job=NAME -o json` Lists
 * with the Job and its pods (named NAME-I-xxxxx and labelled batch.kubernetes.io/job-completion-index=I as the Job
 * controller labels the pods of an Indexed Job), pod I appearing at the I-th poll, each going ContainerCreating →
 * Running; `logs -f POD` with the pod entry's start, metric and exit lines of
 * that trial; `delete` ("pod "NAME" deleted"). Its `exec POD … mlw_pod.py pack|synced` runs the real python/mlw_pod.py
 * over a folder standing in for that pod's /mlw. Checked: one apply of one Indexed Job valid by the API schema, each
 * trial's argv sequence, and each trial's run (its own metrics, params, tags, status) in .mlw/runs.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { RunStore } from '../../../src/core/runs/RunStore';
import type { RemoteRunHandle } from '../../../src/core/targets/remoteRunTypes';
import { submitRemoteSweep } from '../../../src/core/targets/submitRemoteSweep';
import type { KubernetesTarget } from '../../../src/core/targets/targetTypes';
import { validateKubernetesObject } from '../../support/kubernetesSchema';
import { SYSTEM_PYTHON } from '../../support/requires';

const HELPER = path.resolve(__dirname, '../../../../python/mlw_pod.py');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mlw-k8s-sweep-transcript-'));
const bin = path.join(tmp, 'bin');
mkdirSync(bin);
const savedPath = process.env.PATH;
process.env.PATH = `${bin}${path.delimiter}${process.env.PATH}`;
after(() => {
  process.env.PATH = savedPath;
  rmSync(tmp, { recursive: true, force: true });
});

// The stand-in kubectl: replays FAKE_KUBECTL_DIR/transcript.json per completion index, records argv in argv.log.
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
const podName = (i) => job() + '-' + i + '-x7k2p';
const indexOf = (pod) => Number(/-(\\d+)-x7k2p$/.exec(pod)[1]);
if (a[0] === 'apply') {
  const name = /name: (mlw-\\S+)/.exec(fs.readFileSync(a[a.indexOf('-f') + 1], 'utf8'))[1];
  fs.writeFileSync(nameFile, name);
  process.stdout.write('configmap/' + name + ' serverside-applied\\njob.batch/' + name + ' serverside-applied\\n');
} else if (a[0] === 'get') {
  // Every trial's follower asks for the Job and all its pods; pod I appears at the I-th poll (the Job's parallelism).
  const counter = path.join(dir, 'get-count');
  const n = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;
  fs.writeFileSync(counter, String(n + 1));
  const items = [{ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: job() }, status: { active: 2 } }];
  for (let i = 0; i < t.logs.length && i <= n; i++) {
    const labels = { 'mlworkbench.dev/job': job(), 'batch.kubernetes.io/job-completion-index': String(i) };
    items.push({ apiVersion: 'v1', kind: 'Pod', metadata: { name: podName(i), labels, creationTimestamp: '2026-12-03T10:15:0' + i + 'Z' },
      spec: { nodeName: 'gpu-node-' + i }, status: t.pods[Math.min(n - i, t.pods.length - 1)] });
  }
  process.stdout.write(JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) + '\\n');
} else if (a[0] === 'logs') {
  const i = indexOf(a[1] === '-f' ? a[2] : a[1]);
  const lines = t.logs[i];
  if (a[1] !== '-f') { process.stdout.write(lines.join('\\n') + '\\n'); process.exit(0); }
  let k = 0;
  const next = () => {
    if (k < lines.length) { process.stdout.write(lines[k++] + '\\n'); setTimeout(next, 20); }
    else if ((t.hang ?? []).includes(i)) setTimeout(() => process.exit(0), 30000);
  };
  next();
} else if (a[0] === 'exec') {
  const cmd = a.slice(a.indexOf('--') + 1);
  const r = cp.spawnSync(process.env.FAKE_PYTHON, [process.env.FAKE_POD_HELPER, ...cmd.slice(2)], {
    env: { ...process.env, MLW_POD_ROOT: path.join(dir, 'pod-' + indexOf(a[1])) }, stdio: 'inherit' });
  process.exit(r.status);
} else if (a[0] === 'delete') {
  const names = a.slice(1).filter((x) => !x.startsWith('-') && !x.includes('='));
  for (const r of names.filter((x) => x.includes('/'))) {
    const [kind, name] = r.split('/');
    process.stdout.write((kind === 'job' ? 'job.batch' : kind) + ' "' + name + '" deleted\\n');
  }
  const sel = a.indexOf('-l') >= 0 ? a[a.indexOf('-l') + 1] : '';
  if (names[0] === 'pod') process.stdout.write('pod "' + podName(Number(/job-completion-index=(\\d+)/.exec(sel)[1])) + '" deleted\\n');
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
const CREATING = { phase: 'Pending', containerStatuses: [{ name: 'train', state: { waiting: { reason: 'ContainerCreating' } } }] };
const RUNNING = { phase: 'Running', containerStatuses: [{ name: 'train', state: { running: { startedAt: '2026-12-03T10:15:09Z' } } }] };
const metric = (k: string, v: number, s: number) => `{"k":"${k}","v":${v},"s":${s},"t":1764756909000}`;
const LRS = [0.1, 0.01, 0.001];
/** Trial i's loss at step s: what its log prints and its pod's run/metrics.jsonl holds. */
const loss = (i: number, s: number) => (i + 1) / (s + 2);
const K = ['--context', 'gke-ml', '--namespace', 'ml'];
const helper = '/mlw/helper/mlw_pod.py';
const EXT = ['.onnx', '.pt', '.pth', '.ckpt', '.safetensors', '.pkl', '.joblib', '.h5', '.keras'];
/** The calls with repeated polls folded into one (how many polls fall between two steps depends on timing). */
const folded = (calls: string[][]) => calls.filter((c, i) => i === 0 || JSON.stringify(c) !== JSON.stringify(calls[i - 1]));

let n = 0;
/** A workspace (a git repository with train.py committed), the transcript, and a stand-in /mlw per pod. */
function scenario(hang: number[] = []) {
  const dir = path.join(tmp, `s${++n}`);
  const ws = path.join(dir, 'ws');
  mkdirSync(ws, { recursive: true });
  writeFileSync(path.join(ws, 'train.py'), 'print("runs in the pod")\n');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ws, stdio: 'pipe' });
  git('init', '-q');
  git('-c', 'user.email=t@example.invalid', '-c', 'user.name=t', 'add', 'train.py');
  git('-c', 'user.email=t@example.invalid', '-c', 'user.name=t', 'commit', '-q', '-m', 'train');
  const fake = path.join(dir, 'kubectl');
  const logs = LRS.map((_, i) => [
    `@@mlw:start t${i}`,
    `trial ${i} epoch 1`,
    `@@mlw:metric ${metric('loss', loss(i, 0), 0)}`,
    ...(hang.includes(i) ? [] : [`@@mlw:metric ${metric('loss', loss(i, 1), 1)}`, '@@mlw:exit 0']),
  ]);
  for (let i = 0; i < LRS.length; i++) {
    mkdirSync(path.join(fake, `pod-${i}`, 'run'), { recursive: true });
    mkdirSync(path.join(fake, `pod-${i}`, 'code'), { recursive: true });
    writeFileSync(
      path.join(fake, `pod-${i}`, 'run', 'metrics.jsonl'),
      `${metric('loss', loss(i, 0), 0)}\n${metric('loss', loss(i, 1), 1)}\n`,
    );
  }
  writeFileSync(path.join(fake, 'transcript.json'), JSON.stringify({ pods: [CREATING, RUNNING], logs, hang }));
  process.env.FAKE_KUBECTL_DIR = fake;
  process.env.FAKE_PYTHON = SYSTEM_PYTHON;
  process.env.FAKE_POD_HELPER = HELPER;
  const argv = () =>
    readFileSync(path.join(fake, 'argv.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).slice(K.length) as string[]);
  return { ws, fake, argv, store: new RunStore(ws) };
}

test('a 3-trial grid sweep is ONE apply of one Indexed Job; each trial is its own run followed by its pod, with its own metrics', async () => {
  const s = scenario();
  const sweep = await submitRemoteSweep({
    store: s.store,
    target,
    script: 'train.py',
    cwd: s.ws,
    pollMs: 300,
    paramSets: LRS.map((lr) => ({ lr })),
    parallel: 2,
    experiment: 'k8s-grid',
  });
  const runs = await sweep.done;
  assert.deepEqual(
    runs.map((r) => [r.status, r.error]),
    LRS.map(() => ['finished', undefined]),
  );
  const calls = s.argv();
  const applies = calls.filter((c) => c[0] === 'apply');
  assert.equal(applies.length, 1, 'one kubectl apply for the whole sweep');
  assert.deepEqual(calls[0], [
    'apply',
    '--server-side',
    '--field-manager=ml-workbench',
    '-f',
    path.join(s.store.runDir(runs[0].id), 'job.yaml'),
  ]);
  const job = `mlw-${runs[0].id}`;

  // The applied manifest: one ConfigMap and one Indexed Job, valid by the API schema.
  const docs = parseAllDocuments(readFileSync(applies[0][4], 'utf8')).map((d) => d.toJSON());
  assert.deepEqual(
    docs.map((d) => [d.kind, d.metadata.name]),
    [
      ['ConfigMap', job],
      ['Job', job],
    ],
  );
  for (const d of docs) await validateKubernetesObject(d);
  const spec = docs[1].spec;
  assert.deepEqual(
    [spec.completionMode, spec.completions, spec.parallelism, spec.backoffLimitPerIndex, spec.backoffLimit],
    ['Indexed', 3, 2, 0, undefined],
  );
  assert.equal(spec.template.metadata.annotations['mlworkbench.dev/runs'], runs.map((r) => r.id).join(','));
  const pod = JSON.parse(docs[0].data['pod.json']) as { runs: Array<{ id: string; argv: string[] }> };
  assert.deepEqual(
    pod.runs.map((r) => [r.id, r.argv]),
    runs.map((r, i) => [r.id, ['python3', 'train.py', `--lr=${LRS[i]}`]]),
  );

  // Each trial: its pod found by its completion-index label, its log followed, its folder copied back; in between only
  // polls of the Job and its pods. The ConfigMap is deleted once, at the end.
  const get = ['get', 'job,pod', '-l', `mlworkbench.dev/job=${job}`, '-o', 'json'];
  assert.deepEqual(
    [...new Set(calls.filter((c) => !['apply', 'logs', 'exec', 'delete'].includes(c[0])).map((c) => JSON.stringify(c)))],
    [JSON.stringify(get)],
  );
  for (let i = 0; i < 3; i++) {
    const p = `${job}-${i}-x7k2p`;
    assert.deepEqual(folded(calls.filter((c) => c.includes(p))), [
      ['logs', '-f', p, '-c', 'train'],
      ['exec', p, '-c', 'train', '--', 'python3', helper, 'pack', ...EXT],
      ['exec', p, '-c', 'train', '--', 'python3', helper, 'synced'],
    ]);
    assert.ok(existsSync(path.join(s.fake, `pod-${i}`, 'run', '.synced')), `pod ${i} was told it may exit`);
  }
  assert.deepEqual(calls.at(-1), ['delete', `configmap/${job}`, '--ignore-not-found', '--wait=false', '--cascade=background']);
  assert.equal(calls.filter((c) => c[0] === 'delete').length, 1, 'no Job or pod deleted when every trial finished');

  // .mlw/runs: three runs of one experiment, tagged as a local sweep's trials, each with its own metrics.
  const sweepTag = runs[0].tags?.['mlw.sweep'];
  assert.ok(sweepTag);
  for (let i = 0; i < 3; i++) {
    const dir = s.store.runDir(runs[i].id);
    const saved = JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8'));
    assert.deepEqual(
      [saved.status, saved.experiment, saved.name, saved.params.lr, saved.tags['mlw.sweep'], saved.tags['mlw.sweep.index']],
      ['finished', 'k8s-grid', `k8s-grid-${i + 1}`, LRS[i], sweepTag, String(i)],
    );
    assert.deepEqual(
      [saved.target.kind, saved.target.jobId, saved.target.index, saved.target.node],
      ['kubernetes', job, i, `gpu-node-${i}`],
    );
    const losses = readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((m) => m.k === 'loss')
      .map((m) => [m.s, m.v]);
    assert.deepEqual(losses, [
      [0, loss(i, 0)],
      [1, loss(i, 1)],
    ]);
    assert.equal(readFileSync(path.join(dir, 'stdout.log'), 'utf8'), `trial ${i} epoch 1\n`);
  }
});

test('stopping one trial deletes its pod alone (backoffLimitPerIndex 0: that index fails, not retried); the others finish', async () => {
  const s = scenario([1]);
  const handles: RemoteRunHandle[] = [];
  const sweep = await submitRemoteSweep({
    store: s.store,
    target,
    script: 'train.py',
    cwd: s.ws,
    pollMs: 300,
    paramSets: LRS.map((lr) => ({ lr })),
    onTrial: (i, h) => (handles[i] = h),
  });
  const metrics = path.join(handles[1].dir, 'metrics.jsonl');
  const t0 = Date.now();
  while (!(existsSync(metrics) && readFileSync(metrics, 'utf8').includes('"loss"'))) {
    assert.ok(Date.now() - t0 < 20_000, "trial 1's metric arrived through kubectl logs -f");
    await new Promise((r) => setTimeout(r, 50));
  }
  const stopped = await handles[1].stop();
  assert.equal(stopped.status, 'stopped');
  const runs = await sweep.done;
  assert.deepEqual(
    runs.map((r) => r.status),
    ['finished', 'stopped', 'finished'],
  );
  const job = `mlw-${runs[0].id}`;
  const deletes = s.argv().filter((c) => c[0] === 'delete');
  assert.deepEqual(deletes, [
    ['delete', 'pod', '-l', `mlworkbench.dev/job=${job},batch.kubernetes.io/job-completion-index=1`, '--ignore-not-found', '--wait=false'],
    ['delete', `configmap/${job}`, '--ignore-not-found', '--wait=false', '--cascade=background'],
  ]);
  assert.equal(JSON.parse(readFileSync(path.join(handles[1].dir, 'run.json'), 'utf8')).target.state, 'DELETED');
});

test('Ctrl-C (stopAll) deletes the Job and its ConfigMap; every trial ends stopped', async () => {
  const s = scenario([0, 1, 2]);
  const handles: RemoteRunHandle[] = [];
  const sweep = await submitRemoteSweep({
    store: s.store,
    target,
    script: 'train.py',
    cwd: s.ws,
    pollMs: 300,
    paramSets: LRS.map((lr) => ({ lr })),
    onTrial: (i, h) => (handles[i] = h),
  });
  const t0 = Date.now();
  while (!handles.every((h) => existsSync(path.join(h.dir, 'metrics.jsonl')))) {
    assert.ok(Date.now() - t0 < 20_000, 'every trial is running');
    await new Promise((r) => setTimeout(r, 50));
  }
  const runs = await sweep.stopAll();
  assert.deepEqual(
    runs.map((r) => r.status),
    ['stopped', 'stopped', 'stopped'],
  );
  const job = `mlw-${runs[0].id}`;
  const deletes = s.argv().filter((c) => c[0] === 'delete');
  assert.deepEqual(deletes[0], ['delete', `job/${job}`, `configmap/${job}`, '--ignore-not-found', '--wait=false', '--cascade=background']);
});
