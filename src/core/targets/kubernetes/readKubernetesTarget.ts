import type { KubernetesTarget } from '../targetTypes';

/** The keys of a kubernetes target besides kind, python and env. */
export const K8S_KEYS = [
  'namespace',
  'image',
  'gpus',
  'context',
  'cpu',
  'memory',
  'serviceAccount',
  'nodeSelector',
  'activeDeadlineSeconds',
];

/** A DNS-1123 label (namespace, service account). */
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A Kubernetes quantity: `4`, `500m`, `1.5`, `16Gi`, `2e3`. */
const QUANTITY = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+|[KMGTPE]i|[mkMGTPE])?$/;
/** A label key (optional DNS prefix, then a name) and a label value. */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/**
 * The fields of a `kind: kubernetes` target (`{ kind: kubernetes, namespace: ml, image: IMG, gpus: 1, context?, cpu?,
 * memory?, serviceAccount?, nodeSelector?, activeDeadlineSeconds? }`), each checked as the API server would, so a
 * mistake is reported at its key here rather than by `kubectl apply`. `fail(key, message)` throws.
 */
export function readKubernetesTarget(
  o: Record<string, unknown>,
  base: Omit<KubernetesTarget, 'kind' | 'namespace' | 'image'>,
  fail: (key: string | undefined, message: string) => never,
): KubernetesTarget {
  const text = (key: string, required: boolean): string | undefined => {
    const v = o[key];
    if (v === undefined || v === null) return required ? fail(key, `is required for a kubernetes target`) : undefined;
    if (typeof v === 'number' && (key === 'cpu' || key === 'memory')) return String(v);
    if (typeof v !== 'string' || !v.trim() || /[\0\n\r]/.test(v)) fail(key, `must be a one-line string, not ${JSON.stringify(v)}`);
    return v as string;
  };
  const namespace = text('namespace', true) as string;
  if (!LABEL.test(namespace) || namespace.length > 63) fail('namespace', `must be a Kubernetes name (a-z, 0-9, "-"), not ${namespace}`);
  const image = text('image', true) as string;
  if (/\s/.test(image) || image.startsWith('-')) fail('image', `must be an image reference such as registry/train:1, not ${image}`);
  const t: KubernetesTarget = { ...base, kind: 'kubernetes', namespace, image };
  if (o.gpus !== undefined && o.gpus !== null) {
    if (typeof o.gpus !== 'number' || !Number.isInteger(o.gpus) || o.gpus < 0 || o.gpus > 64)
      fail('gpus', `must be a whole number of GPUs from 0 to 64, not ${JSON.stringify(o.gpus)}`);
    t.gpus = o.gpus as number;
  }
  const context = text('context', false);
  if (context !== undefined) {
    if (context.startsWith('-')) fail('context', 'must not start with "-"');
    t.context = context;
  }
  for (const key of ['cpu', 'memory'] as const) {
    const v = text(key, false);
    if (v === undefined) continue;
    if (!QUANTITY.test(v)) fail(key, `must be a Kubernetes quantity such as ${key === 'cpu' ? '4 or 500m' : '16Gi'}, not ${v}`);
    t[key] = v;
  }
  const sa = text('serviceAccount', false);
  if (sa !== undefined) {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(sa) || sa.length > 253) fail('serviceAccount', `must be a Kubernetes name, not ${sa}`);
    t.serviceAccount = sa;
  }
  if (o.nodeSelector !== undefined && o.nodeSelector !== null) {
    const ns = o.nodeSelector;
    if (typeof ns !== 'object' || Array.isArray(ns)) fail('nodeSelector', 'must be a mapping of label: value');
    const sel: Record<string, string> = {};
    for (const [k, v] of Object.entries(ns as Record<string, unknown>)) {
      const value = typeof v === 'number' || typeof v === 'boolean' ? String(v) : v;
      if (!LABEL_KEY.test(k)) fail('nodeSelector', `has a bad label key ${JSON.stringify(k)}`);
      if (typeof value !== 'string' || !LABEL_VALUE.test(value)) fail('nodeSelector', `${k} has a bad label value ${JSON.stringify(v)}`);
      sel[k] = value as string;
    }
    t.nodeSelector = sel;
  }
  const deadline = o.activeDeadlineSeconds;
  if (deadline !== undefined && deadline !== null) {
    if (typeof deadline !== 'number' || !Number.isInteger(deadline) || deadline < 1)
      fail('activeDeadlineSeconds', `must be a whole number of seconds, not ${JSON.stringify(deadline)}`);
    t.activeDeadlineSeconds = deadline as number;
  }
  return t;
}
