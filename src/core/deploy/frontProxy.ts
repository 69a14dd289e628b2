/**
 * The front proxy of a container deployment that follows a registry alias (`mlw deploy local clf@champion`).
 * Two containers cannot publish one host port, so the stable endpoint is this small HTTP proxy on 127.0.0.1:PORT,
 * owned by the deployment; each container publishes a port of its own and the proxy forwards to the current one.
 * A blue/green roll starts the new container, waits until it is ready, switches the proxy (PUT /_mlw/front: the proxy
 * opens a kept-alive connection to the new upstream first, and refuses one it cannot reach), waits until the
 * requests in flight to the old one have finished, then stops it.
 *
 * The control route /_mlw/front (GET: upstream and in-flight counts; PUT {"upstream":URL}: switch) wants the
 * deployment's token (Authorization: Bearer); every other path is forwarded as it is.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger';

export const CONTROL_PATH = '/_mlw/front';

export interface FrontStatus {
  upstream: string;
  /** Requests being forwarded, by upstream. */
  inflight: Record<string, number>;
  forwarded: number;
  failed: number;
}

export interface FrontProxy {
  url: string;
  port: number;
  status(): FrontStatus;
  setUpstream(url: string): void;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function readAll(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > limit) {
        reject(new Error(`request body over ${limit} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startFrontProxy(opts: {
  port: number;
  upstream: string;
  token: string;
  host?: string;
  bodyLimitBytes?: number;
  logger: Logger;
}): Promise<FrontProxy> {
  let upstream = opts.upstream;
  const agents = new Map<string, http.Agent>();
  const inflight = new Map<string, number>();
  let forwarded = 0;
  let failed = 0;
  const agentOf = (u: string) => {
    let a = agents.get(u);
    if (!a) agents.set(u, (a = new http.Agent({ keepAlive: true, maxSockets: 256 })));
    return a;
  };
  const status = (): FrontStatus => ({ upstream, inflight: Object.fromEntries(inflight), forwarded, failed });
  const dropIdle = () => {
    for (const [u, a] of agents) {
      if (u === upstream || inflight.get(u)) continue;
      a.destroy();
      agents.delete(u);
      inflight.delete(u);
    }
  };

  /**
   * Opens a kept-alive connection to `u` (one probe request), so the first requests forwarded after a switch do not
   * wait for a connect to the new upstream; refuses an upstream that does not answer.
   */
  const preconnect = (u: string) =>
    new Promise<void>((resolve, reject) => {
      const probe = http.request(`${u}/v2/health/live`, { agent: agentOf(u), timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => resolve());
        res.on('error', reject);
      });
      probe.on('timeout', () => probe.destroy(new Error('no answer within 5 s')));
      probe.on('error', reject);
      probe.end();
    });

  const control = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${opts.token}`) return send(401, { error: 'the front proxy control wants its token' });
    if (req.method === 'GET') return send(200, status());
    if (req.method !== 'PUT') return send(405, { error: 'use GET or PUT' });
    let next: unknown;
    try {
      next = (JSON.parse((await readAll(req, 65536)).toString('utf8')) as { upstream?: unknown }).upstream;
    } catch (e) {
      return send(400, { error: `invalid JSON: ${(e as Error).message}` });
    }
    if (typeof next !== 'string' || !/^http:\/\/[^/]+$/.test(next)) return send(400, { error: 'upstream must be http://HOST:PORT' });
    try {
      await preconnect(next);
    } catch (e) {
      return send(502, { error: `the front proxy cannot reach ${next}: ${(e as Error).message}` });
    }
    const previous = upstream;
    upstream = next;
    opts.logger.info(`front proxy: upstream ${previous} -> ${next}`);
    dropIdle();
    send(200, { upstream, previous });
  };

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, retry: boolean) => {
    const target = upstream;
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
    headers['content-length'] = String(body.length);
    inflight.set(target, (inflight.get(target) ?? 0) + 1);
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      inflight.set(target, (inflight.get(target) ?? 1) - 1);
      if (target !== upstream) dropIdle();
    };
    res.once('close', settle);
    const up = http.request(`${target}${req.url ?? '/'}`, { method: req.method, headers, agent: agentOf(target) }, (ur) => {
      const h: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(ur.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) h[k] = v;
      res.writeHead(ur.statusCode ?? 502, h);
      ur.pipe(res);
      ur.on('end', settle);
      ur.on('error', () => (settle(), res.destroy()));
    });
    up.on('error', (e) => {
      settle();
      // A kept-alive socket the upstream had just closed: nothing reached it, so send once more on a new one.
      if (retry && up.reusedSocket && !res.headersSent) return forward(req, res, body, false);
      failed++;
      if (res.headersSent) return res.destroy();
      res.writeHead(502, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: `the front proxy could not reach ${target}: ${e.message}` }));
    });
    up.end(body);
  };

  const server = http.createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    const url = req.url ?? '/';
    if (url === CONTROL_PATH || url.startsWith(`${CONTROL_PATH}?`)) {
      control(req, res).catch((e: unknown) => {
        res.writeHead(500);
        res.end(String(e));
      });
      return;
    }
    forwarded++;
    readAll(req, opts.bodyLimitBytes ?? 64 * 2 ** 20).then(
      (body) => forward(req, res, body, true),
      (e: Error) => {
        failed++;
        if (!res.headersSent) {
          res.writeHead(413, { 'Content-Type': 'application/json', Connection: 'close' });
          res.end(JSON.stringify({ error: e.message }));
        }
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.address}:${address.port}`;
  opts.logger.info(`front proxy on ${url} -> ${upstream}`);
  return {
    url,
    port: address.port,
    status,
    setUpstream: (u) => {
      upstream = u;
      dropIdle();
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + 10_000;
      while (Object.values(status().inflight).some((n) => n > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      server.closeAllConnections();
      await closed;
      for (const a of agents.values()) a.destroy();
    },
  };
}
