import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../logger';
import { handleMlflowRequest } from './mlflowRouter';
import { MlflowSession, type SessionOptions } from './MlflowSession';

export interface MlflowEndpoint {
  /** `http://127.0.0.1:<port>`: what MLFLOW_TRACKING_URI holds. */
  readonly url: string;
  readonly token: string;
  readonly session: MlflowSession;
  /** MLFLOW_TRACKING_URI and MLFLOW_TRACKING_TOKEN; with a launched run also MLFLOW_RUN_ID, _EXPERIMENT_NAME, _EXPERIMENT_ID. */
  readonly env: Record<string, string>;
  /** Stops taking requests and resolves once those in flight have been answered (at most `graceMs`, default 10 s). */
  close(graceMs?: number): Promise<void>;
}

export interface EndpointOptions extends SessionOptions {
  /** Default: 32 random bytes, hex. */
  token?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** The address to listen on. Default 127.0.0.1 (this machine only); `mlw mlflow-server --host` may widen it. */
  host?: string;
}

/** The URL clients use for a listening address: a wildcard address is reached through the loopback one. */
function urlOf(host: string, port: number): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}`;
}

/**
 * Serves MLflow's tracking REST API (the part logging clients use, and the reads a client of a
 * tracking server makes) over the run store, on 127.0.0.1 unless `host` says otherwise, to clients
 * that send the token as `Authorization: Bearer <token>` (what MLflow's client does with
 * MLFLOW_TRACKING_TOKEN) or as the password of basic auth (MLFLOW_TRACKING_USERNAME/PASSWORD).
 */
export async function startMlflowEndpoint(options: EndpointOptions): Promise<MlflowEndpoint> {
  const logger = options.logger ?? silentLogger;
  const session = new MlflowSession(options);
  const token = options.token ?? randomBytes(32).toString('hex');
  const host = options.host ?? '127.0.0.1';
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const server: Server = createServer((req, res) => {
    inFlight++;
    res.once('close', () => {
      if (--inFlight === 0) drained?.();
    });
    void handleMlflowRequest(session, token, req, res, logger);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref(); // never what keeps the launcher alive
  const url = urlOf(host, (server.address() as AddressInfo).port);
  const env: Record<string, string> = { MLFLOW_TRACKING_URI: url, MLFLOW_TRACKING_TOKEN: token };
  const launched = session.launched;
  if (launched) {
    env.MLFLOW_RUN_ID = launched.id;
    env.MLFLOW_EXPERIMENT_NAME = launched.run.experiment;
    env.MLFLOW_EXPERIMENT_ID = launched.experimentId;
  }
  let closing: Promise<void> | undefined;
  const close = (graceMs = 10_000): Promise<void> =>
    (closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => (drained = resolve)),
          new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref()),
        ]);
      }
      server.closeAllConnections();
      await closed;
    })());
  logger.debug(`MLflow endpoint on ${url}${launched ? ` for run ${launched.id}` : ''}`);
  return { url, token, session, env, close };
}
