/**
 * Starts the model server: listens first (so liveness answers at once and readiness says 503 while loading), then
 * loads the models one by one, then resolves. close() drains: it stops accepting, answers 503 to new requests on
 * open connections, lets every in-flight request finish, then closes the sockets and releases the sessions.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from '../logger';
import type { ExecutionProvider } from '../ort/executionProviders';
import type { DriftProfile } from './driftProfile';
import { InferenceServer, type AccessLogEntry } from './inferenceServer';
import type { ModelSource } from './modelSources';
import { ServedModel, type ModelConfig } from './servedModel';
import { warmUp } from './warmUp';
import type { PlatformAdapter } from './platform/platformAdapter';
import type { CaptureConfig } from './capture/modelCapture';
import { ServerCapture } from './capture/serverCapture';
import { DriftStateWriter } from './driftStateWriter';

declare const MLW_VERSION: string | undefined;

export interface ServerOptions {
  models: ModelSource[];
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Max rows per session.run; 1 turns dynamic batching off. Default 32. */
  maxBatchSize?: number;
  /** Longest a request waits for batch companions. Default 2 ms. */
  maxQueueDelayMs?: number;
  /** Request bodies above this are answered 413. Default 64 MiB. */
  bodyLimitBytes?: number;
  /** Drift reference profiles by model name; "*" applies to every model without its own. */
  references?: Record<string, DriftProfile>;
  /** Called with one entry per finished request. */
  accessLog?: (entry: AccessLogEntry) => void;
  /** Called as soon as the socket listens, before the models are loaded. */
  onListening?: (url: string) => void;
  /** ORT intra-op threads per session (default: ORT's choice). */
  intraOpThreads?: number;
  /** ORT execution providers of every session (default ['cpu']); one that cannot load falls back to CPU only if the list names cpu. */
  executionProviders?: readonly ExecutionProvider[];
  /** close() waits at most this long for in-flight requests. Default 30 s. */
  drainTimeoutMs?: number;
  serverName?: string;
  /** Platform container contracts (SageMaker, Vertex AI, Azure ML) served beside OIP and TF Serving. */
  adapters?: readonly PlatformAdapter[];
  /** Capture a sample of requests with their predictions (off when absent). */
  capture?: CaptureConfig;
  /** Folder of drift state files `<model>.json` for the registry's no_drift gate (not written when absent). */
  driftDir?: string;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  /** The request handler, its models and metrics (for the extension's views and for tests). */
  handler: InferenceServer;
  /** Drains and stops; safe to call more than once. */
  close(): Promise<void>;
  /**
   * Rolls the served model `name` to another file with no failed request: loads and warms the new session, switches
   * to it at once, lets what the old one holds finish on it, then releases it. Throws (and keeps the old) when the
   * new one cannot load or run.
   */
  replaceModel(name: string, file: string): Promise<{ loadMs: number; warmMs: number }>;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  maxBatchSize: 32,
  maxQueueDelayMs: 2,
  bodyLimitBytes: 64 * 2 ** 20,
  drainTimeoutMs: 30_000,
};

export function serverVersion(): string {
  return typeof MLW_VERSION === 'string' ? MLW_VERSION : '0.0.0-dev';
}

function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' || address.family === (6 as unknown as string) ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

export async function startServer(options: ServerOptions, logger: Logger): Promise<RunningServer> {
  if (options.models.length === 0) throw new Error('no models to serve');
  for (const key of Object.keys(options.references ?? {})) {
    if (key !== '*' && !options.models.some((m) => m.name === key))
      throw new Error(`a reference profile is given for '${key}', which is not a served model`);
  }
  const host = options.host ?? DEFAULTS.host;
  const maxBatchSize = Math.max(1, Math.floor(options.maxBatchSize ?? DEFAULTS.maxBatchSize));
  const maxQueueDelayMs = Math.max(0, options.maxQueueDelayMs ?? DEFAULTS.maxQueueDelayMs);
  const handler = new InferenceServer({
    serverName: options.serverName ?? 'mlw-serve',
    version: serverVersion(),
    bodyLimitBytes: options.bodyLimitBytes ?? DEFAULTS.bodyLimitBytes,
    maxBatchSize,
    maxQueueDelayMs,
    accessLog: options.accessLog,
    adapters: options.adapters,
    logger,
  });
  for (const s of options.models) handler.models.set(s.name, new ServedModel(s.name, s.path));
  if (options.capture) {
    handler.capture = new ServerCapture(options.capture, logger);
    handler.capture.register(handler.metrics.registry);
    logger.info(`capturing ${options.capture.rate * 100}% of requests with their predictions into ${options.capture.dir}`);
  }
  const driftState = options.driftDir ? new DriftStateWriter(options.driftDir, handler, logger) : undefined;

  const server = http.createServer({ keepAliveTimeout: 5000 }, handler.handle);
  server.on('clientError', (err, socket) => {
    if (socket.writable && !(err as NodeJS.ErrnoException).code?.startsWith('ECONN')) {
      const body = JSON.stringify({ error: `bad HTTP request: ${err.message}` });
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    } else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULTS.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => logger.error(e));
  const address = server.address() as AddressInfo;
  const url = urlOf(address);
  logger.info(`model server listening on ${url}`);
  options.onListening?.(url);

  const modelConfig = (name: string): ModelConfig => ({
    maxBatchSize,
    maxQueueDelayMs,
    intraOpThreads: options.intraOpThreads,
    executionProviders: options.executionProviders,
    reference: options.references?.[name] ?? options.references?.['*'],
    onRun: (model, requests, rows, ms) => handler.metrics.onRun(model, requests, rows, ms),
    warn: (m) => logger.warn(m),
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      handler.draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>(
        (resolve) => (timer = setTimeout(() => resolve(false), options.drainTimeoutMs ?? DEFAULTS.drainTimeoutMs)),
      );
      const drained = await Promise.race([handler.whenIdle().then(() => true), timeout]);
      clearTimeout(timer);
      if (!drained) logger.warn(`closing with ${handler.inflightRequests} requests still in flight after the drain timeout`);
      server.closeAllConnections();
      await closed;
      await handler.capture?.close().catch((e: unknown) => logger.warn(`closing the capture: ${String(e)}`));
      await driftState?.close();
      for (const m of handler.models.values())
        await m.release().catch((e: unknown) => logger.warn(`releasing model '${m.name}': ${String(e)}`));
      logger.info('model server closed');
    })();
    return closing;
  };

  try {
    for (const model of handler.models.values()) {
      await nextTurn(); // answer probes between (synchronous) model loads
      const t0 = Date.now();
      await model.load(modelConfig(model.name));
      logger.info(
        `model '${model.name}' loaded from ${model.path} in ${Date.now() - t0} ms${model.batchable ? ' (dynamic batching)' : ''}`,
      );
    }
  } catch (e) {
    await close();
    throw e;
  }
  driftState?.start();
  const replaceModel = async (name: string, file: string): Promise<{ loadMs: number; warmMs: number }> => {
    const old = handler.models.get(name);
    if (!old) throw new Error(`no served model '${name}' to replace`);
    const t0 = performance.now();
    const next = new ServedModel(name, file);
    await next.load(modelConfig(name));
    const t1 = performance.now();
    try {
      await warmUp(next);
    } catch (e) {
      await next.release().catch(() => undefined);
      throw new Error(`model '${name}' from ${file} loaded but failed its warm-up request: ${(e as Error).message}`);
    }
    handler.models.set(name, next);
    void old.retire(next).catch((e: unknown) => logger.warn(`releasing the replaced model '${name}': ${String(e)}`));
    logger.info(`model '${name}' rolled to ${file}`);
    return { loadMs: t1 - t0, warmMs: performance.now() - t1 };
  };

  return { url, host: address.address, port: address.port, handler, close, replaceModel };
}
