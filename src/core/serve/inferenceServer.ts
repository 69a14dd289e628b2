/**
 * The HTTP request handler: routes of the Open Inference Protocol v2 REST API, our /stats extension, /metrics,
 * error mapping, draining, metrics and the access log. It owns no socket; startServer wires it to node:http.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../logger';
import { HEADER_LENGTH, splitBody } from './binaryExtension';
import { HttpError, badRequest } from './httpError';
import { parseInferRequest, type InferRequest } from './inferRequest';
import { encodeInferResponse } from './inferResponse';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus';
import { readBody } from './requestBody';
import { ServerMetrics } from './serverMetrics';
import { MODEL_VERSION, type ServedModel } from './servedModel';
import type { AdapterCall, PlatformAdapter } from './platform/platformAdapter';
import { encodeTfPredict, parseTfPredict, tfMetadata, tfRoute, tfStatus, type TfRoute } from './tfServing';
import type { HostTensor } from './datatypes';
import type { ServerCapture } from './capture/serverCapture';

export interface AccessLogEntry {
  time: string;
  method: string;
  path: string;
  status: number;
  ms: number;
  model?: string;
  /** v2 (OIP), tfserving, or a platform adapter's name; absent for /metrics and unknown routes. */
  protocol?: string;
  bytesIn: number;
  bytesOut: number;
  id?: string;
  /** Inference only: requests in the run, queue and run time. */
  batch?: number;
  queueMs?: number;
  inferMs?: number;
  error?: string;
  /** The client went away before the response was complete. */
  aborted?: boolean;
}

export interface HandlerOptions {
  serverName: string;
  version: string;
  bodyLimitBytes: number;
  maxBatchSize: number;
  maxQueueDelayMs: number;
  accessLog?: (entry: AccessLogEntry) => void;
  /** Platform container contracts served beside OIP and TF Serving (their routes are matched first). */
  adapters?: readonly PlatformAdapter[];
  logger: Logger;
}

/** Extensions listed by GET /v2. */
export const EXTENSIONS = ['binary_tensor_data', 'mlw_model_stats'];

type Route =
  | { kind: 'server' | 'live' | 'ready' | 'metrics'; methods: string[] }
  | { kind: 'model' | 'modelReady' | 'infer' | 'stats'; methods: string[]; model: string; version?: string }
  | TfRoute;

interface RequestContext {
  start: number;
  model?: string;
  /** Set on the inference route: only inference is model traffic in the request metrics. */
  inference?: boolean;
  protocol?: string;
  /** The prediction was counted as a request of its model (once). */
  counted?: boolean;
  bytesIn: number;
  id?: string;
  batch?: number;
  queueMs?: number;
  inferMs?: number;
  error?: string;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`bad URL encoding in "${segment}"`);
  }
}

export function route(pathname: string): Route | undefined {
  const parts = pathname.split('/');
  if (parts[0] !== '') return undefined;
  if (parts.length > 2 && parts[parts.length - 1] === '') parts.pop(); // one trailing slash
  const [, root, a, b, ...rest] = parts;
  if (root === 'metrics' && parts.length === 2) return { kind: 'metrics', methods: ['GET'] };
  if (root !== 'v2') return undefined;
  if (parts.length === 2) return { kind: 'server', methods: ['GET'] };
  if (a === 'health' && parts.length === 4 && (b === 'live' || b === 'ready')) return { kind: b, methods: ['GET'] };
  if (a !== 'models' || b === undefined || b === '') return undefined;
  const model = decode(b);
  let tail = rest;
  let version: string | undefined;
  if (tail[0] === 'versions') {
    if (tail.length < 2 || tail[1] === '') return undefined;
    version = decode(tail[1]);
    tail = tail.slice(2);
  }
  if (tail.length === 0) return { kind: 'model', methods: ['GET'], model, version };
  if (tail.length !== 1) return undefined;
  if (tail[0] === 'ready') return { kind: 'modelReady', methods: ['GET'], model, version };
  if (tail[0] === 'infer') return { kind: 'infer', methods: ['POST'], model, version };
  if (tail[0] === 'stats') return { kind: 'stats', methods: ['GET'], model, version };
  return undefined;
}

function checkMethod(req: IncomingMessage, url: string, methods: string[]): void {
  if (!methods.includes(req.method ?? ''))
    throw new HttpError(405, `${req.method} is not allowed on ${url}; use ${methods.join(', ')}`, { Allow: methods.join(', ') });
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw badRequest(`invalid JSON: ${(e as Error).message}`);
  }
}

export class InferenceServer {
  readonly models = new Map<string, ServedModel>();
  readonly metrics: ServerMetrics;
  draining = false;
  /** Request capture (mlw serve --capture), set by startServer; undefined when off. */
  capture: ServerCapture | undefined;
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly sent = new WeakMap<ServerResponse, number>();
  /** Answered requests whose inputs wait for the drift monitor. */
  private readonly toObserve: { model: ServedModel; inputs: InferRequest['inputs'] }[] = [];

  constructor(private readonly options: HandlerOptions) {
    this.metrics = new ServerMetrics(() => this.models.values());
  }

  get inflightRequests(): number {
    return this.inflight;
  }

  get ready(): boolean {
    if (this.draining || this.models.size === 0) return false;
    for (const m of this.models.values()) if (m.state !== 'ready') return false;
    return true;
  }

  /** Resolves when no request is being processed. */
  whenIdle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const ctx: RequestContext = { start: performance.now(), bytesIn: 0 };
    this.inflight++;
    this.metrics.inflight.inc();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.inflight--;
      this.metrics.inflight.dec();
      this.record(req, res, ctx);
      if (this.inflight === 0 && this.idleWaiters.length) for (const w of this.idleWaiters.splice(0)) w();
    };
    res.once('close', finish);
    this.dispatch(req, res, ctx).catch((e: unknown) => this.fail(req, res, ctx, e));
  };

  private async dispatch(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    for (const adapter of this.options.adapters ?? []) {
      const a = adapter.route(pathname);
      if (!a) continue;
      ctx.protocol = adapter.protocol;
      checkMethod(req, url, a.methods);
      return a.handle(this.call(req, res, ctx));
    }
    const r = route(pathname) ?? tfRoute(pathname);
    if (!r) throw new HttpError(404, `no route for ${req.method} ${url}`);
    if (r.kind !== 'metrics') ctx.protocol = r.kind.startsWith('tf') ? 'tfserving' : 'v2';
    checkMethod(req, url, r.methods);
    switch (r.kind) {
      case 'server':
        return this.json(res, 200, { name: this.options.serverName, version: this.options.version, extensions: EXTENSIONS });
      case 'live':
        return this.json(res, 200, { live: true });
      case 'ready':
        return this.json(res, this.ready ? 200 : 503, { ready: this.ready });
      case 'metrics':
        return this.send(res, 200, this.metrics.registry.render(), PROMETHEUS_CONTENT_TYPE);
    }
    const model = this.models.get(r.model);
    if (!model) throw new HttpError(404, `unknown model '${r.model}'`);
    ctx.model = model.name;
    if ('label' in r && r.label !== undefined) throw new HttpError(404, `model '${model.name}' has no version label '${r.label}'`);
    if (r.version !== undefined && r.version !== MODEL_VERSION)
      throw new HttpError(404, `model '${model.name}' has no version '${r.version}' (versions: ${MODEL_VERSION})`);
    switch (r.kind) {
      case 'modelReady': {
        const ready = model.state === 'ready' && !this.draining;
        return this.json(res, ready ? 200 : 503, { name: model.name, ready });
      }
      case 'model':
        if (model.state !== 'ready')
          throw new HttpError(503, `model '${model.name}' is not ready (${model.state}${model.error ? `: ${model.error}` : ''})`);
        return this.json(res, 200, model.metadata());
      case 'stats':
        return this.json(res, 200, this.stats(model));
      case 'infer':
        return this.infer(req, res, ctx, model);
      case 'tfStatus':
        return this.json(res, 200, tfStatus(model.version, model.state, model.error));
      case 'tfMetadata':
        if (model.state !== 'ready')
          throw new HttpError(503, `model '${model.name}' is not ready (${model.state}${model.error ? `: ${model.error}` : ''})`);
        return this.json(res, 200, tfMetadata(model.signature, model.version));
      case 'tfPredict': {
        this.startPrediction(model, ctx);
        const body = await readBody(req, this.options.bodyLimitBytes);
        ctx.bytesIn = body.length;
        const { request, format } = parseTfPredict(model.signature, parseJson(body));
        const outputs = await this.predict(model, request, ctx);
        return this.send(res, 200, encodeTfPredict(format, outputs), 'application/json');
      }
    }
  }

  private async infer(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, model: ServedModel): Promise<void> {
    this.startPrediction(model, ctx);
    const body = await readBody(req, this.options.bodyLimitBytes);
    ctx.bytesIn = body.length;
    const { json, binary } = splitBody(body, req.headers[HEADER_LENGTH]);
    const request = parseInferRequest(model.signature, parseJson(json), binary);
    const tensors = await this.predict(model, request, ctx);
    const outputs = request.outputs.map((o, i) => ({ name: o.name, binary: o.binary, tensor: tensors[i].tensor }));
    const encoded = encodeInferResponse(model.name, model.version, request.id, outputs);
    const headers: Record<string, string> = {};
    if (encoded.headerLength !== undefined) headers['Inference-Header-Content-Length'] = String(encoded.headerLength);
    this.send(res, 200, encoded.body, encoded.contentType, headers);
  }

  /** Marks the request as inference traffic of the model and counts it once; 503 while draining or loading. */
  private startPrediction(model: ServedModel, ctx: RequestContext): void {
    ctx.model = model.name;
    ctx.inference = true;
    if (this.draining) throw new HttpError(503, 'the server is shutting down');
    if (model.state !== 'ready') throw new HttpError(503, `model '${model.name}' is not ready (${model.state})`);
    if (ctx.counted) return;
    ctx.counted = true;
    model.counts.requests++;
  }

  /**
   * The one prediction path of every protocol: queue (batching), timings and metrics; the drift statistics are
   * observed in a later turn, after the caller has sent its answer, so they never add to the latency.
   */
  private async predict(model: ServedModel, request: InferRequest, ctx: RequestContext): Promise<{ name: string; tensor: HostTensor }[]> {
    this.startPrediction(model, ctx);
    ctx.id = request.id;
    const result = await model.infer(request);
    ctx.batch = result.batchSize;
    ctx.queueMs = result.queueMs;
    ctx.inferMs = result.inferenceMs;
    model.counts.success++;
    model.counts.queueMs += result.queueMs;
    this.metrics.queueDuration.observe([model.name], result.queueMs / 1000);
    this.observeLater(model, request.inputs);
    const outputs = request.outputs.map((o) => ({ name: o.name, tensor: result.outputs.get(o.name)! }));
    const inputs = () => request.inputs.map((tensor, i) => ({ name: model.signature.inputs[i]?.name ?? `input${i}`, tensor }));
    this.capture?.offer(model.name, ctx.protocol ?? 'v2', request.id, inputs, outputs);
    return outputs;
  }

  /** What a platform adapter may do with one request. */
  private call(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): AdapterCall {
    return {
      req,
      res,
      ready: this.ready,
      model: (name) => {
        const m = name === undefined ? this.models.values().next().value : this.models.get(name);
        if (!m) throw new HttpError(404, name === undefined ? 'no model is served' : `unknown model '${name}'`);
        ctx.model = m.name;
        return m;
      },
      readBody: async (limit) => {
        const body = await readBody(req, limit ?? this.options.bodyLimitBytes);
        ctx.bytesIn = body.length;
        return body;
      },
      predict: (model, request) => this.predict(model, request, ctx),
      send: (status, body, contentType, headers) => this.send(res, status, body, contentType, headers),
      json: (status, body) => this.json(res, status, body),
    };
  }

  /** Queues a request's inputs for the drift monitor; one setImmediate handles every request answered in this turn. */
  private observeLater(model: ServedModel, inputs: InferRequest['inputs']): void {
    if (!model.drift) return;
    this.toObserve.push({ model, inputs });
    if (this.toObserve.length > 1) return;
    setImmediate(() => {
      for (const p of this.toObserve.splice(0)) {
        try {
          p.model.drift?.observe(p.inputs);
        } catch (e) {
          this.options.logger.warn(`drift statistics of model '${p.model.name}': ${(e as Error).message}`);
        }
      }
    });
  }

  /** The GET /v2/models/{name}/stats answer (also the drift state file, see driftStateWriter.ts). */
  stats(model: ServedModel): object {
    const c = model.counts;
    return {
      model_name: model.name,
      model_version: model.version,
      state: model.state,
      batching: {
        enabled: model.batcher?.isBatching ?? false,
        max_batch_size: this.options.maxBatchSize,
        max_queue_delay_ms: this.options.maxQueueDelayMs,
      },
      inference_stats: {
        requests: c.requests,
        success: c.success,
        failure: c.failure,
        runs: c.runs,
        rows: c.rows,
        queue_ms_total: c.queueMs,
        inference_ms_total: c.inferenceMs,
      },
      drift: { reference: model.drift?.hasReference ?? false, inputs: model.drift?.stats() ?? [] },
      capture: this.capture?.status(model.name) ?? { enabled: false },
    };
  }

  private fail(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, e: unknown): void {
    const err = e instanceof HttpError ? e : new HttpError(500, `internal error: ${e instanceof Error ? e.message : String(e)}`);
    if (!(e instanceof HttpError)) this.options.logger.error(e instanceof Error ? e : new Error(String(e)));
    ctx.error = err.message;
    if (ctx.model && ctx.counted) {
      const m = this.models.get(ctx.model);
      if (m && err.status !== 503) m.counts.failure++;
    }
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    const headers = { ...err.headers };
    if (err.status === 413) {
      // Stop reading the body: answer, close the connection, and drop it if the client keeps sending.
      headers.Connection = 'close';
      res.once('finish', () => setTimeout(() => req.socket.destroy(), 1000).unref());
    }
    this.json(res, err.status, { error: err.message }, headers);
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.send(res, status, JSON.stringify(body), 'application/json', headers);
  }

  /**
   * Writes a whole response. Strings are preferred: node:http sends headers and a string body in one write, while a
   * Buffer body goes out as a writev of two chunks, which measured 2-3x slower per request on loopback here.
   */
  private send(
    res: ServerResponse,
    status: number,
    body: string | Buffer,
    contentType: string,
    headers: Record<string, string> = {},
  ): void {
    if (res.destroyed) return;
    const length = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
    const h: Record<string, string | number> = { 'Content-Type': contentType, 'Content-Length': length, ...headers };
    if (this.draining) h.Connection = 'close';
    res.writeHead(status, h);
    res.end(body);
    this.sent.set(res, length);
  }

  private record(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): void {
    const ms = performance.now() - ctx.start;
    const aborted = !res.writableFinished;
    const status = aborted && !res.headersSent ? 499 : res.statusCode;
    // Health, metadata and /stats polls (the monitor's own) are not model traffic: they count under model "".
    const model = ctx.inference ? (ctx.model ?? '') : '';
    this.metrics.requests.inc([model, String(status)]);
    this.metrics.requestDuration.observe([model], ms / 1000);
    if (ctx.protocol) this.metrics.protocolRequests.inc([model, ctx.protocol, String(status)]);
    const log = this.options.accessLog;
    if (!log) return;
    const bytesOut = this.sent.get(res) ?? 0;
    const q = req.url?.indexOf('?') ?? -1;
    const entry: AccessLogEntry = {
      time: new Date().toISOString(),
      method: req.method ?? '',
      path: q < 0 ? (req.url ?? '') : req.url!.slice(0, q),
      status,
      ms: Math.round(ms * 1000) / 1000,
      bytesIn: ctx.bytesIn,
      bytesOut: aborted ? 0 : bytesOut,
    };
    if (ctx.model) entry.model = ctx.model;
    if (ctx.protocol) entry.protocol = ctx.protocol;
    if (ctx.id !== undefined) entry.id = ctx.id;
    if (ctx.batch !== undefined) {
      entry.batch = ctx.batch;
      entry.queueMs = Math.round(ctx.queueMs! * 1000) / 1000;
      entry.inferMs = Math.round(ctx.inferMs! * 1000) / 1000;
    }
    if (ctx.error) entry.error = ctx.error;
    if (aborted) entry.aborted = true;
    try {
      log(entry);
    } catch (e) {
      this.options.logger.warn(`access log failed: ${(e as Error).message}`);
    }
  }
}
