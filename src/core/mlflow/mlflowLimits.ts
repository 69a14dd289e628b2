import { invalidParameter } from './mlflowErrors';

/**
 * MLflow's limits on what a run logs, as its tracking server enforces them
 * (mlflow/utils/validation.py; the REST API's "Request Limits" for runs/log-batch).
 */
export const MAX_METRICS_PER_BATCH = 1000;
export const MAX_PARAMS_TAGS_PER_BATCH = 100;
export const MAX_ENTITIES_PER_BATCH = 1000;
/** Bytes of one runs/log-batch request body. */
export const MAX_BATCH_LOG_REQUEST_SIZE = 1_000_000;
export const MAX_PARAM_VAL_LENGTH = 6000;
export const MAX_TAG_VAL_LENGTH = 8000;
export const MAX_ENTITY_KEY_LENGTH = 250;
export const MAX_EXPERIMENT_NAME_LENGTH = 500;

/** Param, metric and tag names: alphanumerics, `_`, `-`, `.`, space and `/`. */
const VALID_NAME = /^[/\w.\- ]*$/;
/** Run ids MLflow's client accepts (and so the ids this endpoint hands out). */
export const RUN_ID_PATTERN = /^[a-zA-Z0-9][\w-]{0,255}$/;

function normalizePosix(name: string): string {
  const abs = name.startsWith('/');
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (!part || part === '.') continue;
    if (part === '..' && out.length && out[out.length - 1] !== '..') out.pop();
    else if (part === '..' && abs) continue;
    else out.push(part);
  }
  const joined = (abs ? '/' : '') + out.join('/');
  return joined || (abs ? '/' : '.');
}

/** A name that a file store would turn into another name (`a//b`, `./a`, `a/`, `..`). */
function pathNotUnique(name: string): boolean {
  const norm = normalizePosix(name);
  return norm !== name || norm === '.' || norm.startsWith('..') || norm.startsWith('/');
}

export function validateName(kind: 'metric' | 'parameter' | 'tag', name: unknown): string {
  if (typeof name !== 'string')
    throw invalidParameter(`${kind[0].toUpperCase()}${kind.slice(1)} name cannot be None. A key name must be provided.`);
  if (!VALID_NAME.test(name)) {
    throw invalidParameter(
      `Invalid ${kind} name: '${name}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).`,
    );
  }
  if (pathNotUnique(name)) {
    throw invalidParameter(
      `Invalid ${kind} name: '${name}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${normalizePosix(name)}'`,
    );
  }
  return name;
}

export function validateLength(entity: string, limit: number, value: string): string {
  if (value.length <= limit) return value;
  throw invalidParameter(`${entity} '${value.slice(0, 250)}' had length ${value.length}, which exceeded length limit of ${limit}`);
}

export function validateBatchLimits(metrics: number, params: number, tags: number): void {
  const check = (entity: string, limit: number, n: number) => {
    if (n > limit) {
      throw invalidParameter(
        `A batch logging request can contain at most ${limit} ${entity}. Got ${n} ${entity}. Please split up ${entity} across multiple requests and try again.`,
      );
    }
  };
  check('metrics', MAX_METRICS_PER_BATCH, metrics);
  check('params', MAX_PARAMS_TAGS_PER_BATCH, params);
  check('tags', MAX_PARAMS_TAGS_PER_BATCH, tags);
  check('metrics, params, and tags', MAX_ENTITIES_PER_BATCH, metrics + params + tags);
}

export function validateRunId(id: unknown): string {
  if (typeof id !== 'string' || !RUN_ID_PATTERN.test(id)) throw invalidParameter(`Invalid run ID: '${String(id)}'`);
  return id;
}

export function validateExperimentName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw invalidParameter(`Invalid experiment name: '${String(name ?? '')}'`);
  if (name.length > MAX_EXPERIMENT_NAME_LENGTH) {
    throw invalidParameter(`Experiment name exceeds the maximum length of ${MAX_EXPERIMENT_NAME_LENGTH} characters`);
  }
  return name;
}
