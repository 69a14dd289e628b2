/**
 * GET /_ping and /version on an engine endpoint with a short timeout. Unix sockets and tcp/https go through node:http(s)
 * (no dockerode load); ssh endpoints go through dockerode, which tunnels over ssh2.
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import type Docker from 'dockerode';
import type { EngineEndpoint } from './engineEndpoint';

/** TLS material of an https endpoint; throws a readable error when a file is missing. */
export function tlsFiles(endpoint: EngineEndpoint): { ca: Buffer; cert: Buffer; key: Buffer } | undefined {
  if (endpoint.protocol !== 'https' || !endpoint.tlsDir) return undefined;
  const read = (name: string) => {
    try {
      return readFileSync(path.join(endpoint.tlsDir!, name));
    } catch {
      throw new Error(`TLS file ${path.join(endpoint.tlsDir!, name)} is missing (set DOCKER_CERT_PATH)`);
    }
  };
  return { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
}

/** Options for `new Docker(...)`. Every connection key is set so dockerode never mixes in DOCKER_HOST from the environment. */
export function dockerodeOptions(endpoint: EngineEndpoint, timeoutMs?: number): Record<string, unknown> {
  const base: Record<string, unknown> = {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    protocol: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
    timeout: timeoutMs,
  };
  if (endpoint.socketPath) return { ...base, socketPath: endpoint.socketPath };
  if (endpoint.protocol === 'ssh') {
    return {
      ...base,
      host: endpoint.host,
      port: endpoint.port,
      protocol: 'ssh',
      username: endpoint.username,
      sshOptions: { agent: process.env.SSH_AUTH_SOCK },
    };
  }
  return { ...base, host: endpoint.host, port: endpoint.port, protocol: endpoint.protocol ?? 'http', ...(tlsFiles(endpoint) ?? {}) };
}

/** GET `urlPath` over node:http(s); resolves with the body of a 200 answer. */
function httpGet(endpoint: EngineEndpoint, urlPath: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const tls = tlsFiles(endpoint);
    const opts: https.RequestOptions = endpoint.socketPath
      ? { socketPath: endpoint.socketPath, path: urlPath, method: 'GET' }
      : { host: endpoint.host, port: endpoint.port, path: urlPath, method: 'GET', ...(tls ?? {}) };
    const req = (tls ? https : http).request({ ...opts, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`answered HTTP ${res.statusCode} to ${urlPath}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code ? `${e.code}: ${e.message}` : e.message)));
    req.end();
  });
}

/** ssh endpoints: one dockerode call, raced against the timeout (dockerode tunnels over ssh2). */
async function viaDockerode<T>(endpoint: EngineEndpoint, timeoutMs: number, call: (docker: Docker) => Promise<T>): Promise<T> {
  const { default: DockerCtor } = await import('dockerode');
  const docker = new DockerCtor(dockerodeOptions(endpoint, timeoutMs) as Docker.DockerOptions);
  return Promise.race([
    call(docker),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
  ]);
}

export async function pingEndpoint(endpoint: EngineEndpoint, timeoutMs = 1500): Promise<void> {
  if (endpoint.protocol !== 'ssh') await httpGet(endpoint, '/_ping', timeoutMs);
  else await viaDockerode(endpoint, timeoutMs, (docker) => docker.ping());
}

/** What GET /version says about an engine (the fields ML Workbench shows). */
export interface EngineVersion {
  Version?: string;
  ApiVersion?: string;
  Os?: string;
  Arch?: string;
}

/** GET /version, without loading dockerode except for ssh endpoints. */
export async function engineVersion(endpoint: EngineEndpoint, timeoutMs = 3000): Promise<EngineVersion> {
  if (endpoint.protocol === 'ssh') return viaDockerode(endpoint, timeoutMs, (docker) => docker.version() as Promise<EngineVersion>);
  return JSON.parse(await httpGet(endpoint, '/version', timeoutMs)) as EngineVersion;
}
