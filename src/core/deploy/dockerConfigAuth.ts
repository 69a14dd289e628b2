/**
 * The credentials `docker login` left for a registry, found as the Docker CLI finds them in its config file
 * (~/.docker/config.json or $DOCKER_CONFIG/config.json): through the credential helper named for the registry
 * (credHelpers) or for all (credsStore), else inline in `auths` (base64 "user:password", or an identity token).
 */
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RegistryAuth } from '../docker/dockerEngine';
import { CredentialHelperError, credentialsFromHelper } from './credentialHelper';

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

export interface ConfigOptions {
  homeDir?: string;
  env?: NodeJS.ProcessEnv;
}

function readConfig(opts: ConfigOptions = {}): DockerConfig | undefined {
  const env = opts.env ?? process.env;
  const dir = env.DOCKER_CONFIG || path.join(opts.homeDir ?? os.homedir(), '.docker');
  try {
    return JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as DockerConfig;
  } catch {
    return undefined;
  }
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** "https://index.docker.io/v1/" -> "docker.io"; "http://127.0.0.1:5000/" -> "127.0.0.1:5000". */
export function normalizeRegistry(key: string): string {
  const host = key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return DOCKER_HUB.has(host) ? 'docker.io' : host;
}

/** The credentials stored inline in the config file for a registry (host[:port], "docker.io" for Docker Hub). */
export function readDockerConfigAuth(registry: string, opts: ConfigOptions = {}): RegistryAuth | undefined {
  const config = readConfig(opts);
  const want = normalizeRegistry(registry);
  for (const [key, entry] of Object.entries(config?.auths ?? {})) {
    if (normalizeRegistry(key) !== want || !entry) continue;
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: key };
    }
    if (entry.username && entry.password) return { username: entry.username, password: entry.password, serveraddress: key };
    if (entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress: key };
  }
  return undefined;
}

/** The credential helper the config file names for a registry: its credHelpers entry, else credsStore. */
export function credentialHelperFor(registry: string, opts: ConfigOptions = {}): string | undefined {
  const config = readConfig(opts);
  const want = normalizeRegistry(registry);
  for (const [key, helper] of Object.entries(config?.credHelpers ?? {})) if (normalizeRegistry(key) === want) return helper;
  return config?.credsStore || undefined;
}

/** What `docker login` left for a registry, and where it came from (for the log). */
export interface DockerLogin {
  auth?: RegistryAuth;
  /** e.g. "docker-credential-pass", "Docker config"; undefined when nothing was found. */
  source?: string;
  /** Why a configured credential helper gave nothing usable (missing, failed, timed out). */
  problem?: string;
}

/** The server URLs a helper may keep a registry under: Docker Hub's legacy URL, else the host, then with https://. */
function helperServerUrls(registry: string): string[] {
  const host = normalizeRegistry(registry);
  return host === 'docker.io' ? ['https://index.docker.io/v1/'] : [host, `https://${host}`];
}

/**
 * The registry's credentials the way the Docker CLI finds them: the credential helper configured for it
 * (credHelpers, else credsStore) first, then the config file's inline `auths`. A helper that fails is reported
 * in `problem`, and the inline entry is still tried.
 */
export async function dockerLoginAuth(registry: string, opts: ConfigOptions & { timeoutMs?: number } = {}): Promise<DockerLogin> {
  const helper = credentialHelperFor(registry, opts);
  let problem: string | undefined;
  if (helper) {
    try {
      for (const url of helperServerUrls(registry)) {
        const auth = await credentialsFromHelper(helper, url, { env: opts.env, timeoutMs: opts.timeoutMs });
        if (auth) return { auth, source: `docker-credential-${helper}` };
      }
    } catch (e) {
      if (!(e instanceof CredentialHelperError)) throw e;
      problem = `The Docker credential helper for ${registry} gave nothing: ${e.message}`;
    }
  }
  const inline = readDockerConfigAuth(registry, opts);
  return inline ? { auth: inline, source: 'Docker config', problem } : { problem };
}
