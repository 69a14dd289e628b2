import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RegistryStore } from '../../registry/RegistryStore';
import type { ModelVersion, RegisteredModel } from '../../registry/registryTypes';
import { FORCED_TAG, GATES_TAG, RUN_TAG, SHA256_TAG, VERSION_TAG, type KeyValue, type MlflowModelVersion } from '../registryJson';
import type { MlflowClient } from './MlflowClient';
import { MlflowRegistryClient, quoteFilter } from './MlflowRegistryClient';
import { MlflowServerError } from './MlflowServerError';
import { PUSHED_FROM_TAG, remotePath } from './pushRun';

/** MLflow's longest model version tag value. */
const MAX_TAG_VALUE = 5000;

export interface MirroredVersion {
  local: number;
  /** The server's number for it. */
  server: string;
  /** Made by this sync (else it was there, by the mapping or found by its mlw.sha256 and mlw.version tags). */
  created: boolean;
  source: string;
}

export interface RegistryMirrorResult {
  server: string;
  name: string;
  /** The registered model was made on the server by this sync. */
  createdModel: boolean;
  versions: MirroredVersion[];
  /** Aliases set on the server, as `alias=serverVersion`, and deleted (they pointed at a version not mirrored). */
  aliasesSet: string[];
  aliasesDeleted: string[];
  tagsSet: number;
  /** Versions that could not be mirrored, each with why; the aliases pointing at them were not set. */
  failed: Array<{ local: number; error: string }>;
}

const tagOf = (v: MlflowModelVersion, key: string) => v.tags?.find((t) => t.key === key)?.value;

/** The tags a mirrored version carries: its sha256 and local number, and for a promoted one its last promotion's gates. */
export function desiredTags(model: RegisteredModel, v: ModelVersion): Record<string, string> {
  const tags: Record<string, string> = { [SHA256_TAG]: v.sha256, [VERSION_TAG]: String(v.version) };
  const promotion = [...model.aliasHistory].reverse().find((m) => m.action === 'promote' && m.to === v.version);
  if (promotion) {
    let gates = JSON.stringify(promotion.gates ?? []);
    if (gates.length > MAX_TAG_VALUE) gates = JSON.stringify((promotion.gates ?? []).map((g) => ({ gate: g.gate, passed: g.passed })));
    tags[GATES_TAG] = gates.slice(0, MAX_TAG_VALUE);
    tags[FORCED_TAG] = String(!!promotion.forced);
  }
  return tags;
}

const kv = (r: Record<string, string>): KeyValue[] => Object.entries(r).map(([key, value]) => ({ key, value }));

/**
 * Makes the Model Registry of an MLflow tracking server match the local registered model `name` (the local
 * `.mlw/registry/` stays the source of truth): the registered model is created when absent; each local version not
 * yet there is created (source: the model file's artifact URI on the server when its run was pushed or mirrored
 * there, with that run's id, else the file's `file://` URI; tags mlw.sha256 and mlw.version, and mlw.gates /
 * mlw.forced for promoted ones; description: the notes); aliases are set to the server's numbers of their versions.
 * The server's number of each version is kept in the local file (`mlflow: {uri, version}`). Idempotent: run again
 * after a failure it sends only what is missing, and finds a version made by a sync that died before recording it.
 */
export async function mirrorRegisteredModel(client: MlflowClient, store: RegistryStore, name: string): Promise<RegistryMirrorResult> {
  const registry = new MlflowRegistryClient(client);
  const url = client.url;
  const model = await store.get(name);
  const result: RegistryMirrorResult = {
    server: url,
    name,
    createdModel: false,
    versions: [],
    aliasesSet: [],
    aliasesDeleted: [],
    tagsSet: 0,
    failed: [],
  };
  let remote = await registry.getRegisteredModel(name);
  if (!remote) {
    try {
      remote = await registry.createRegisteredModel({ name, tags: [{ key: 'mlw.registry', value: '.mlw/registry' }] });
      result.createdModel = true;
    } catch (e) {
      remote = await registry.getRegisteredModel(name); // made by someone else meanwhile
      if (!remote) throw e;
    }
  }
  const onServer = await registry.searchModelVersions(`name = ${quoteFilter(name)}`);
  const taken = new Set<string>();
  const runSources = new ServerRuns(client);
  const mapping = new Map<number, string>();

  for (const v of [...model.versions].sort((a, b) => a.version - b.version)) {
    try {
      const want = desiredTags(model, v);
      let there = v.mlflow?.uri === url ? onServer.find((x) => x.version === v.mlflow!.version && !taken.has(x.version)) : undefined;
      there ??= onServer.find(
        (x) => !taken.has(x.version) && tagOf(x, SHA256_TAG) === v.sha256 && tagOf(x, VERSION_TAG) === String(v.version),
      );
      let created = false;
      if (!there) {
        there = await createVersion(registry, store.workspace, model, v, want, runSources);
        onServer.push(there);
        created = true;
      }
      taken.add(there.version);
      for (const [key, value] of Object.entries(want)) {
        if (tagOf(there, key) === value) continue;
        await registry.setModelVersionTag(name, there.version, key, value);
        result.tagsSet++;
      }
      mapping.set(v.version, there.version);
      result.versions.push({ local: v.version, server: there.version, created, source: there.source });
    } catch (e) {
      if (!(e instanceof MlflowServerError) || e.retryable) throw e; // the server is away: nothing more will go
      result.failed.push({ local: v.version, error: e.message });
    }
  }

  const remoteAliases = new Map((remote.aliases ?? []).map((a) => [a.alias, String(a.version)]));
  for (const [alias, local] of Object.entries(model.aliases).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const target = mapping.get(local);
    if (target !== undefined && remoteAliases.get(alias) !== target) {
      await registry.setAlias(name, alias, target);
      result.aliasesSet.push(`${alias}=${target}`);
    } else if (target === undefined && remoteAliases.has(alias)) {
      await registry.deleteAlias(name, alias); // it would name a version the local alias no longer points to
      result.aliasesDeleted.push(alias);
    }
  }

  const stale = (x: ModelVersion) => {
    const sv = mapping.get(x.version);
    return sv !== undefined && (x.mlflow?.uri !== url || x.mlflow.version !== sv);
  };
  if (model.versions.some(stale)) {
    await store.update(name, async (m) => {
      const current = m ?? model;
      const versions = current.versions.map((x) => (stale(x) ? { ...x, mlflow: { uri: url, version: mapping.get(x.version)! } } : x));
      return { model: { ...current, versions }, result: undefined };
    });
  }
  return result;
}

async function createVersion(
  registry: MlflowRegistryClient,
  workspace: string,
  model: RegisteredModel,
  v: ModelVersion,
  tags: Record<string, string>,
  runs: ServerRuns,
): Promise<MlflowModelVersion> {
  const fileUri = pathToFileURL(path.resolve(workspace, v.path)).href;
  const local: Record<string, string> = v.source.runId ? { [RUN_TAG]: v.source.runId } : {};
  const server = v.source.runId && v.source.artifact ? await runs.find(v.source.runId) : undefined;
  const base = { name: model.name, description: v.notes || undefined };
  if (server) {
    try {
      return await registry.createModelVersion({
        ...base,
        source: `${server.artifactUri.replace(/\/+$/, '')}/${remotePath(v.source.artifact!)}`,
        runId: server.runId,
        tags: kv({ ...tags, ...local }),
      });
    } catch (e) {
      // The pushed run lacks the artifact (not uploaded): the file itself then.
      if (!(e instanceof MlflowServerError) || e.errorCode !== 'INVALID_PARAMETER_VALUE') throw e;
    }
  }
  return registry.createModelVersion({ ...base, source: fileUri, tags: kv({ ...tags, ...local }) });
}

/** The server's copy of a local run: the run whose mlw.pushedFrom tag names it (mlw runs push, --log-to). */
class ServerRuns {
  private experiments: string[] | undefined;
  private readonly found = new Map<string, { runId: string; artifactUri: string } | undefined>();

  constructor(private readonly client: MlflowClient) {}

  async find(localRunId: string): Promise<{ runId: string; artifactUri: string } | undefined> {
    if (this.found.has(localRunId)) return this.found.get(localRunId);
    this.experiments ??= (await this.client.allExperiments()).map((e) => e.experiment_id);
    let hit: { runId: string; artifactUri: string } | undefined;
    if (this.experiments.length) {
      const page = await this.client.searchRuns({
        experimentIds: this.experiments,
        filter: `tags.\`${PUSHED_FROM_TAG}\` = ${quoteFilter(localRunId)}`,
        orderBy: ['attributes.start_time DESC'],
        maxResults: 1,
      });
      const r = page.runs[0];
      if (r) hit = { runId: r.info.run_id, artifactUri: r.info.artifact_uri };
    }
    this.found.set(localRunId, hit);
    return hit;
  }
}
