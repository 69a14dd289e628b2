/**
 * Run a model image locally: start it on a free 127.0.0.1 port, wait until the server answers
 * /v2/health/ready (watching that the container keeps running), then send one smoke request built from the
 * model's own metadata and check that it answers with outputs.
 */
import { randomBytes } from 'node:crypto';
import { LABELS, type ContainerInfo, type DockerEngine } from '../docker/dockerEngine';
import { OperationCancelledError } from '../docker/engineErrors';
import { buildInferRequest, inferPath, parseModelMetadata } from '../serve/inferExample';

export interface RunLocalResult {
  container: ContainerInfo;
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** From container start to the server's ready answer. */
  readyMs: number;
  smoke: { ok: boolean; ms: number; summary: string };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function lastLogLines(engine: DockerEngine, id: string, n = 20): Promise<string> {
  const lines: string[] = [];
  await engine.logs(id, { tail: n, onLine: (_s, l) => lines.push(l) }).catch(() => undefined);
  return lines.join('\n');
}

/**
 * fetch with a timeout held by a ref'd timer: AbortSignal.timeout's timer is unref'd, and a fetch that waits on a
 * half-open connection (docker-proxy accepts before the server listens) would otherwise let a CLI process exit.
 */
async function fetchWithin(url: string, timeoutMs: number, init: RequestInit = {}): Promise<Response> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`no answer from ${url} within ${timeoutMs} ms`)), timeoutMs);
  try {
    const res = await fetch(url, { ...init, signal: abort.signal });
    await res.clone().arrayBuffer(); // the body arrives while the timer still runs
    return res;
  } finally {
    clearTimeout(timer);
  }
}

const get = (url: string, timeoutMs: number) => fetchWithin(url, timeoutMs);

/** Polls the server's ready endpoint until it answers 200; throws when the container stops, the time is up or the signal aborts. */
export async function waitForServer(
  engine: DockerEngine,
  container: ContainerInfo,
  endpoint: string,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastCheck = 0;
  for (;;) {
    if (opts.signal?.aborted) throw new OperationCancelledError('Starting the container');
    try {
      if ((await get(`${endpoint}/v2/health/ready`, 1000)).ok) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() - lastCheck > 500) {
      lastCheck = Date.now();
      const info = await engine.inspectContainer(container.id);
      if (info.state !== 'running' && info.state !== 'created' && info.state !== 'restarting') {
        throw new Error(
          `Container ${info.name} stopped (${info.status}) before its server was ready. Last log lines:\n${await lastLogLines(engine, container.id)}`,
        );
      }
    }
    if (Date.now() > deadline) {
      throw new Error(
        `The server in container ${container.name} was not ready within ${Math.round(opts.timeoutMs / 1000)} s. Last log lines:\n${await lastLogLines(engine, container.id)}`,
      );
    }
    await sleep(50);
  }
}

/** One infer request with random data shaped after GET /v2/models/{name}. */
export async function smokeRequest(endpoint: string, modelName: string): Promise<{ ok: boolean; ms: number; summary: string }> {
  const t0 = Date.now();
  try {
    const metaRes = await get(`${endpoint}/v2/models/${encodeURIComponent(modelName)}`, 10_000);
    if (!metaRes.ok) return { ok: false, ms: Date.now() - t0, summary: `GET /v2/models/${modelName} answered ${metaRes.status}` };
    const meta = parseModelMetadata(await metaRes.json());
    const res = await fetchWithin(`${endpoint}${inferPath(modelName)}`, 30_000, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(buildInferRequest(meta, 'random')),
    });
    const body = (await res.json().catch(() => ({}))) as {
      outputs?: { name: string; datatype: string; shape: number[] }[];
      error?: string;
    };
    const ms = Date.now() - t0;
    if (!res.ok || !Array.isArray(body.outputs))
      return { ok: false, ms, summary: `infer answered ${res.status}${body.error ? `: ${body.error}` : ''}` };
    return { ok: true, ms, summary: body.outputs.map((o) => `${o.name} ${o.datatype}[${o.shape.join(',')}]`).join(', ') };
  } catch (e) {
    return { ok: false, ms: Date.now() - t0, summary: (e as Error).message };
  }
}

export async function runLocal(opts: {
  engine: DockerEngine;
  image: string;
  modelName: string;
  containerPort: number;
  hostPort?: number;
  /** Container name; default `mlw-<model>-<6 hex>`, so `docker ps` says what each one serves. */
  name?: string;
  labels?: Record<string, string>;
  /** CPU weight of the container while it starts (DockerEngine.runContainer). */
  cpuShares?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Request capture on, into the workspace (see captureMount.ts). */
  capture?: { env: Record<string, string>; binds: string[]; labels: Record<string, string> };
}): Promise<RunLocalResult> {
  const t0 = Date.now();
  const name = opts.name ?? defaultContainerName(opts.modelName);
  const container = await opts.engine.runContainer({
    image: opts.image,
    name,
    containerPort: opts.containerPort,
    hostPort: opts.hostPort,
    labels: { ...opts.labels, ...opts.capture?.labels },
    env: opts.capture?.env,
    binds: opts.capture?.binds,
    cpuShares: opts.cpuShares,
  });
  const binding = container.ports.find((p) => p.containerPort === opts.containerPort);
  if (!binding) throw new Error(`Container ${container.name} has no host port for ${opts.containerPort}/tcp`);
  const host = binding.hostIp && binding.hostIp !== '0.0.0.0' ? binding.hostIp : '127.0.0.1';
  const endpoint = `http://${host}:${binding.hostPort}`;
  await waitForServer(opts.engine, container, endpoint, { timeoutMs: opts.timeoutMs ?? 60_000, signal: opts.signal });
  const readyMs = Date.now() - t0;
  const served = container.labels[LABELS.servedModels]?.split(',').filter(Boolean);
  const smoke = await smokeRequest(endpoint, served?.includes(opts.modelName) || !served?.length ? opts.modelName : served[0]);
  return { container: await opts.engine.inspectContainer(container.id), endpoint, readyMs, smoke };
}

/** A valid, unique Docker container name for a model: `mlw-<model>-<6 hex>`. */
export function defaultContainerName(modelName: string): string {
  const safe =
    modelName
      .replace(/[^a-zA-Z0-9_.-]+/g, '-')
      .replace(/^[^a-zA-Z0-9]+/, '')
      .slice(0, 40) || 'model';
  return `mlw-${safe}-${randomBytes(3).toString('hex')}`;
}
