/**
 * Vertex AI online prediction: `gcloud ai models upload` (a Model whose containerSpec runs the image, with its
 * ports and health/predict routes, which Vertex passes in as AIP_HTTP_PORT, AIP_HEALTH_ROUTE, AIP_PREDICT_ROUTE),
 * `gcloud ai endpoints create` and `gcloud ai endpoints deploy-model`. model.json is the Model resource, for review.
 */
import type { CloudDeployOptions, CloudDeployment } from './cloudTypes';

export const VERTEX_DEFAULTS = { region: 'us-central1', instanceType: 'n1-standard-2', repository: 'mlw' };
export const VERTEX_ROUTES = { port: 8080, health: '/health', predict: '/predict' };
/** REGION-docker.pkg.dev/PROJECT/REPOSITORY */
export const ARTIFACT_REGISTRY = /^([a-z0-9-]+)-docker\.pkg\.dev\/([a-z][a-z0-9-]{4,28}[a-z0-9]|[a-z0-9.:-]+)\/([a-z0-9][a-z0-9-]*)$/;

export function renderVertex(o: CloudDeployOptions, target: { repo: string; tag: string }): CloudDeployment {
  const region = o.region ?? VERTEX_DEFAULTS.region;
  const instanceType = o.instanceType ?? VERTEX_DEFAULTS.instanceType;
  const missing: string[] = [];
  if (!o.project) missing.push('project: give --project PROJECT_ID (gcloud config get-value project shows the current one)');
  const project = o.project ?? 'PROJECT_ID';
  const registry = o.registry ?? `${region}-docker.pkg.dev/${project}/${VERTEX_DEFAULTS.repository}`;
  const targetImage = `${registry}/${target.repo}:${target.tag}`;
  const env = [{ name: 'MLW_PLATFORM', value: 'vertex' }];
  const model = {
    displayName: o.name,
    labels: {
      'mlw-model': o.modelName
        .toLowerCase()
        .replace(/[^a-z0-9_-]+/g, '-')
        .slice(0, 63),
    },
    containerSpec: {
      imageUri: targetImage,
      env,
      ports: [{ containerPort: VERTEX_ROUTES.port }],
      healthRoute: VERTEX_ROUTES.health,
      predictRoute: VERTEX_ROUTES.predict,
    },
  };
  const scope = [`--region=${region}`, `--project=${project}`];
  return {
    platform: 'vertex',
    name: o.name,
    region,
    instanceType,
    targetImage,
    files: [{ path: 'model.json', content: `${JSON.stringify(model, null, 2)}\n` }],
    commands: [
      [
        'gcloud',
        'ai',
        'models',
        'upload',
        ...scope,
        `--display-name=${o.name}`,
        `--model-id=${o.name}`,
        `--container-image-uri=${targetImage}`,
        `--container-ports=${VERTEX_ROUTES.port}`,
        `--container-health-route=${VERTEX_ROUTES.health}`,
        `--container-predict-route=${VERTEX_ROUTES.predict}`,
        `--container-env-vars=${env.map((e) => `${e.name}=${e.value}`).join(',')}`,
      ],
      ['gcloud', 'ai', 'endpoints', 'create', ...scope, `--display-name=${o.name}`, `--endpoint-id=${o.name}`],
      [
        'gcloud',
        'ai',
        'endpoints',
        'deploy-model',
        o.name,
        ...scope,
        `--model=${o.name}`,
        `--display-name=${o.name}`,
        `--machine-type=${instanceType}`,
        '--min-replica-count=1',
        '--max-replica-count=1',
        '--traffic-split=0=100',
      ],
    ],
    missing,
  };
}
