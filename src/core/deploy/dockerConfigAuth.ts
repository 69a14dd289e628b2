/**
 * Registry credentials from the Docker config file (~/.docker/config.json or $DOCKER_CONFIG/config.json):
 * `auths[registry].auth` is base64 "user:password". Credential helpers (credsStore, credHelpers) are not run:
 * callers say so and ask for credentials instead.
 */
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RegistryAuth } from '../docker/dockerEngine';

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
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
  const host = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  return DOCKER_HUB.has(host) ? 'docker.io' : host;
}

/** The credentials stored for a registry (host[:port], "docker.io" for Docker Hub), if the config file has them inline. */
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
  }
  return undefined;
}

/** The credential helper the config file names for a registry (credHelpers, else credsStore), which we do not run. */
export function credentialHelperFor(registry: string, opts: ConfigOptions = {}): string | undefined {
  const config = readConfig(opts);
  const want = normalizeRegistry(registry);
  for (const [key, helper] of Object.entries(config?.credHelpers ?? {})) if (normalizeRegistry(key) === want) return helper;
  return config?.credsStore || undefined;
}

/** The message for a registry whose credentials sit in a helper. */
export function helperNotSupportedMessage(registry: string, helper: string): string {
  return `Credentials for ${registry} are kept by the docker-credential-${helper} helper, which ML Workbench does not run. Enter a user name and password (or token) instead.`;
}
