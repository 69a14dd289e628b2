/**
 * Finds a Docker (or Podman) engine the way users expect, in this order:
 *   1. the mlWorkbench.docker.host setting, 2. DOCKER_HOST (unix://, tcp:// with DOCKER_TLS_VERIFY/DOCKER_CERT_PATH,
 *   ssh://user@host), 3. the current Docker context (DOCKER_CONTEXT or ~/.docker/config.json currentContext),
 *   4. the default sockets (/var/run/docker.sock, ~/.docker/run/docker.sock), 5. Podman sockets.
 * Each candidate is pinged with a short timeout; the first that answers wins. Otherwise EngineUnavailableError
 * lists everything that was tried and why it failed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EngineEndpoint } from './engineEndpoint';
import { pingEndpoint } from './pingEndpoint';

export type { EngineEndpoint };

export class EngineUnavailableError extends Error {
  constructor(readonly tried: string[]) {
    super(
      `No Docker engine answered. Tried: ${tried.length ? tried.join('; ') : 'nothing'}. ` +
        'Start Docker (or Podman), or point the mlWorkbench.docker.host setting or DOCKER_HOST at a running engine.',
    );
    this.name = 'EngineUnavailableError';
  }
}

export interface FindEngineOptions {
  /** The mlWorkbench.docker.host setting; empty means unset. */
  dockerHost?: string;
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
  /** Per candidate (default 1500 ms). */
  timeoutMs?: number;
  /** System sockets, overridable for tests. Defaults: /var/run/docker.sock and /run/podman/podman.sock. */
  systemDockerSocket?: string;
  systemPodmanSocket?: string;
}

/** Parses an engine address (unix://, tcp://, http(s)://, ssh://, or a bare host:port) into an endpoint. */
export function parseDockerHost(address: string, source: string, env: NodeJS.ProcessEnv = {}, homeDir = os.homedir()): EngineEndpoint {
  const value = address.trim();
  if (value.startsWith('unix://') || value.startsWith('/')) {
    const socketPath = value.startsWith('/') ? value : value.slice('unix://'.length);
    if (!socketPath) throw new Error(`"${address}" names no socket path`);
    return { socketPath, source, description: `unix://${socketPath}` };
  }
  const withScheme = value.includes('://') ? value : `tcp://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new Error(`"${address}" is not an engine address: use unix:///path/docker.sock, tcp://host:2375 or ssh://user@host`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new Error(`"${address}" names no host`);
  switch (url.protocol) {
    case 'ssh:': {
      const port = url.port ? Number(url.port) : 22;
      return {
        host,
        port,
        protocol: 'ssh',
        username: decodeURIComponent(url.username) || undefined,
        source,
        description: `ssh://${url.username ? `${url.username}@` : ''}${host}${url.port ? `:${url.port}` : ''}`,
      };
    }
    case 'tcp:':
    case 'http:':
    case 'https:': {
      const tls =
        url.protocol === 'https:' ||
        (env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0') ||
        url.port === '2376';
      const port = url.port ? Number(url.port) : tls ? 2376 : 2375;
      const endpoint: EngineEndpoint = {
        host,
        port,
        protocol: tls ? 'https' : 'http',
        source,
        description: `${tls ? 'https' : 'tcp'}://${host}:${port}`,
      };
      if (tls) endpoint.tlsDir = env.DOCKER_CERT_PATH || path.join(homeDir, '.docker');
      return endpoint;
    }
    default:
      throw new Error(`"${address}": unsupported scheme ${url.protocol} (use unix://, tcp:// or ssh://)`);
  }
}

/** The current Docker context's endpoint, or undefined for the default context / no context configured. */
export function contextEndpoint(env: NodeJS.ProcessEnv, homeDir: string): EngineEndpoint | { error: string } | undefined {
  const configDir = env.DOCKER_CONFIG || path.join(homeDir, '.docker');
  let name = env.DOCKER_CONTEXT;
  if (!name) {
    try {
      const config = JSON.parse(readFileSync(path.join(configDir, 'config.json'), 'utf8')) as { currentContext?: unknown };
      if (typeof config.currentContext === 'string') name = config.currentContext;
    } catch {
      return undefined; // no or unreadable config: no context
    }
  }
  if (!name || name === 'default') return undefined;
  const id = createHash('sha256').update(name).digest('hex');
  const metaFile = path.join(configDir, 'contexts', 'meta', id, 'meta.json');
  let meta: { Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } } };
  try {
    meta = JSON.parse(readFileSync(metaFile, 'utf8'));
  } catch {
    return { error: `context ${name} (its metadata ${metaFile} is missing or unreadable)` };
  }
  const host = meta.Endpoints?.docker?.Host;
  if (typeof host !== 'string' || !host) return { error: `context ${name} (no docker endpoint in ${metaFile})` };
  try {
    const endpoint = parseDockerHost(host, `context ${name}`, {}, homeDir);
    const tlsDir = path.join(configDir, 'contexts', 'tls', id, 'docker');
    if (endpoint.protocol === 'http' && existsSync(path.join(tlsDir, 'ca.pem'))) {
      endpoint.protocol = 'https';
      endpoint.description = endpoint.description.replace(/^tcp:/, 'https:');
    }
    if (endpoint.protocol === 'https') endpoint.tlsDir = tlsDir;
    return endpoint;
  } catch (e) {
    return { error: `context ${name} (${(e as Error).message})` };
  }
}

/** Every candidate in discovery order; entries that cannot be used carry the reason instead. */
export function engineCandidates(opts: FindEngineOptions = {}): (EngineEndpoint | { error: string })[] {
  const env = opts.env ?? process.env;
  const home = opts.homeDir ?? os.homedir();
  const out: (EngineEndpoint | { error: string })[] = [];
  const tryParse = (address: string, source: string) => {
    try {
      out.push(parseDockerHost(address, source, env, home));
    } catch (e) {
      out.push({ error: `${source} ${address} (${(e as Error).message})` });
    }
  };
  if (opts.dockerHost?.trim()) tryParse(opts.dockerHost, 'setting');
  if (env.DOCKER_HOST?.trim()) tryParse(env.DOCKER_HOST, 'DOCKER_HOST');
  const ctx = contextEndpoint(env, home);
  if (ctx) out.push(ctx);
  for (const socket of [opts.systemDockerSocket ?? '/var/run/docker.sock', path.join(home, '.docker', 'run', 'docker.sock')]) {
    out.push({ socketPath: socket, source: 'default socket', description: `unix://${socket}` });
  }
  const podman = [
    env.XDG_RUNTIME_DIR ? path.join(env.XDG_RUNTIME_DIR, 'podman', 'podman.sock') : undefined,
    opts.systemPodmanSocket ?? '/run/podman/podman.sock',
  ];
  for (const socket of podman) if (socket) out.push({ socketPath: socket, source: 'podman socket', description: `unix://${socket}` });
  return out;
}

/** Pings the candidates in order and returns the first engine that answers. */
export async function findEngine(opts: FindEngineOptions = {}): Promise<EngineEndpoint> {
  const tried: string[] = [];
  const seen = new Set<string>();
  for (const c of engineCandidates(opts)) {
    if ('error' in c) {
      tried.push(c.error);
      continue;
    }
    if (seen.has(c.description)) continue;
    seen.add(c.description);
    if (c.socketPath && !existsSync(c.socketPath)) {
      tried.push(`${c.description} [${c.source}] (no such socket)`);
      continue;
    }
    try {
      await pingEndpoint(c, opts.timeoutMs ?? 1500);
      return c;
    } catch (e) {
      tried.push(`${c.description} [${c.source}] (${(e as Error).message})`);
    }
  }
  throw new EngineUnavailableError(tried);
}
