/**
 * Which platform's container contract to meet, chosen from the environment at start (one image, no rebuild):
 * - SageMaker: the container is started with the argument `serve` (`docker run IMAGE serve`); port 8080 or
 *   SAGEMAKER_BIND_TO_PORT; the model from /opt/ml/model when it holds ONNX models, else the image's own (MLW_MODEL);
 *   SAGEMAKER_MODEL_SERVER_WORKERS (or SAGEMAKER_GUNICORN_WORKERS) worker processes sharing the port (default 1),
 *   each with an equal share of the cores as ONNX Runtime threads unless --threads is given.
 * - Vertex AI: AIP_HTTP_PORT / AIP_HEALTH_ROUTE / AIP_PREDICT_ROUTE; the model from AIP_STORAGE_URI when it is a
 *   local path (a gs:// URI is left to the image's own model).
 * - Azure ML: AZUREML_MODEL_DIR (the registered model's folder: the models in it, or in its one subfolder that has
 *   them, as a registered folder "model" is mounted at $AZUREML_MODEL_DIR/model/); port and routes from
 *   MLW_AZUREML_PORT, MLW_AZUREML_LIVENESS_ROUTE, MLW_AZUREML_READINESS_ROUTE, MLW_AZUREML_SCORING_ROUTE (set them in
 *   the deployment's environment_variables to what its inference_config says; defaults 5001, "/", "/", "/score").
 * MLW_PLATFORM=none turns detection off; MLW_PLATFORM=sagemaker|vertex|azureml forces one.
 * Inside a container the server binds 0.0.0.0, as the image's own command does.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { azuremlAdapter } from './azureml';
import type { PlatformAdapter } from './platformAdapter';
import { sagemakerAdapter } from './sagemaker';
import { vertexAdapter } from './vertex';

export type PlatformName = 'sagemaker' | 'vertex' | 'azureml';

export interface PlatformContract {
  platform: PlatformName;
  adapters: PlatformAdapter[];
  /** The server's arguments: the given options with host, port and model replaced as the platform needs. */
  args: string[];
  notices: string[];
  /** Server processes to run (SageMaker's worker count); 1 elsewhere. */
  workers: number;
}

export const SAGEMAKER_MODEL_DIR = '/opt/ml/model';

type Env = Record<string, string | undefined>;

/** True when the folder (or a subfolder one level down) holds an .onnx file. */
function hasOnnx(dir: string): boolean {
  try {
    if (statSync(dir).isFile()) return dir.toLowerCase().endsWith('.onnx');
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isFile() && e.name.toLowerCase().endsWith('.onnx')) return true;
      if (e.isDirectory() && existsSync(path.join(dir, e.name, 'model.onnx'))) return true;
    }
  } catch {
    return false;
  }
  return false;
}

/**
 * The folder to serve from a platform's model folder: the folder itself when it holds ONNX models, else its only
 * subfolder that does (Azure ML mounts a registered folder "model" as $AZUREML_MODEL_DIR/model/, and a SageMaker
 * model.tar.gz may unpack to one folder), else undefined.
 */
export function modelFolder(dir: string): string | undefined {
  if (hasOnnx(dir)) return dir;
  let subs: string[];
  try {
    subs = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => path.join(dir, e.name))
      .filter(hasOnnx);
  } catch {
    return undefined;
  }
  return subs.length === 1 ? subs[0] : undefined;
}

function localPath(uri: string | undefined): string | undefined {
  if (!uri) return undefined;
  if (uri.startsWith('file://')) return fileURLToPath(uri);
  if (uri.startsWith('/')) return uri;
  return undefined;
}

function detect(argv: string[], env: Env): PlatformName | undefined {
  const forced = env.MLW_PLATFORM?.trim().toLowerCase();
  if (forced === 'none') return undefined;
  if (forced === 'sagemaker' || forced === 'vertex' || forced === 'azureml') return forced;
  if (forced) throw new Error(`MLW_PLATFORM must be none, sagemaker, vertex or azureml, got "${env.MLW_PLATFORM}"`);
  if (argv[0] === 'serve') return 'sagemaker';
  if (env.AIP_HTTP_PORT || env.AIP_PREDICT_ROUTE) return 'vertex';
  if (env.AZUREML_MODEL_DIR) return 'azureml';
  return undefined;
}

/** SageMaker's worker count variable: a whole number >= 1, default 1. */
export function sagemakerWorkers(env: Env): number {
  const name = env.SAGEMAKER_MODEL_SERVER_WORKERS !== undefined ? 'SAGEMAKER_MODEL_SERVER_WORKERS' : 'SAGEMAKER_GUNICORN_WORKERS';
  const value = env[name]?.trim();
  if (value === undefined || value === '') return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number >= 1 (worker processes), got "${env[name]}"`);
  return n;
}

/** Splits server arguments into options (with their values) and model arguments. */
function splitArgs(argv: string[]): { options: string[]; models: string[] } {
  const withValue = new Set([
    '--model',
    '--host',
    '--port',
    '--max-batch',
    '--max-delay-ms',
    '--body-limit',
    '--reference',
    '--access-log',
    '--threads',
    '--ep',
    '--drain-timeout-ms',
  ]);
  const options: string[] = [];
  const models: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (withValue.has(a)) options.push(a, argv[++i]);
    else if (a.startsWith('--')) options.push(a);
    else models.push(a);
  }
  return { options, models };
}

function withoutOptions(options: string[], names: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < options.length; i++) {
    if (names.includes(options[i])) {
      i++;
      continue;
    }
    if (names.some((n) => options[i].startsWith(`${n}=`))) continue;
    out.push(options[i]);
  }
  return out;
}

/** The contract the environment asks for, or undefined for a plain server. */
export function platformContract(argv: string[], env: Env = process.env): PlatformContract | undefined {
  const platform = detect(argv, env);
  if (!platform) return undefined;
  const { options, models: given } = splitArgs(argv[0] === 'serve' ? argv.slice(1) : argv);
  const notices: string[] = [];
  const own = given.length ? given : env.MLW_MODEL ? [env.MLW_MODEL] : [];
  let models = own;
  let port: string;
  let adapters: PlatformAdapter[];
  let workers = 1;
  if (platform === 'sagemaker') {
    port = env.SAGEMAKER_BIND_TO_PORT || '8080';
    const dir = modelFolder(env.MLW_SAGEMAKER_MODEL_DIR ?? SAGEMAKER_MODEL_DIR);
    if (dir) {
      models = [dir];
      notices.push(`SageMaker: serving the model(s) in ${dir}`);
    }
    workers = sagemakerWorkers(env);
    if (workers > 1 && !options.includes('--threads')) {
      const threads = Math.max(1, Math.floor(availableParallelism() / workers));
      options.push('--threads', String(threads));
      notices.push(`SageMaker: ${workers} worker processes, ${threads} ONNX Runtime thread(s) each`);
    }
    adapters = [sagemakerAdapter()];
  } else if (platform === 'vertex') {
    port = env.AIP_HTTP_PORT || '8080';
    const local = localPath(env.AIP_STORAGE_URI);
    const storage = local && modelFolder(local);
    if (storage) {
      models = [storage];
      notices.push(`Vertex AI: serving the model(s) in ${storage}`);
    } else if (env.AIP_STORAGE_URI)
      notices.push(`Vertex AI: AIP_STORAGE_URI ${env.AIP_STORAGE_URI} is not a local folder with ONNX models; serving the image's own`);
    adapters = [vertexAdapter({ health: env.AIP_HEALTH_ROUTE || '/health', predict: env.AIP_PREDICT_ROUTE || '/predict' })];
  } else {
    port = env.MLW_AZUREML_PORT || '5001';
    const dir = env.AZUREML_MODEL_DIR && modelFolder(env.AZUREML_MODEL_DIR);
    if (dir) {
      models = [dir];
      notices.push(`Azure ML: serving the model(s) in ${dir}`);
    } else if (env.AZUREML_MODEL_DIR)
      notices.push(`Azure ML: no ONNX model in AZUREML_MODEL_DIR ${env.AZUREML_MODEL_DIR}; serving the image's own`);
    adapters = [
      azuremlAdapter({
        liveness: env.MLW_AZUREML_LIVENESS_ROUTE || '/',
        readiness: env.MLW_AZUREML_READINESS_ROUTE || '/',
        scoring: env.MLW_AZUREML_SCORING_ROUTE || '/score',
      }),
    ];
  }
  if (models.length === 0) throw new Error(`${platform}: no model to serve (give one, or set MLW_MODEL)`);
  const rest = withoutOptions(options, ['--host', '--port']);
  return { platform, adapters, args: [...rest, '--host', env.MLW_HOST || '0.0.0.0', '--port', port, ...models], notices, workers };
}
