/**
 * Kubernetes manifests for a model image: a Deployment (readiness on /v2/health/ready, liveness on
 * /v2/health/live, resource requests and limits) and a ClusterIP Service; optionally a KServe
 * InferenceService (v1beta1) that runs the same image as a custom predictor. Pure: text out, no I/O.
 */
import { stringify } from 'yaml';

export interface ManifestOptions {
  name: string;
  image: string;
  modelName: string;
  containerPort: number;
  replicas?: number;
  /** CPU request/limit, e.g. "500m" (default 500m request, 1 limit). */
  cpu?: string;
  /** Memory request/limit, e.g. "512Mi" (default). */
  memory?: string;
  kserve?: boolean;
}

/** A DNS-1035 label: lowercase alphanumerics and '-', starting with a letter, at most 63. */
export function kubernetesName(name: string): string {
  const n = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return n || 'model';
}

export function renderKubernetesManifests(opts: ManifestOptions): { yaml: string; files: { name: string; text: string }[] } {
  const name = kubernetesName(opts.name);
  if (!Number.isInteger(opts.replicas ?? 1) || (opts.replicas ?? 1) < 0)
    throw new Error(`replicas must be a whole number >= 0, got ${opts.replicas}`);
  const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/managed-by': 'ml-workbench' };
  const annotations = { 'mlworkbench.dev/model': opts.modelName };
  const resources = {
    requests: { cpu: opts.cpu ?? '500m', memory: opts.memory ?? '512Mi' },
    limits: { cpu: opts.cpu ?? '1', memory: opts.memory ?? '512Mi' },
  };
  const probe = (p: string, initialDelaySeconds: number) => ({
    httpGet: { path: p, port: 'http' },
    initialDelaySeconds,
    periodSeconds: 5,
    timeoutSeconds: 3,
    failureThreshold: 3,
  });
  const container = {
    name: 'server',
    image: opts.image,
    ports: [{ name: 'http', containerPort: opts.containerPort, protocol: 'TCP' }],
    readinessProbe: probe('/v2/health/ready', 1),
    livenessProbe: probe('/v2/health/live', 10),
    resources,
    securityContext: { runAsNonRoot: true, runAsUser: 10001, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
  };
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels, annotations },
    spec: {
      replicas: opts.replicas ?? 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: { metadata: { labels, annotations }, spec: { containers: [container] } },
    },
  };
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels },
    spec: {
      type: 'ClusterIP',
      selector: { 'app.kubernetes.io/name': name },
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    },
  };
  const files = [
    { name: `${name}-deployment.yaml`, text: stringify(deployment, { aliasDuplicateObjects: false }) },
    { name: `${name}-service.yaml`, text: stringify(service, { aliasDuplicateObjects: false }) },
  ];
  if (opts.kserve) {
    const isvc = {
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name, labels, annotations },
      spec: {
        predictor: {
          minReplicas: opts.replicas ?? 1,
          containers: [
            {
              ...container,
              name: 'kserve-container',
              ports: [{ containerPort: opts.containerPort, protocol: 'TCP' }],
              readinessProbe: { ...container.readinessProbe, httpGet: { path: '/v2/health/ready', port: opts.containerPort } },
              livenessProbe: { ...container.livenessProbe, httpGet: { path: '/v2/health/live', port: opts.containerPort } },
            },
          ],
        },
      },
    };
    files.push({ name: `${name}-inferenceservice.yaml`, text: stringify(isvc, { aliasDuplicateObjects: false }) });
  }
  return { yaml: files.map((f) => f.text).join('---\n'), files };
}
