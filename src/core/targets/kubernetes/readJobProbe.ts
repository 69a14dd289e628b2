import { LABEL_INDEX } from './renderRunJob';

/** What one `kubectl get job,pod -l mlworkbench.dev/job=NAME -o json` says about a run's Job and its pod. */
export interface JobProbe {
  /** PENDING, RUNNING, SUCCEEDED, FAILED (the pod's phase, upper case), or GONE when neither Job nor pod exists. */
  state: string;
  /** Why it waits or ended: `Unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu.`, `ContainerCreating`. */
  reason?: string;
  node?: string;
  /** The pod's name, once there is one. */
  pod?: string;
  /** The container runs or has run: its log can be read. */
  logs: boolean;
  /** The pod or the Job ended; `error` says why when it was not the script's own exit. */
  ended?: { code: number | null; error?: string };
}

/** Waiting reasons that do not go away by waiting (the Job's pod would sit there forever). */
const FATAL_WAITING = new Set([
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}
interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: unknown;
  terminated?: { reason?: string; message?: string; exitCode?: number };
}
interface Item {
  kind?: string;
  metadata?: { name?: string; creationTimestamp?: string; deletionTimestamp?: string; labels?: Record<string, string> };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: Condition[];
    containerStatuses?: Array<{ name?: string; state?: ContainerState }>;
  };
}

const oneLine = (s: string | undefined) => (s ?? '').replace(/\s+/g, ' ').trim();
const why = (reason: string | undefined, message: string | undefined) =>
  `${reason ?? 'Unknown'}${oneLine(message) ? `: ${oneLine(message).slice(0, 300)}` : ''}`;

/**
 * `index`: the answer is about one trial of an Indexed Job, the pods labelled
 * batch.kubernetes.io/job-completion-index=INDEX (no such pod while the Job lives: that trial waits its turn).
 */
export function readJobProbe(json: string, container = 'train', index?: number): JobProbe {
  const list = JSON.parse(json) as { items?: Item[] };
  const items = list.items ?? [];
  const job = items.find((i) => i.kind === 'Job');
  const pods = items
    .filter((i) => i.kind === 'Pod')
    .filter((i) => index === undefined || i.metadata?.labels?.[LABEL_INDEX] === String(index))
    .sort((a, b) => (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? ''));
  const pod = pods[pods.length - 1];
  const failed = job?.status?.conditions?.find((c) => (c.type === 'Failed' || c.type === 'FailureTarget') && c.status === 'True');
  if (!job && !pod) return { state: 'GONE', logs: false };
  const base: JobProbe = { state: 'PENDING', logs: false };
  if (pod?.metadata?.name) base.pod = pod.metadata.name;
  if (pod?.spec?.nodeName) base.node = pod.spec.nodeName;
  if (failed && failed.reason === 'DeadlineExceeded')
    return {
      ...base,
      state: 'FAILED',
      logs: !!pod,
      reason: failed.reason,
      ended: { code: null, error: why(failed.reason, failed.message) },
    };
  if (!pod) {
    if (failed)
      return { ...base, state: 'FAILED', reason: failed.reason, ended: { code: null, error: why(failed.reason, failed.message) } };
    return { ...base, reason: 'no pod yet' };
  }
  const status = pod.status ?? {};
  const cs = (status.containerStatuses ?? []).find((c) => c.name === container) ?? status.containerStatuses?.[0];
  const st = cs?.state ?? {};
  const phase = (status.phase ?? 'Pending').toUpperCase();
  if (st.terminated || phase === 'SUCCEEDED' || phase === 'FAILED') {
    const t = st.terminated ?? {};
    const code = typeof t.exitCode === 'number' ? t.exitCode : null;
    const state = phase === 'SUCCEEDED' || phase === 'FAILED' ? phase : code === 0 ? 'SUCCEEDED' : 'FAILED';
    if (status.reason && status.reason !== 'Completed')
      return { ...base, state, logs: !!st.terminated, reason: status.reason, ended: { code, error: why(status.reason, status.message) } };
    if (t.reason === 'OOMKilled')
      return {
        ...base,
        state,
        logs: true,
        reason: 'OOMKilled',
        ended: { code, error: 'OOMKilled: the container went over its memory limit' },
      };
    return { ...base, state, logs: true, ...(t.reason && t.reason !== 'Completed' ? { reason: t.reason } : {}), ended: { code } };
  }
  if (st.waiting?.reason && FATAL_WAITING.has(st.waiting.reason))
    return {
      ...base,
      state: 'FAILED',
      reason: st.waiting.reason,
      ended: { code: null, error: why(st.waiting.reason, st.waiting.message) },
    };
  if (st.running || phase === 'RUNNING') return { ...base, state: 'RUNNING', logs: true };
  const unscheduled = status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unscheduled) return { ...base, reason: why(unscheduled.reason, unscheduled.message) };
  if (st.waiting?.reason) return { ...base, reason: st.waiting.reason };
  return base;
}
