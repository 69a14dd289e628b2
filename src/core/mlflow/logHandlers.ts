import { readMetrics } from '../runs/readMetrics';
import { TrackedRun, type MlflowMetric } from './TrackedRun';
import { invalidParameter } from './mlflowErrors';
import {
  MAX_ENTITY_KEY_LENGTH,
  MAX_PARAM_VAL_LENGTH,
  MAX_TAG_VAL_LENGTH,
  validateBatchLimits,
  validateLength,
  validateName,
} from './mlflowLimits';
import { jsonDouble } from './mlflowRunJson';
import { keyValues, objectArray, optionalInt64, requiredString, runIdOf, toDouble, type MlflowInput } from './mlflowInput';
import type { MlflowSession } from './MlflowSession';
import { pageOf } from './pageToken';

/** The largest page of metrics/get-history MLflow's server gives. */
const MAX_HISTORY_PAGE = 25_000;

function metricOf(o: MlflowInput, now: number): MlflowMetric {
  const key = validateName('metric', o.key);
  validateLength('Metric name', MAX_ENTITY_KEY_LENGTH, key);
  const value = toDouble(o.value, `metric '${key}'`);
  const timestamp = optionalInt64(o, 'timestamp') ?? now;
  if (timestamp < 0) {
    throw invalidParameter(
      `Got invalid timestamp ${timestamp} for metric '${key}' (value=${value}). Timestamp must be a nonnegative long (64-bit integer) `,
    );
  }
  return { key, value, timestamp, step: optionalInt64(o, 'step') ?? 0 };
}

function paramOf(p: { key: string; value: string }): { key: string; value: string } {
  const key = validateName('parameter', p.key);
  validateLength('Param key', MAX_ENTITY_KEY_LENGTH, key);
  return { key, value: validateLength('Param value', MAX_PARAM_VAL_LENGTH, p.value) };
}

export function tagOf(p: { key: string; value: string }): { key: string; value: string } {
  const key = validateName('tag', p.key);
  validateLength('Tag key', MAX_ENTITY_KEY_LENGTH, key);
  return { key, value: validateLength('Tag value', MAX_TAG_VAL_LENGTH, p.value) };
}

/** The record of logged models MLflow keeps on a run (the `mlflow.log-model.history` tag, a JSON list). */
export const LOGGED_MODELS_TAG = 'mlflow.log-model.history';

/** runs/log-metric, log-batch, log-parameter, set-tag, log-inputs, log-model and metrics/get-history. */
export const logHandlers = {
  async 'runs/log-metric'(s: MlflowSession, input: MlflowInput) {
    const metric = metricOf(input, Date.now());
    await (await s.writable(runIdOf(input))).logMetrics([metric]);
    return {};
  },

  async 'runs/log-batch'(s: MlflowSession, input: MlflowInput) {
    const rawMetrics = objectArray(input, 'metrics');
    const rawParams = keyValues(input, 'params');
    const rawTags = keyValues(input, 'tags');
    validateBatchLimits(rawMetrics.length, rawParams.length, rawTags.length);
    const now = Date.now();
    const metrics = rawMetrics.map((m) => metricOf(m, now));
    const params = rawParams.map(paramOf);
    const tags = rawTags.map(tagOf);
    const keys = params.map((p) => p.key);
    const dupes = keys.filter((k, i) => keys.indexOf(k) !== i);
    if (dupes.length) {
      throw invalidParameter(
        `Duplicate parameter keys have been submitted: [${dupes.map((k) => `'${k}'`).join(', ')}]. Please ensure the request contains only one param value per param key.`,
      );
    }
    const run = await s.writable(runIdOf(input));
    // Params first: a refused change of a param value fails the request before anything is written.
    if (params.length) await run.logParams(params);
    if (metrics.length) await run.logMetrics(metrics);
    if (tags.length) await run.setTags(tags);
    return {};
  },

  async 'runs/log-parameter'(s: MlflowSession, input: MlflowInput) {
    const param = paramOf({ key: input.key as string, value: typeof input.value === 'string' ? input.value : String(input.value ?? '') });
    await (await s.writable(runIdOf(input))).logParams([param]);
    return {};
  },

  async 'runs/set-tag'(s: MlflowSession, input: MlflowInput) {
    const tag = tagOf({ key: input.key as string, value: typeof input.value === 'string' ? input.value : String(input.value ?? '') });
    await (await s.writable(runIdOf(input))).setTags([tag]);
    return {};
  },

  async 'runs/log-inputs'(s: MlflowSession, input: MlflowInput) {
    const datasets = objectArray(input, 'datasets');
    for (const d of datasets) {
      const ds = d.dataset as MlflowInput | undefined;
      if (!ds || typeof ds !== 'object' || typeof ds.name !== 'string' || typeof ds.digest !== 'string') {
        throw invalidParameter('Each dataset input needs a dataset with a name and a digest.');
      }
    }
    await (await s.writable(runIdOf(input))).logInputs(datasets);
    return {};
  },

  async 'runs/log-model'(s: MlflowSession, input: MlflowInput) {
    const text = requiredString(input, 'model_json');
    let model: unknown;
    try {
      model = JSON.parse(text);
    } catch {
      throw invalidParameter(`Malformed model info. \n ${text.slice(0, 250)}\n is not a valid JSON.`);
    }
    if (typeof model !== 'object' || model === null || !('artifact_path' in model)) {
      throw invalidParameter(`Model json is missing mandatory fields: artifact_path`);
    }
    const run = await s.writable(runIdOf(input));
    let history: unknown[] = [];
    try {
      const old = JSON.parse(run.tags.get(LOGGED_MODELS_TAG) ?? '[]');
      if (Array.isArray(old)) history = old;
    } catch {
      /* a hand-set tag that is not a list: start the list afresh */
    }
    await run.setTags([{ key: LOGGED_MODELS_TAG, value: JSON.stringify([...history, model]) }]);
    return {};
  },

  async 'metrics/get-history'(s: MlflowSession, input: MlflowInput) {
    const key = requiredString(input, 'metric_key');
    const run = await s.readable(runIdOf(input));
    if (run instanceof TrackedRun) await run.flush();
    const series = (await readMetrics(s.store.runDir(run.id))).series.get(key);
    const metrics = [];
    for (let i = 0; series && i < series.values.length; i++) {
      metrics.push({ key, value: jsonDouble(series.values[i]), timestamp: series.timestamps[i], step: series.steps[i] });
    }
    // Without max_results, the whole history (as MLflow's server gives it); with it, pages of at most 25,000.
    if (input.max_results === undefined && input.page_token === undefined) return { metrics };
    const { page, next } = pageOf(metrics, input, MAX_HISTORY_PAGE, MAX_HISTORY_PAGE);
    return next ? { metrics: page, next_page_token: next } : { metrics: page };
  },
};
