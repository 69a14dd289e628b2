import { addVersion, checkAlias, emptyModel, moveAlias } from '../registry/aliasMoves';
import { describeNewVersion } from '../registry/registerVersion';
import { RegistryError, RegistryStore } from '../registry/RegistryStore';
import type { ModelVersion, RegisteredModel } from '../registry/registryTypes';
import { doesNotExist, invalidParameter, MlflowError } from './mlflowErrors';
import { keyValues, optionalString, requiredString, type MlflowInput } from './mlflowInput';
import type { MlflowSession } from './MlflowSession';
import { pageOf } from './pageToken';
import { modelVersionJson, registeredModelJson, SHA256_TAG, versionSource } from './registryJson';
import { matchesRegistryFilter, orderRegistry, parseRegistryFilter } from './registrySearch';
import { resolveSource } from './registrySource';

/**
 * MLflow's Model Registry REST API over the workspace's `.mlw/registry/` (the same files `mlw registry` writes):
 * the reads (registered-models/get and search, model-versions/get and search, get-by-alias, get-download-uri,
 * get-latest-versions) and the writes an MLflow client makes (create, update, set-tag, delete-tag, set and delete an
 * alias). Every write goes through the registry's lock and is recorded as `mlw registry` records its own; errors are
 * MLflow's codes: RESOURCE_DOES_NOT_EXIST, RESOURCE_ALREADY_EXISTS, INVALID_PARAMETER_VALUE.
 */

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';
/** `who`: the user a request names (basic auth's user name), as MLflow's server records user_id. */
export type RegistryHandler = (s: MlflowSession, input: MlflowInput, who: string) => Promise<object>;

const registryOf = (s: MlflowSession) => new RegistryStore(s.store.workspace);
const ctxOf = (s: MlflowSession) => ({ workspace: s.store.workspace });
const now = () => new Date().toISOString();

const MAX_MODELS_PAGE = 1000;
const MAX_VERSIONS_PAGE = 200_000;

function checkName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name))
    throw invalidParameter(
      `Invalid registered model name '${name}': this server keeps each model in a file named after it, so use letters, digits and . _ - (starting with a letter or digit).`,
    );
  return name;
}

const notFound = (name: string) => doesNotExist(`Registered Model with name=${name} not found`);
const versionNotFound = (name: string, version: string) => doesNotExist(`Model Version (name=${name}, version=${version}) not found`);

async function getModel(s: MlflowSession, name: string): Promise<RegisteredModel> {
  const m = await registryOf(s).read(checkName(name));
  if (!m) throw notFound(name);
  return m;
}

function versionOf(model: RegisteredModel, version: string): ModelVersion {
  const n = /^\d+$/.test(version.trim()) ? Number(version) : NaN;
  if (!Number.isInteger(n)) throw invalidParameter(`Parameter 'version' must be an integer, got '${version}'.`);
  const v = model.versions.find((x) => x.version === n);
  if (!v) throw versionNotFound(model.name, version);
  return v;
}

/** A change under the model's lock: `change` returns the changed model and the answer. RegistryErrors become MLflow's. */
async function change<T>(s: MlflowSession, name: string, fn: (m: RegisteredModel) => Promise<{ model: RegisteredModel; result: T }>) {
  const store = registryOf(s);
  return store.update(checkName(name), async (m) => {
    if (!m) throw notFound(name);
    const out = await fn(m);
    return { model: { ...out.model, updatedAt: now() }, result: out.result };
  });
}

function stringList(input: MlflowInput, field: string): string[] {
  const v = input[field];
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw invalidParameter(`Invalid value for parameter '${field}' supplied: it must be a list of strings.`);
}

const tagsOf = (input: MlflowInput): Record<string, string> =>
  Object.fromEntries(
    keyValues(input, 'tags').map((t) => {
      if (typeof t.key !== 'string' || !t.key) throw invalidParameter("Missing value for required parameter 'tags.key'.");
      return [t.key, t.value];
    }),
  );

function tagKey(input: MlflowInput): string {
  return requiredString(input, 'key');
}

async function allModels(s: MlflowSession): Promise<RegisteredModel[]> {
  return registryOf(s).list();
}

async function latestVersions(s: MlflowSession, input: MlflowInput): Promise<object> {
  const model = await getModel(s, requiredString(input, 'name'));
  const stages = stringList(input, 'stages');
  const latest = [...model.versions].sort((a, b) => b.version - a.version)[0];
  const keep = latest && (!stages.length || stages.some((x) => x.toLowerCase() === 'none'));
  return { model_versions: keep ? [modelVersionJson(model, latest, ctxOf(s))] : [] };
}

export const registryHandlers: Record<string, Partial<Record<HttpMethod, RegistryHandler>>> = {
  'registered-models/create': {
    async POST(s, input) {
      const name = checkName(requiredString(input, 'name'));
      const at = now();
      const made = await registryOf(s).update(name, async (m) => {
        if (m) throw new MlflowError('RESOURCE_ALREADY_EXISTS', `Registered Model (name=${name}) already exists.`);
        const description = optionalString(input, 'description');
        const model: RegisteredModel = {
          ...emptyModel(name),
          ...(description ? { description } : {}),
          tags: tagsOf(input),
          createdAt: at,
          updatedAt: at,
        };
        return { model, result: model };
      });
      return { registered_model: registeredModelJson(made, ctxOf(s)) };
    },
  },

  'registered-models/get': {
    async GET(s, input) {
      return { registered_model: registeredModelJson(await getModel(s, requiredString(input, 'name')), ctxOf(s)) };
    },
  },

  'registered-models/search': {
    async GET(s, input) {
      const clauses = parseRegistryFilter(optionalString(input, 'filter'), 'model');
      const all = (await allModels(s)).map((m) => registeredModelJson(m, ctxOf(s))).filter((m) => matchesRegistryFilter(m, clauses));
      const { page, next } = pageOf(orderRegistry(all, stringList(input, 'order_by'), 'model'), input, 100, MAX_MODELS_PAGE);
      return next ? { registered_models: page, next_page_token: next } : { registered_models: page };
    },
  },

  'registered-models/update': {
    async PATCH(s, input) {
      const description = optionalString(input, 'description') ?? '';
      const m = await change(s, requiredString(input, 'name'), async (model) => {
        const out = { ...model, description };
        return { model: out, result: out };
      });
      return { registered_model: registeredModelJson(m, ctxOf(s)) };
    },
  },

  'registered-models/set-tag': {
    async POST(s, input) {
      const key = tagKey(input);
      const value = optionalString(input, 'value') ?? '';
      await change(s, requiredString(input, 'name'), async (model) => ({
        model: { ...model, tags: { ...(model.tags ?? {}), [key]: value } },
        result: undefined,
      }));
      return {};
    },
  },

  'registered-models/delete-tag': {
    async DELETE(s, input) {
      const key = tagKey(input);
      await change(s, requiredString(input, 'name'), async (model) => {
        if (!model.tags || !(key in model.tags)) throw doesNotExist(`Registered model tag with name=${model.name}, key=${key} not found`);
        const tags = { ...model.tags };
        delete tags[key];
        return { model: { ...model, tags }, result: undefined };
      });
      return {};
    },
  },

  'registered-models/alias': {
    // get-model-version-by-alias
    async GET(s, input) {
      const model = await getModel(s, requiredString(input, 'name'));
      const alias = requiredString(input, 'alias');
      const n = model.aliases[alias];
      const v = n === undefined ? undefined : model.versions.find((x) => x.version === n);
      if (!v) throw invalidParameter(`Registered model alias ${alias} not found.`);
      return { model_version: modelVersionJson(model, v, ctxOf(s)) };
    },
    async POST(s, input, who) {
      const alias = requiredString(input, 'alias');
      const version = requiredString(input, 'version');
      try {
        checkAlias(alias);
      } catch (e) {
        throw invalidParameter((e as Error).message);
      }
      await change(s, requiredString(input, 'name'), async (model) => {
        const v = versionOf(model, version);
        if (model.aliases[alias] === v.version) return { model, result: undefined };
        return { model: moveAlias(model, alias, v.version, { action: 'alias', at: now(), by: who }), result: undefined };
      });
      return {};
    },
    async DELETE(s, input, who) {
      const alias = requiredString(input, 'alias');
      await change(s, requiredString(input, 'name'), async (model) => {
        const current = model.aliases[alias];
        if (current === undefined) return { model, result: undefined };
        const aliases = { ...model.aliases };
        delete aliases[alias];
        const move = { alias, from: current, to: current, action: 'delete' as const, at: now(), by: who };
        return { model: { ...model, aliases, aliasHistory: [...model.aliasHistory, move] }, result: undefined };
      });
      return {};
    },
  },

  // Stages are not kept here: every version stands in stage None, and the latest is the latest of None.
  'registered-models/get-latest-versions': { POST: latestVersions, GET: latestVersions },

  'model-versions/create': {
    async POST(s, input, who) {
      const name = checkName(requiredString(input, 'name'));
      const source = requiredString(input, 'source');
      const runId = optionalString(input, 'run_id') || undefined;
      const tags = tagsOf(input);
      await getModel(s, name);
      const where = await resolveSource(s.store, source);
      const fields = await describeNewVersion(
        s.store.workspace,
        where.runId && where.artifact ? { runId: where.runId, artifact: where.artifact } : { file: where.file },
        { by: who, notes: optionalString(input, 'description') ?? '' },
      ).catch(async (e: Error) => {
        // A run's file it did not record as an artifact: registered as a file.
        if (!(e instanceof RegistryError) || !where.runId) throw e;
        return describeNewVersion(s.store.workspace, { file: where.file }, { by: who, notes: optionalString(input, 'description') ?? '' });
      });
      if (!where.inWorkspace && tags[SHA256_TAG] !== fields.sha256)
        throw invalidParameter(
          `Invalid model version source '${source}': a file outside this server's workspace is registered only with its ${SHA256_TAG} tag, and it must match the file (sha256 ${fields.sha256.slice(0, 12)}…).`,
        );
      const made = await change(s, name, async (model) => {
        const added = addVersion(model, {
          ...fields,
          source: { ...fields.source, runId: runId ?? where.runId ?? fields.source.runId },
          tags,
          sourceUri: source,
        });
        return { model: added.model, result: added };
      });
      return { model_version: modelVersionJson(made.model, made.version, ctxOf(s)) };
    },
  },

  'model-versions/get': {
    async GET(s, input) {
      const model = await getModel(s, requiredString(input, 'name'));
      return { model_version: modelVersionJson(model, versionOf(model, requiredString(input, 'version')), ctxOf(s)) };
    },
  },

  'model-versions/search': {
    async GET(s, input) {
      const clauses = parseRegistryFilter(optionalString(input, 'filter'), 'version');
      const all = (await allModels(s))
        .flatMap((m) => m.versions.map((v) => modelVersionJson(m, v, ctxOf(s))))
        .filter((v) => matchesRegistryFilter(v, clauses));
      const { page, next } = pageOf(orderRegistry(all, stringList(input, 'order_by'), 'version'), input, 10_000, MAX_VERSIONS_PAGE);
      return next ? { model_versions: page, next_page_token: next } : { model_versions: page };
    },
  },

  'model-versions/update': {
    async PATCH(s, input) {
      const version = requiredString(input, 'version');
      const notes = optionalString(input, 'description') ?? '';
      const out = await change(s, requiredString(input, 'name'), async (model) => {
        const v = versionOf(model, version);
        const changed = { ...model, versions: model.versions.map((x) => (x === v ? { ...x, notes } : x)) };
        return { model: changed, result: changed };
      });
      return { model_version: modelVersionJson(out, versionOf(out, version), ctxOf(s)) };
    },
  },

  'model-versions/set-tag': {
    async POST(s, input) {
      const version = requiredString(input, 'version');
      const key = tagKey(input);
      const value = optionalString(input, 'value') ?? '';
      await change(s, requiredString(input, 'name'), async (model) => {
        const v = versionOf(model, version);
        const versions = model.versions.map((x) => (x === v ? { ...x, tags: { ...(x.tags ?? {}), [key]: value } } : x));
        return { model: { ...model, versions }, result: undefined };
      });
      return {};
    },
  },

  'model-versions/delete-tag': {
    async DELETE(s, input) {
      const version = requiredString(input, 'version');
      const key = tagKey(input);
      await change(s, requiredString(input, 'name'), async (model) => {
        const v = versionOf(model, version);
        if (!v.tags || !(key in v.tags))
          throw doesNotExist(`Model version tag with name=${model.name}, version=${version}, key=${key} not found`);
        const tags = { ...v.tags };
        delete tags[key];
        return { model: { ...model, versions: model.versions.map((x) => (x === v ? { ...x, tags } : x)) }, result: undefined };
      });
      return {};
    },
  },

  'model-versions/get-download-uri': {
    async GET(s, input) {
      const model = await getModel(s, requiredString(input, 'name'));
      const v = versionOf(model, requiredString(input, 'version'));
      return { artifact_uri: versionSource(s.store.workspace, v) };
    },
  },
};
