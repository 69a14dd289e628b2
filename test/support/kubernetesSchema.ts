import * as path from 'node:path';

const MODELS = path.resolve(__dirname, '../../../node_modules/kubernetes-models');

/**
 * Validates a Job, ConfigMap, Deployment or Service against the Kubernetes API schema (kubernetes-models' validators,
 * generated from the API's OpenAPI document); rejects with the schema's complaint. kubernetes-models is ES modules
 * only, so its files are loaded by path (Node loads ES modules through require).
 */
export function validateKubernetesObject(o: unknown): Promise<void> {
  const kind = (o as { kind: string }).kind;
  const files: Record<string, string> = {
    Job: 'batch/v1/Job.js',
    ConfigMap: 'v1/ConfigMap.js',
    Deployment: 'apps/v1/Deployment.js',
    Service: 'v1/Service.js',
  };
  if (!files[kind]) throw new Error(`no schema for kind ${kind} here`);
  const file = path.join(MODELS, files[kind]);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(file) as Record<string, new (x: unknown) => { validate(): void }>;
  return (async () => new mod[kind](o).validate())();
}
