import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ModelVersion, RegisteredModel } from '../registry/registryTypes';

/**
 * The Model Registry's entities as MLflow's REST API 2.0 writes them (protobuf JSON of mlflow.RegisteredModel and
 * mlflow.ModelVersion): a version number is a string, timestamps are epoch milliseconds, tags are `[{key, value}]`,
 * a registered model's aliases are `[{alias, version}]` and a version's are the alias names.
 */

export type KeyValue = { key: string; value: string };

export interface MlflowModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id: string;
  current_stage: string;
  description: string;
  source: string;
  run_id: string;
  status: 'READY' | 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION';
  status_message?: string;
  tags: KeyValue[];
  run_link: string;
  aliases: string[];
}

export interface MlflowRegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id: string;
  description: string;
  latest_versions: MlflowModelVersion[];
  tags: KeyValue[];
  aliases: Array<{ alias: string; version: string }>;
}

/** The tags ML Workbench puts on a version it mirrors or serves: the file's sha256 and its number in the mlw registry. */
export const SHA256_TAG = 'mlw.sha256';
export const VERSION_TAG = 'mlw.version';
/** A promoted version's gate results (JSON `[{gate, passed, detail}]`), and `true` when the promotion was forced. */
export const GATES_TAG = 'mlw.gates';
export const FORCED_TAG = 'mlw.forced';
/** The id of the local run a version came from, when the server does not hold that run. */
export const RUN_TAG = 'mlw.run';

const pairs = (r: Record<string, string>): KeyValue[] =>
  Object.entries(r)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => ({ key, value }));

const ms = (iso: string | undefined): number => {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? t : 0;
};

/** When a version last changed: its registration, or the latest alias move to it. */
function versionUpdated(model: RegisteredModel, v: ModelVersion): number {
  let t = ms(v.registeredAt);
  for (const m of model.aliasHistory) if (m.to === v.version) t = Math.max(t, ms(m.at));
  return t;
}

/** A version's source URI: the one an MLflow client gave when it created the version, else its file's `file://` URI. */
export function versionSource(workspace: string, v: ModelVersion): string {
  return v.sourceUri ?? pathToFileURL(path.resolve(workspace, v.path)).href;
}

export interface VersionJsonContext {
  /** The workspace of the registry: a version's relative path is resolved against it. */
  workspace: string;
}

export function modelVersionJson(model: RegisteredModel, v: ModelVersion, ctx: VersionJsonContext): MlflowModelVersion {
  return {
    name: model.name,
    version: String(v.version),
    creation_timestamp: ms(v.registeredAt),
    last_updated_timestamp: versionUpdated(model, v),
    user_id: v.registeredBy,
    current_stage: 'None',
    description: v.notes,
    source: versionSource(ctx.workspace, v),
    run_id: v.source.runId ?? '',
    status: 'READY',
    tags: pairs({ [SHA256_TAG]: v.sha256, [VERSION_TAG]: String(v.version), ...(v.tags ?? {}) }),
    run_link: '',
    aliases: Object.entries(model.aliases)
      .filter(([, n]) => n === v.version)
      .map(([a]) => a)
      .sort(),
  };
}

export function registeredModelJson(model: RegisteredModel, ctx: VersionJsonContext): MlflowRegisteredModel {
  const versions = [...model.versions].sort((a, b) => a.version - b.version);
  const latest = versions[versions.length - 1];
  const times = [ms(model.updatedAt), ...versions.map((v) => ms(v.registeredAt)), ...model.aliasHistory.map((m) => ms(m.at))];
  const created = model.createdAt ? ms(model.createdAt) : versions.length ? ms(versions[0].registeredAt) : 0;
  return {
    name: model.name,
    creation_timestamp: created,
    last_updated_timestamp: Math.max(created, ...times),
    user_id: versions[0]?.registeredBy ?? '',
    description: model.description ?? '',
    // Stages are not used: the latest version stands under "None", as MLflow lists it for a model without stages.
    latest_versions: latest ? [modelVersionJson(model, latest, ctx)] : [],
    tags: pairs(model.tags ?? {}),
    aliases: Object.entries(model.aliases)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([alias, version]) => ({ alias, version: String(version) })),
  };
}
