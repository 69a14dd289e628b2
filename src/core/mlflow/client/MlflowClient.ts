import * as http from 'node:http';
import * as https from 'node:https';
import { createReadStream, promises as fsp } from 'node:fs';
import type { MlflowExperiment } from '../mlflowExperiments';
import type { MlflowRun, MlflowRunInfo } from '../mlflowRunJson';
import type { MlflowMetric, MlflowStatus } from '../TrackedRun';
import { authorizationHeader, normalizeServerUrl, type MlflowAuth } from './mlflowAuth';
import { artifactUploadUrl } from './artifactUploadUrl';
import { answerError, connectionError, MlflowServerError } from './MlflowServerError';

export type KeyValue = { key: string; value: string };
/** A metric point as log-batch takes it: NaN and the infinities as the strings protobuf's JSON uses. */
export type MetricPoint = { key: string; value: number | string; timestamp: number; step: number };

export interface MlflowClientOptions {
  url: string;
  auth?: MlflowAuth;
  /** Per request, from sending it to the end of the answer (default 30 s; uploads: per idle gap). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface RunsPage {
  runs: MlflowRun[];
  nextPageToken?: string;
}

export interface SearchRunsOptions {
  experimentIds: string[];
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
}

/** Largest metrics/get-history page MLflow's server gives. */
export const HISTORY_PAGE = 25_000;

/**
 * A client of MLflow's tracking REST API 2.0: the calls that list and read runs, and those that
 * write a run (create, log-batch, update, artifact upload through the server's `mlflow-artifacts`
 * proxy). Every failure is an MlflowServerError with a one-line message.
 */
export class MlflowClient {
  readonly url: string;
  private readonly auth: MlflowAuth;
  private readonly timeoutMs: number;
  private readonly signal: AbortSignal | undefined;

  constructor(options: MlflowClientOptions) {
    this.url = normalizeServerUrl(options.url);
    this.auth = options.auth ?? { kind: 'none' };
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.signal = options.signal;
  }

  /** The same server and auth, with another abort signal. */
  withSignal(signal: AbortSignal | undefined): MlflowClient {
    return new MlflowClient({ url: this.url, auth: this.auth, timeoutMs: this.timeoutMs, signal });
  }

  /** The server's web page of a run. */
  runPageUrl(experimentId: string, runId: string): string {
    return `${this.url}/#/experiments/${encodeURIComponent(experimentId)}/runs/${encodeURIComponent(runId)}`;
  }

  private send(
    method: string,
    target: string,
    what: string,
    body?: { bytes: Buffer; type: string } | { file: string; size: number },
  ): Promise<string> {
    this.signal?.throwIfAborted();
    const u = new URL(target);
    const headers: Record<string, string | number> = { Accept: 'application/json' };
    const authz = authorizationHeader(this.auth);
    if (authz) headers.Authorization = authz;
    if (body && 'bytes' in body) Object.assign(headers, { 'Content-Type': body.type, 'Content-Length': body.bytes.length });
    if (body && 'file' in body) Object.assign(headers, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.size });
    const lib = u.protocol === 'https:' ? https : http;
    return new Promise<string>((resolve, reject) => {
      let timedOut = false;
      const req = lib.request(u, { method, headers, signal: this.signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(connectionError(this.url, what, e)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(text);
          else reject(answerError(this.url, what, status, text));
        });
      });
      req.setTimeout(this.timeoutMs, () => {
        timedOut = true;
        req.destroy(new Error('timeout'));
      });
      req.on('error', (e) => {
        if (e.name === 'AbortError') reject(e);
        else reject(connectionError(this.url, what, e, timedOut ? this.timeoutMs : undefined));
      });
      if (body && 'file' in body) {
        const stream = createReadStream(body.file);
        stream.on('error', (e) => req.destroy(e));
        stream.pipe(req);
      } else req.end(body?.bytes);
    });
  }

  /**
   * One call of `/api/2.0/mlflow/<endpoint>`: GET with the input as query parameters (a list repeats its key), other
   * methods with a JSON body (DELETE too, as MLflow's client sends it). The answer's JSON, or an MlflowServerError.
   */
  async call<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', endpoint: string, input: Record<string, unknown>): Promise<T> {
    let target = `${this.url}/api/2.0/mlflow/${endpoint}`;
    let body: { bytes: Buffer; type: string } | undefined;
    if (method === 'GET') {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(input)) for (const x of Array.isArray(v) ? v : [v]) if (x !== undefined) q.append(k, String(x));
      if ([...q].length) target += `?${q}`;
    } else body = { bytes: Buffer.from(JSON.stringify(input)), type: 'application/json' };
    const text = await this.send(method, target, endpoint, body);
    try {
      return (text.trim() ? JSON.parse(text) : {}) as T;
    } catch {
      throw new MlflowServerError(
        `MLflow server ${this.url}: ${endpoint} answered with something that is not JSON (is this the tracking server URL?)`,
        200,
        undefined,
        false,
      );
    }
  }

  async searchExperiments(options: { maxResults?: number; pageToken?: string; filter?: string } = {}): Promise<{
    experiments: MlflowExperiment[];
    nextPageToken?: string;
  }> {
    const r = await this.call<{ experiments?: MlflowExperiment[]; next_page_token?: string }>('POST', 'experiments/search', {
      max_results: options.maxResults ?? 1000,
      ...(options.pageToken ? { page_token: options.pageToken } : {}),
      ...(options.filter ? { filter: options.filter } : {}),
    });
    return { experiments: r.experiments ?? [], ...(r.next_page_token ? { nextPageToken: r.next_page_token } : {}) };
  }

  /** Every experiment, following pages. */
  async allExperiments(): Promise<MlflowExperiment[]> {
    const out: MlflowExperiment[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.searchExperiments({ pageToken });
      out.push(...page.experiments);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return out;
  }

  /** The experiment of that name, or undefined when the server has none. */
  async getExperimentByName(name: string): Promise<MlflowExperiment | undefined> {
    try {
      return (await this.call<{ experiment: MlflowExperiment }>('GET', 'experiments/get-by-name', { experiment_name: name })).experiment;
    } catch (e) {
      if (e instanceof MlflowServerError && e.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw e;
    }
  }

  async getExperiment(id: string): Promise<MlflowExperiment> {
    return (await this.call<{ experiment: MlflowExperiment }>('GET', 'experiments/get', { experiment_id: id })).experiment;
  }

  async createExperiment(name: string): Promise<string> {
    return (await this.call<{ experiment_id: string }>('POST', 'experiments/create', { name })).experiment_id;
  }

  async searchRuns(options: SearchRunsOptions): Promise<RunsPage> {
    const r = await this.call<{ runs?: MlflowRun[]; next_page_token?: string }>('POST', 'runs/search', {
      experiment_ids: options.experimentIds,
      ...(options.filter ? { filter: options.filter } : {}),
      ...(options.orderBy?.length ? { order_by: options.orderBy } : {}),
      max_results: options.maxResults ?? 100,
      ...(options.pageToken ? { page_token: options.pageToken } : {}),
    });
    return { runs: r.runs ?? [], ...(r.next_page_token ? { nextPageToken: r.next_page_token } : {}) };
  }

  async getRun(runId: string): Promise<MlflowRun> {
    return (await this.call<{ run: MlflowRun }>('GET', 'runs/get', { run_id: runId })).run;
  }

  /** Every point of one metric of a run, following metrics/get-history's pages. */
  async getMetricHistory(runId: string, key: string, pageSize = HISTORY_PAGE): Promise<MlflowMetric[]> {
    const out: MlflowMetric[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.call<{ metrics?: MlflowMetric[]; next_page_token?: string }>('GET', 'metrics/get-history', {
        run_id: runId,
        metric_key: key,
        max_results: pageSize,
        page_token: pageToken,
      });
      for (const m of r.metrics ?? []) out.push(m);
      pageToken = r.next_page_token || undefined;
    } while (pageToken);
    return out;
  }

  async createRun(input: { experimentId: string; runName: string; startTime?: number; tags?: KeyValue[] }): Promise<MlflowRun> {
    return (
      await this.call<{ run: MlflowRun }>('POST', 'runs/create', {
        experiment_id: input.experimentId,
        run_name: input.runName,
        ...(input.startTime !== undefined ? { start_time: input.startTime } : {}),
        tags: input.tags ?? [],
      })
    ).run;
  }

  /** One runs/log-batch call: the caller keeps within MLflow's limits (1,000 metrics, 100 params, 100 tags, 1,000 in all). */
  async logBatch(runId: string, batch: { metrics?: MetricPoint[]; params?: KeyValue[]; tags?: KeyValue[] }): Promise<void> {
    await this.call('POST', 'runs/log-batch', {
      run_id: runId,
      metrics: batch.metrics ?? [],
      params: batch.params ?? [],
      tags: batch.tags ?? [],
    });
  }

  async updateRun(runId: string, status: MlflowStatus, endTime?: number): Promise<MlflowRunInfo> {
    return (
      await this.call<{ run_info: MlflowRunInfo }>('POST', 'runs/update', {
        run_id: runId,
        status,
        ...(endTime !== undefined ? { end_time: endTime } : {}),
      })
    ).run_info;
  }

  /** Uploads a file to `<artifactUri>/<relPath>` (a run's artifact_uri, `mlflow-artifacts:/...` or http(s)). */
  async uploadArtifact(artifactUri: string, relPath: string, file: string): Promise<void> {
    const size = (await fsp.stat(file)).size;
    await this.send('PUT', artifactUploadUrl(this.url, artifactUri, relPath), `upload of ${relPath}`, { file, size });
  }
}
