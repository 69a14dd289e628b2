/**
 * Kubernetes targets, the pieces: the target's keys, the Job and ConfigMap of a run (and the Indexed Job of a sweep)
 * checked against the Kubernetes API schema (kubernetes-models' validators, generated from the API's OpenAPI
 * document: types, enums, quantities, required fields), the reading of `kubectl get job,pod -o json` answers recorded
 * as kubectl documents them, and the pod's entry point (python/mlw_pod.py) run for real with this machine's Python
 * standing in for the container. No cluster runs here.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parseAllDocuments } from 'yaml';
import { parseTargetsYaml } from '../../../src/core/targets/parseTargets';
import { readJobProbe } from '../../../src/core/targets/kubernetes/readJobProbe';
import { bootScript, renderRunJob } from '../../../src/core/targets/kubernetes/renderRunJob';
import type { KubernetesTarget } from '../../../src/core/targets/targetTypes';
import { SYSTEM_PYTHON } from '../../support/requires';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'mlw-k8s-unit-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const HELPER = path.resolve(__dirname, '../../../../python');
const MODELS = path.resolve(__dirname, '../../../../node_modules/kubernetes-models');

/**
 * Validates against the Kubernetes API schema; throws with the schema's complaint. kubernetes-models is ES modules
 * only (its exports have no require condition), so its files are loaded by path (Node loads ES modules through require).
 */
function validate(o: unknown): Promise<void> {
  const kind = (o as { kind: string }).kind;
  const file = path.join(MODELS, kind === 'Job' ? 'batch/v1/Job.js' : 'v1/ConfigMap.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(file) as Record<string, new (x: unknown) => { validate(): void }>;
  return (async () => new mod[kind](o).validate())();
}

const k8s = (yaml: string) => parseTargetsYaml(`targets:\n  k8s: ${yaml}\n`, '.mlw/targets.yaml');

test("a kubernetes target's keys are read and checked at their key", () => {
  const { targets, errors } = k8s(
    '{ kind: kubernetes, namespace: ml, image: "reg.example:5000/train:1", gpus: 2, context: gke-ml, cpu: 4, memory: 16Gi, serviceAccount: trainer, nodeSelector: { "cloud.google.com/gke-accelerator": nvidia-l4 }, activeDeadlineSeconds: 3600 }',
  );
  assert.deepEqual(errors, []);
  const t = targets[0] as KubernetesTarget;
  assert.deepEqual(
    [t.kind, t.namespace, t.image, t.gpus, t.context, t.cpu, t.memory, t.serviceAccount, t.nodeSelector, t.activeDeadlineSeconds, t.python],
    [
      'kubernetes',
      'ml',
      'reg.example:5000/train:1',
      2,
      'gke-ml',
      '4',
      '16Gi',
      'trainer',
      { 'cloud.google.com/gke-accelerator': 'nvidia-l4' },
      3600,
      'python3',
    ],
  );
  const bad: Array<[string, RegExp]> = [
    ['{ kind: kubernetes, image: i }', /namespace is required for a kubernetes target/],
    ['{ kind: kubernetes, namespace: ML_Team, image: i }', /namespace must be a Kubernetes name/],
    ['{ kind: kubernetes, namespace: ml }', /image is required/],
    ['{ kind: kubernetes, namespace: ml, image: i, memory: 16GB }', /memory must be a Kubernetes quantity such as 16Gi, not 16GB/],
    ['{ kind: kubernetes, namespace: ml, image: i, gpus: 1.5 }', /gpus must be a whole number of GPUs/],
    [
      '{ kind: kubernetes, namespace: ml, image: i, host: login1 }',
      /host is not a key of a kubernetes target \(known: kind, workdir, python, env, namespace, image/,
    ],
    ['{ kind: kubernetes, namespace: ml, image: i, context: --all }', /context must not start with "-"/],
  ];
  for (const [y, re] of bad) {
    const r = k8s(y);
    assert.equal(r.targets.length, 0, y);
    assert.match(r.errors[0], /^\.mlw\/targets\.yaml:2: target k8s: /);
    assert.match(r.errors[0], re);
  }
});

const target: KubernetesTarget = {
  name: 'k8s',
  origin: 'test',
  kind: 'kubernetes',
  namespace: 'ml',
  image: 'reg.example:5000/train:1',
  gpus: 1,
  cpu: '4',
  memory: '16Gi',
  serviceAccount: 'trainer',
  nodeSelector: { 'cloud.google.com/gke-accelerator': 'nvidia-l4' },
  activeDeadlineSeconds: 7200,
  workdir: '~/mlw-runs',
  python: 'python3',
  env: {},
};
const bundle = gzipSync(Buffer.from('not really a tar'));

test('one run: a ConfigMap with the bundle and a Job with GPU limits, labels, backoffLimit 0, TTL, restartPolicy Never, valid by the API schema', async () => {
  const id = '20261203-101500-123-abc123';
  const m = renderRunJob({
    target,
    name: `mlw-${id}`,
    runs: [{ id, argv: ['python3', 'train.py', '--lr=0.1'], env: { MLW_RUN_ID: id } }],
    cwd: 'src',
    bundle,
  });
  await validate(m.configMap);
  await validate(m.job);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const [cm, job] = parseAllDocuments(m.yaml).map((d) => d.toJS() as any);
  assert.deepEqual(m.configMap, cm);
  assert.deepEqual(m.job, job);
  assert.equal(job.metadata.namespace, 'ml');
  assert.equal(job.metadata.labels['mlworkbench.dev/run-id'], id);
  assert.equal(job.metadata.labels['mlworkbench.dev/job'], `mlw-${id}`);
  assert.equal(job.spec.backoffLimit, 0);
  assert.equal(job.spec.ttlSecondsAfterFinished, 86400);
  assert.equal(job.spec.activeDeadlineSeconds, 7200);
  assert.equal(job.spec.completionMode, undefined);
  const pod = job.spec.template.spec;
  assert.equal(pod.restartPolicy, 'Never');
  assert.equal(pod.serviceAccountName, 'trainer');
  assert.deepEqual(pod.nodeSelector, { 'cloud.google.com/gke-accelerator': 'nvidia-l4' });
  assert.deepEqual(pod.tolerations, [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  const c = pod.containers[0];
  assert.equal(c.image, 'reg.example:5000/train:1');
  assert.deepEqual(c.resources, { limits: { cpu: '4', memory: '16Gi', 'nvidia.com/gpu': 1 }, requests: { cpu: '4', memory: '16Gi' } });
  assert.deepEqual(c.command.slice(0, 2), ['python3', '-c']);
  assert.deepEqual(pod.volumes, [
    { name: 'bundle', configMap: { name: `mlw-${id}` } },
    { name: 'work', emptyDir: {} },
  ]);
  assert.deepEqual(gunzipSync(Buffer.from(cm.binaryData['bundle.tar.gz'], 'base64')).toString(), 'not really a tar');
  assert.deepEqual(JSON.parse(cm.data['pod.json']), {
    cwd: 'src',
    runs: [{ id, argv: ['python3', 'train.py', '--lr=0.1'], env: { MLW_RUN_ID: id } }],
  });
  // The review copy leaves the bundle out; the rest is the same.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const review = parseAllDocuments(m.review).map((d) => d.toJS() as any);
  assert.match(review[0].binaryData['bundle.tar.gz'], /^<\d+ bytes: code\/ and helper\/ of the run>$/);
  assert.deepEqual(review[1], job);
  // The schema catches what the API server would refuse (so the check above is not empty).
  await assert.rejects(
    validate({ ...m.job, spec: { ...(m.job.spec as object), completionMode: 'Sideways' } }),
    /completionMode must be equal to one of the allowed values/,
  );
  await assert.rejects(
    validate(
      renderRunJob({ target: { ...target, memory: '16 GB' }, name: 'x', runs: [{ id, argv: ['p'], env: {} }], cwd: '', bundle }).job,
    ),
    /memory must match format "quantity"/,
  );
});

test('a sweep is one Indexed Job: completions = trials, parallelism capped, one pod.json entry per index', async () => {
  const runs = [0, 1, 2, 3, 4].map((i) => ({ id: `r${i}`, argv: ['python3', 'train.py', `--lr=0.${i}`], env: {} }));
  const m = renderRunJob({ target: { ...target, gpus: 0 }, name: 'mlw-sweep-1', runs, cwd: '', bundle, parallelism: 2 });
  await validate(m.job);
  await validate(m.configMap);
  const spec = m.job.spec as Record<string, unknown> & {
    template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: Record<string, unknown> };
  };
  assert.deepEqual([spec.completionMode, spec.completions, spec.parallelism], ['Indexed', 5, 2]);
  assert.equal(spec.template.metadata.labels['mlworkbench.dev/run-id'], undefined, 'one pod template for all trials: no single run id');
  assert.equal(spec.template.metadata.annotations['mlworkbench.dev/runs'], 'r0,r1,r2,r3,r4');
  assert.equal(spec.template.spec.tolerations, undefined, 'no GPU asked: no GPU toleration');
  const wide = renderRunJob({ target, name: 'mlw-s', runs, cwd: '', bundle, parallelism: 50 }).job.spec as { parallelism: number };
  assert.equal(wide.parallelism, 5);
});

test('a bundle over the 1 MiB a ConfigMap holds is refused with a way out; a bad name too', () => {
  const big = Buffer.alloc(1024 * 1024 + 1);
  assert.throws(
    () => renderRunJob({ target, name: 'mlw-x', runs: [{ id: 'x', argv: ['p'], env: {} }], cwd: '', bundle: big }),
    /packs to 1\.00 MiB, more than the 1 MiB a Kubernetes ConfigMap holds: commit less .* or bake the code into reg\.example:5000\/train:1/,
  );
  assert.throws(
    () => renderRunJob({ target, name: 'Mlw_X', runs: [{ id: 'x', argv: ['p'], env: {} }], cwd: '', bundle }),
    /Not a Kubernetes Job name: Mlw_X/,
  );
});

// `kubectl get job,pod -l … -o json` answers, as kubectl prints them (a List of the Job and its pod), trimmed to the
// fields read. Recorded transcripts: no cluster runs here.
const job = (conditions: unknown[] = []) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'mlw-r' }, status: { conditions } });
const pod = (status: unknown, nodeName?: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'mlw-r-x7k2p', creationTimestamp: '2026-12-03T10:15:01Z' },
  spec: nodeName ? { nodeName } : {},
  status,
});
const list = (...items: unknown[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });

test('kubectl get answers: pending reasons, node, and failures read as the run would show them', () => {
  const unsched = readJobProbe(
    list(
      job(),
      pod({
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu. preemption: 0/3 nodes are available.',
          },
        ],
      }),
    ),
  );
  assert.deepEqual(unsched, {
    state: 'PENDING',
    logs: false,
    pod: 'mlw-r-x7k2p',
    reason: 'Unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu. preemption: 0/3 nodes are available.',
  });
  const creating = readJobProbe(
    list(
      job(),
      pod({ phase: 'Pending', containerStatuses: [{ name: 'train', state: { waiting: { reason: 'ContainerCreating' } } }] }, 'gpu-node-1'),
    ),
  );
  assert.deepEqual(
    [creating.state, creating.reason, creating.node, creating.ended],
    ['PENDING', 'ContainerCreating', 'gpu-node-1', undefined],
  );
  const running = readJobProbe(
    list(job(), pod({ phase: 'Running', containerStatuses: [{ name: 'train', state: { running: { startedAt: 'x' } } }] }, 'gpu-node-1')),
  );
  assert.deepEqual(running, { state: 'RUNNING', logs: true, pod: 'mlw-r-x7k2p', node: 'gpu-node-1' });
  const ok = readJobProbe(
    list(
      job([{ type: 'Complete', status: 'True' }]),
      pod(
        { phase: 'Succeeded', containerStatuses: [{ name: 'train', state: { terminated: { reason: 'Completed', exitCode: 0 } } }] },
        'gpu-node-1',
      ),
    ),
  );
  assert.deepEqual([ok.state, ok.ended], ['SUCCEEDED', { code: 0 }]);
  const oom = readJobProbe(
    list(
      job([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]),
      pod(
        { phase: 'Failed', containerStatuses: [{ name: 'train', state: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }] },
        'gpu-node-1',
      ),
    ),
  );
  assert.deepEqual(
    [oom.state, oom.reason, oom.ended],
    ['FAILED', 'OOMKilled', { code: 137, error: 'OOMKilled: the container went over its memory limit' }],
  );
  const pull = readJobProbe(
    list(
      job(),
      pod({
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'train',
            state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "reg.example:5000/train:1"' } },
          },
        ],
      }),
    ),
  );
  assert.deepEqual(
    [pull.state, pull.logs, pull.ended],
    ['FAILED', false, { code: null, error: 'ImagePullBackOff: Back-off pulling image "reg.example:5000/train:1"' }],
  );
  const deadline = readJobProbe(
    list(
      job([{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }]),
      pod({
        phase: 'Failed',
        reason: 'DeadlineExceeded',
        containerStatuses: [{ name: 'train', state: { terminated: { reason: 'Error', exitCode: 143 } } }],
      }),
    ),
  );
  assert.deepEqual(
    [deadline.state, deadline.ended],
    ['FAILED', { code: null, error: 'DeadlineExceeded: Job was active longer than specified deadline' }],
  );
  assert.deepEqual(readJobProbe(list()), { state: 'GONE', logs: false });
});

test("the pod's entry point, run for real: the bundle unpacked by the boot script, index 1's params, whole output and metric lines, the exit line, the folder packed", () => {
  // The container's filesystem: /mlw-bundle (the ConfigMap) and /mlw (the emptyDir) stand here under tmp.
  const root = path.join(tmp, 'pod');
  const src = path.join(tmp, 'bundle-src');
  mkdirSync(path.join(src, 'code', 'src'), { recursive: true });
  mkdirSync(path.join(src, 'helper'), { recursive: true });
  writeFileSync(path.join(src, 'helper', 'mlw_pod.py'), readFileSync(path.join(HELPER, 'mlw_pod.py')));
  writeFileSync(path.join(src, 'helper', 'mlw_run.py'), readFileSync(path.join(HELPER, 'mlw_run.py')));
  writeFileSync(
    path.join(src, 'code', 'src', 'train.py'),
    [
      'import sys, mlw_run',
      'lr = float(sys.argv[1].split("=")[1])',
      'print("training with", lr)',
      'print("@@mlw:exit 99 is just text")',
      'for step in range(3):',
      '    mlw_run.log_metric("loss", lr / (step + 1), step=step)',
      'open("model.onnx", "wb").write(b"onnx")',
      'print("done")',
      'sys.exit(3)',
    ].join('\n'),
  );
  const runs = [0, 1].map((i) => ({ id: `r${i}`, argv: [SYSTEM_PYTHON, 'train.py', `--lr=0.${i + 1}`], env: { MLW_RUN_ID: `r${i}` } }));

  const bundleDir = path.join(tmp, 'bundle-mount');
  mkdirSync(bundleDir);
  execFileSync('tar', ['-czf', path.join(bundleDir, 'bundle.tar.gz'), '-C', src, '.']);
  writeFileSync(path.join(bundleDir, 'pod.json'), JSON.stringify({ cwd: 'src', runs }));
  const boot = bootScript().replaceAll('/mlw-bundle', bundleDir).replaceAll('"/mlw', `"${root}`);
  const r = spawnSync(SYSTEM_PYTHON, ['-c', boot], {
    env: { ...process.env, MLW_POD_ROOT: root, JOB_COMPLETION_INDEX: '1', MLW_SYNC_WAIT: '0', PYTHONPATH: '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 3, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines[0], '@@mlw:start r1');
  assert.deepEqual(
    lines.filter((l) => !l.startsWith('@@mlw:metric')),
    ['@@mlw:start r1', 'training with 0.2', ' @@mlw:exit 99 is just text', 'done', '@@mlw:exit 3'],
  );
  const metrics = lines.filter((l) => l.startsWith('@@mlw:metric ')).map((l) => JSON.parse(l.slice('@@mlw:metric '.length)));
  assert.deepEqual(
    metrics.filter((m) => m.k === 'loss').map((m) => [m.s, m.v]),
    [
      [0, 0.2],
      [1, 0.1],
      [2, 0.2 / 3],
    ],
  );
  assert.equal(readFileSync(path.join(root, 'run', '.exit'), 'utf8'), '3');
  // pack: the run folder and the model the script wrote (newer than the start), as a tar on stdout.
  utimesSync(path.join(root, 'code', 'src', 'train.py'), new Date(2020, 0, 1), new Date(2020, 0, 1));
  const packed = spawnSync(SYSTEM_PYTHON, [path.join(root, 'helper', 'mlw_pod.py'), 'pack', '.onnx'], {
    env: { ...process.env, MLW_POD_ROOT: root },
    timeout: 60_000,
  });
  assert.equal(packed.status, 0, String(packed.stderr));
  writeFileSync(path.join(tmp, 'packed.tar'), packed.stdout);
  const names = execFileSync('tar', ['-tf', path.join(tmp, 'packed.tar')], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .sort();
  assert.ok(names.includes('run/metrics.jsonl'), names.join(' '));
  assert.ok(names.includes('outputs/src/model.onnx'), names.join(' '));
  assert.ok(!names.includes('run/.exit') && !names.some((n) => n.endsWith('train.py')), names.join(' '));
});
