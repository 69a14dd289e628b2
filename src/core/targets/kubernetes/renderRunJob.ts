/**
 * The Kubernetes objects of a run on a `kind: kubernetes` target: a ConfigMap holding the run bundle and a `batch/v1`
 * Job whose pod unpacks it and runs python/mlw_pod.py. A sweep is one Indexed Job (completionMode Indexed,
 * completions = trials, parallelism), each pod picking its trial from pod.json by JOB_COMPLETION_INDEX. Pure: objects
 * and YAML text out, no I/O.
 */
import { stringify } from 'yaml';
import type { KubernetesTarget } from '../targetTypes';

/** A ConfigMap holds at most 1 MiB (data and binaryData together): the API server refuses a larger one. */
export const CONFIGMAP_MAX_BYTES = 1024 * 1024;
export const BUNDLE_KEY = 'bundle.tar.gz';
export const CONTAINER = 'train';
export const LABEL_RUN = 'mlworkbench.dev/run-id';
export const LABEL_JOB = 'mlworkbench.dev/job';
/** The label the Job controller puts on each pod of an Indexed Job (Kubernetes 1.28+). */
export const LABEL_INDEX = 'batch.kubernetes.io/job-completion-index';
/** The folder of the run in its container (an emptyDir), and where the ConfigMap is mounted. */
export const POD_ROOT = '/mlw';
const BUNDLE_MOUNT = '/mlw-bundle';

export interface PodRun {
  /** The local run's id. */
  id: string;
  /** Interpreter first, run in code/<cwd>. */
  argv: string[];
  env: Record<string, string>;
}

export interface RunJobInput {
  target: KubernetesTarget;
  /** The Job's and the ConfigMap's name (a DNS-1123 label). */
  name: string;
  /** One run, or a sweep's trials (one per completion index). */
  runs: PodRun[];
  /** The working directory relative to code/ ('' for its top). */
  cwd: string;
  /** The gzipped tar of code/ and helper/ (packRunBundle). */
  bundle: Buffer;
  /** Pods of a sweep at once. Default all. */
  parallelism?: number;
  /** Seconds the finished Job (and its pod's log) stays. Default 1 day. */
  ttlSecondsAfterFinished?: number;
  /** Seconds a finished container waits for its folder to be copied back. Default 900. */
  syncWaitSeconds?: number;
}

export interface RunJobManifests {
  configMap: Record<string, unknown>;
  job: Record<string, unknown>;
  /** Both, as one YAML stream, for `kubectl apply -f`. */
  yaml: string;
  /** The Job alone, and the ConfigMap with its bundle left out, for review. */
  review: string;
}

/** The container's command: unpack the bundle with Python's tarfile (no tar needed in the image), copy pod.json, run the pod entry. */
export function bootScript(): string {
  return [
    'import os, shutil, sys, tarfile',
    `t = tarfile.open(${JSON.stringify(`${BUNDLE_MOUNT}/${BUNDLE_KEY}`)})`,
    't.extractall(' + JSON.stringify(POD_ROOT) + ", **({'filter': 'data'} if hasattr(tarfile, 'data_filter') else {}))",
    `shutil.copyfile(${JSON.stringify(`${BUNDLE_MOUNT}/pod.json`)}, ${JSON.stringify(`${POD_ROOT}/pod.json`)})`,
    `os.execv(sys.executable, [sys.executable, ${JSON.stringify(`${POD_ROOT}/helper/mlw_pod.py`)}, 'run'])`,
  ].join('\n');
}

export function renderRunJob(input: RunJobInput): RunJobManifests {
  const { target, name, runs } = input;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) throw new Error(`Not a Kubernetes Job name: ${name}`);
  if (!runs.length) throw new Error('A Job needs at least one run');
  const podJson = JSON.stringify({ cwd: input.cwd, runs });
  const size = input.bundle.length + Buffer.byteLength(podJson);
  if (size > CONFIGMAP_MAX_BYTES)
    throw new Error(
      `The run's code packs to ${(size / 1048576).toFixed(2)} MiB, more than the 1 MiB a Kubernetes ConfigMap holds: commit less into the repository (data and models belong outside git) or bake the code into ${target.image}`,
    );
  const sweep = runs.length > 1;
  const labels: Record<string, string> = {
    'app.kubernetes.io/managed-by': 'ml-workbench',
    [LABEL_JOB]: name,
  };
  if (!sweep) labels[LABEL_RUN] = runs[0].id;
  const annotations = { 'mlworkbench.dev/runs': runs.map((r) => r.id).join(',') };
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: target.namespace, labels },
    data: { 'pod.json': podJson },
    binaryData: { [BUNDLE_KEY]: input.bundle.toString('base64') },
  };
  const limits: Record<string, string | number> = {};
  const requests: Record<string, string | number> = {};
  if (target.cpu) limits.cpu = requests.cpu = target.cpu;
  if (target.memory) limits.memory = requests.memory = target.memory;
  if (target.gpus) limits['nvidia.com/gpu'] = target.gpus;
  const env = [
    { name: 'MLW_SYNC_WAIT', value: String(input.syncWaitSeconds ?? 900) },
    { name: 'PYTHONUNBUFFERED', value: '1' },
  ];
  const podSpec: Record<string, unknown> = {
    restartPolicy: 'Never',
    containers: [
      {
        name: CONTAINER,
        image: target.image,
        command: [target.python, '-c', bootScript()],
        workingDir: POD_ROOT,
        env,
        resources: { ...(Object.keys(limits).length ? { limits } : {}), ...(Object.keys(requests).length ? { requests } : {}) },
        volumeMounts: [
          { name: 'bundle', mountPath: BUNDLE_MOUNT, readOnly: true },
          { name: 'work', mountPath: POD_ROOT },
        ],
      },
    ],
    volumes: [
      { name: 'bundle', configMap: { name } },
      { name: 'work', emptyDir: {} },
    ],
  };
  if (target.serviceAccount) podSpec.serviceAccountName = target.serviceAccount;
  if (target.nodeSelector) podSpec.nodeSelector = target.nodeSelector;
  // GPU nodes are often tainted nvidia.com/gpu:NoSchedule so that only pods asking for GPUs land there.
  if (target.gpus) podSpec.tolerations = [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }];
  const spec: Record<string, unknown> = {
    backoffLimit: 0,
    ttlSecondsAfterFinished: input.ttlSecondsAfterFinished ?? 86_400,
    template: { metadata: { labels, annotations }, spec: podSpec },
  };
  if (target.activeDeadlineSeconds) spec.activeDeadlineSeconds = target.activeDeadlineSeconds;
  if (sweep) {
    // backoffLimitPerIndex 0 instead of backoffLimit 0: one trial failing (or its pod deleted, which is how one trial
    // is stopped) fails that index alone, never retried, while the other indexes go on.
    delete spec.backoffLimit;
    spec.backoffLimitPerIndex = 0;
    spec.completionMode = 'Indexed';
    spec.completions = runs.length;
    spec.parallelism = Math.max(1, Math.min(input.parallelism ?? runs.length, runs.length));
  }
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: target.namespace, labels, annotations },
    spec,
  };
  const y = (o: unknown) => stringify(o, { aliasDuplicateObjects: false, lineWidth: 0 });
  const shortConfigMap = { ...configMap, binaryData: { [BUNDLE_KEY]: `<${input.bundle.length} bytes: code/ and helper/ of the run>` } };
  return { configMap, job, yaml: `${y(configMap)}---\n${y(job)}`, review: `${y(shortConfigMap)}---\n${y(job)}` };
}
