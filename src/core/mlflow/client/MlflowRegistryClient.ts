import type { KeyValue, MlflowModelVersion, MlflowRegisteredModel } from '../registryJson';
import type { MlflowClient } from './MlflowClient';
import { MlflowServerError } from './MlflowServerError';

/** Largest model-versions/search page asked for (MLflow's server allows up to 200,000; its default is 10,000). */
const VERSIONS_PAGE = 10_000;

/**
 * The Model Registry calls of MLflow's REST API 2.0 (paths, methods and field names as MLflow's client sends them),
 * over an MlflowClient's connection, auth and timeouts.
 */
export class MlflowRegistryClient {
  constructor(readonly client: MlflowClient) {}

  get url(): string {
    return this.client.url;
  }

  /** The registered model, or undefined when the server has none of that name. */
  async getRegisteredModel(name: string): Promise<MlflowRegisteredModel | undefined> {
    try {
      return (await this.client.call<{ registered_model: MlflowRegisteredModel }>('GET', 'registered-models/get', { name }))
        .registered_model;
    } catch (e) {
      if (e instanceof MlflowServerError && e.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw e;
    }
  }

  async createRegisteredModel(input: { name: string; description?: string; tags?: KeyValue[] }): Promise<MlflowRegisteredModel> {
    return (
      await this.client.call<{ registered_model: MlflowRegisteredModel }>('POST', 'registered-models/create', {
        name: input.name,
        ...(input.description ? { description: input.description } : {}),
        tags: input.tags ?? [],
      })
    ).registered_model;
  }

  /** Every version model-versions/search finds for `filter`, following pages. */
  async searchModelVersions(filter: string): Promise<MlflowModelVersion[]> {
    const out: MlflowModelVersion[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.client.call<{ model_versions?: MlflowModelVersion[]; next_page_token?: string }>(
        'GET',
        'model-versions/search',
        {
          filter,
          max_results: VERSIONS_PAGE,
          page_token: pageToken,
        },
      );
      out.push(...(r.model_versions ?? []));
      pageToken = r.next_page_token || undefined;
    } while (pageToken);
    return out;
  }

  async createModelVersion(input: {
    name: string;
    source: string;
    runId?: string;
    tags?: KeyValue[];
    description?: string;
  }): Promise<MlflowModelVersion> {
    return (
      await this.client.call<{ model_version: MlflowModelVersion }>('POST', 'model-versions/create', {
        name: input.name,
        source: input.source,
        ...(input.runId ? { run_id: input.runId } : {}),
        tags: input.tags ?? [],
        ...(input.description ? { description: input.description } : {}),
      })
    ).model_version;
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.client.call('POST', 'model-versions/set-tag', { name, version, key, value });
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.client.call('POST', 'registered-models/alias', { name, alias, version });
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.client.call('DELETE', 'registered-models/alias', { name, alias });
  }
}

/** A search filter's string literal: single quotes, doubled inside. */
export const quoteFilter = (s: string): string => `'${s.replace(/'/g, "''")}'`;
