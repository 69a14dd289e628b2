import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger';
import { PathEscapeError } from '../runs/safePath';
import { downloadArtifact, listArtifacts, listRunArtifacts, uploadArtifact } from './artifactHandlers';
import { experimentHandlers } from './experimentHandlers';
import { logHandlers } from './logHandlers';
import { MlflowError, invalidParameter } from './mlflowErrors';
import type { MlflowInput } from './mlflowInput';
import { MAX_BATCH_LOG_REQUEST_SIZE } from './mlflowLimits';
import type { MlflowSession } from './MlflowSession';
import { registryHandlers, type HttpMethod } from './registryHandlers';
import { RegistryError } from '../registry/RegistryStore';
import { runHandlers } from './runHandlers';

type Handler = (s: MlflowSession, input: MlflowInput) => Promise<object>;

const HANDLERS: Record<string, Handler> = {
  ...experimentHandlers,
  ...runHandlers,
  ...logHandlers,
  'artifacts/list': listRunArtifacts,
};

/** MLflow's client reads these with GET and query parameters; everything else is a POST with a JSON body. */
const GET_ENDPOINTS = new Set(['experiments/get-by-name', 'experiments/get', 'runs/get', 'metrics/get-history', 'artifacts/list']);

const API = /^\/api\/2\.0\/(?:preview\/)?mlflow\/(.+)$/;
const ARTIFACTS = '/api/2.0/mlflow-artifacts/artifacts';
const MAX_JSON_BODY = 16 * 1024 * 1024;

function send(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

const sameBytes = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** `Bearer <token>`, or basic auth with the token as the password (any user name). */
function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  if (/^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 && sameBytes(decoded.slice(colon + 1), token);
  }
  return sameBytes(header, `Bearer ${token}`);
}

async function readJson(req: IncomingMessage, limit: number, batch: boolean): Promise<MlflowInput> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Read to the end even past the limit (and drop the excess): leaving early would reset the connection before the client reads the error.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  if (size > limit) {
    throw batch
      ? invalidParameter(`Batched logging API requests must be at most ${limit} bytes, got a request of size ${size}.`)
      : invalidParameter(`Request bodies must be at most ${limit} bytes, got a request of size ${size}.`);
  }
  if (!size) return {};
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    throw new MlflowError('BAD_REQUEST', `Malformed JSON body: ${(e as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new MlflowError('BAD_REQUEST', 'The request body must be a JSON object.');
  return body as MlflowInput;
}

function queryInput(url: URL): MlflowInput {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const old = out[k];
    out[k] = old === undefined ? v : Array.isArray(old) ? [...old, v] : [old, v];
  }
  return out;
}

async function route(s: MlflowSession, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const method = req.method ?? 'GET';
  // The path as sent: URL parsing would resolve `..` and turn `\` into `/`, silently renaming an artifact.
  const pathname = (req.url ?? '/').split('?')[0];
  if (pathname === ARTIFACTS && method === 'GET') return send(res, 200, await listArtifacts(s, queryInput(url)));
  if (pathname.startsWith(`${ARTIFACTS}/`)) {
    const p = decodeURIComponent(pathname.slice(ARTIFACTS.length + 1));
    if (method === 'PUT') return send(res, 200, await uploadArtifact(s, p, req));
    if (method === 'GET') return downloadArtifact(s, p, res);
  }
  const m = API.exec(pathname);
  const endpoint = m?.[1];
  if (endpoint !== undefined && Object.prototype.hasOwnProperty.call(registryHandlers, endpoint))
    return routeRegistry(s, req, res, url, endpoint);
  const handler = endpoint !== undefined && Object.prototype.hasOwnProperty.call(HANDLERS, endpoint) ? HANDLERS[endpoint] : undefined;
  const wanted = endpoint && GET_ENDPOINTS.has(endpoint) ? 'GET' : 'POST';
  if (!handler || method !== wanted) {
    throw new MlflowError(
      'ENDPOINT_NOT_FOUND',
      handler
        ? `${pathname} takes ${wanted}, not ${method}`
        : `No MLflow endpoint ${method} ${pathname} here (ML Workbench serves the tracking API that logging clients use)`,
    );
  }
  const input =
    method === 'GET'
      ? queryInput(url)
      : await readJson(req, endpoint === 'runs/log-batch' ? MAX_BATCH_LOG_REQUEST_SIZE : MAX_JSON_BODY, endpoint === 'runs/log-batch');
  send(res, 200, await handler(s, input));
}

/** The user a request names: basic auth's user name (MLflow's server records it as user_id), else `mlflow`. */
function requestUser(req: IncomingMessage): string {
  const header = req.headers.authorization ?? '';
  if (!/^basic /i.test(header)) return 'mlflow';
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return (colon > 0 ? decoded.slice(0, colon) : '') || 'mlflow';
}

/** A Model Registry endpoint: by method (registered-models/alias takes GET, POST and DELETE); DELETE reads a body or the query. */
async function routeRegistry(s: MlflowSession, req: IncomingMessage, res: ServerResponse, url: URL, endpoint: string): Promise<void> {
  const methods = registryHandlers[endpoint];
  const method = (req.method ?? 'GET') as HttpMethod;
  const handler = Object.prototype.hasOwnProperty.call(methods, method) ? methods[method] : undefined;
  if (!handler)
    throw new MlflowError('ENDPOINT_NOT_FOUND', `/api/2.0/mlflow/${endpoint} takes ${Object.keys(methods).join(' or ')}, not ${method}`);
  const input = method === 'GET' ? queryInput(url) : { ...queryInput(url), ...(await readJson(req, MAX_JSON_BODY, false)) };
  send(res, 200, await handler(s, input, requestUser(req)));
}

/** Answers one request: the token first, then the endpoint; every failure as MLflow's error body. */
export async function handleMlflowRequest(
  s: MlflowSession,
  token: string,
  req: IncomingMessage,
  res: ServerResponse,
  logger: Logger,
): Promise<void> {
  try {
    if (!authorized(req, token)) {
      throw new MlflowError(
        'UNAUTHENTICATED',
        'This ML Workbench MLflow endpoint needs its token: set MLFLOW_TRACKING_TOKEN (Authorization: Bearer), or send it as the basic-auth password.',
      );
    }
    await route(s, req, res, new URL(req.url ?? '/', 'http://127.0.0.1'));
  } catch (e) {
    const err =
      e instanceof MlflowError
        ? e
        : e instanceof PathEscapeError || e instanceof URIError
          ? invalidParameter(`Invalid path: ${(e as Error).message}`)
          : e instanceof RegistryError
            ? invalidParameter(e.message)
            : new MlflowError('INTERNAL_ERROR', (e as Error).message);
    if (err.code === 'INTERNAL_ERROR') logger.error(`MLflow endpoint: ${req.method} ${req.url}: ${(e as Error).stack ?? e}`);
    req.resume(); // a refused upload's body is read and dropped, so the client gets the answer
    if (res.headersSent) res.destroy();
    else send(res, err.status, err.body());
  }
}
