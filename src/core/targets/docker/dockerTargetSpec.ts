import type { OtherTarget, SshEndpoint, Target } from '../targetTypes';

/**
 * What a `kind: docker` target says, read from its options:
 *
 *   docker: { kind: docker, engine: "ssh://me@gpubox", gpus: all, image: python:3.11-slim }
 *
 * - engine: `ssh://[user@]host[:port]` (reached through the system OpenSSH client, as `docker -H ssh://` does),
 *   `unix:///path/docker.sock` or `tcp://host:2375`; default the engine of DOCKER_HOST, the current context or the
 *   default socket.
 * - socket: the engine's socket on the ssh host when it is not the default (`docker -H unix://SOCKET` there).
 * - sshConfig, identityFile, controlMaster, connectTimeout: as for ssh targets (ssh:// engines).
 * - gpus: `all` or a count, as device requests.
 * - image: a base image with python3 (then `requirements.txt` of the run's folder, when present, is installed
 *   into an image made from it); dockerfile: a Dockerfile of the project to build instead (relative to the run's
 *   folder). Neither: the run folder's `Dockerfile`.
 */
export interface DockerTargetSpec {
  name: string;
  origin: string;
  python: string;
  env: Record<string, string>;
  /** The engine address as written, or undefined for the default engine. */
  engine?: string;
  /** For an ssh:// engine: how to reach its host. */
  ssh?: SshEndpoint;
  socket?: string;
  gpus?: 'all' | number;
  image?: string;
  dockerfile?: string;
}

/** Where the run's files are in its container: code/, helper/, run/, job.sh (as under a host's workdir). */
export const CONTAINER_DIR = '/mlw';
/** Label naming the target a container runs for. */
export const TARGET_LABEL = 'dev.mlworkbench.target';

const KEYS = ['engine', 'socket', 'gpus', 'image', 'dockerfile', 'sshConfig', 'identityFile', 'controlMaster', 'connectTimeout'];

/** Reads and checks a docker target's options; throws one line naming the target and the key. */
export function readDockerTarget(target: Target): DockerTargetSpec {
  if (target.kind !== 'docker') throw new Error(`Target ${target.name} is a ${target.kind} target, not a docker one`);
  const o = (target as OtherTarget).options;
  const fail = (key: string, message: string): never => {
    throw new Error(`${target.origin}: target ${target.name}: ${key} ${message}`);
  };
  for (const key of Object.keys(o)) if (!KEYS.includes(key)) fail(key, `is not a key of a docker target (known: ${KEYS.join(', ')})`);
  const str = (key: string): string | undefined => {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || !v.trim() || /[\0\n\r]/.test(v)) fail(key, `must be a one-line string, not ${JSON.stringify(v)}`);
    return v as string;
  };
  const spec: DockerTargetSpec = { name: target.name, origin: target.origin, python: target.python, env: target.env };
  const engine = str('engine');
  if (engine !== undefined) {
    spec.engine = engine;
    if (engine.startsWith('ssh://')) {
      let url: URL;
      try {
        url = new URL(engine);
      } catch {
        return fail('engine', `is not an address such as ssh://user@host:22: ${engine}`);
      }
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (!host || host.startsWith('-')) fail('engine', `names no usable host: ${engine}`);
      if (url.pathname && url.pathname !== '/') fail('engine', `must not hold a path (use socket: for the engine's socket): ${engine}`);
      const ssh: SshEndpoint = { host };
      if (url.port) ssh.port = Number(url.port);
      const user = decodeURIComponent(url.username);
      if (user) {
        if (user.startsWith('-') || /[@\s]/.test(user)) fail('engine', 'names a bad user');
        ssh.user = user;
      }
      const sshConfig = str('sshConfig');
      if (sshConfig) ssh.sshConfig = sshConfig;
      const identityFile = str('identityFile');
      if (identityFile) ssh.identityFile = identityFile;
      if (o.controlMaster !== undefined) {
        if (typeof o.controlMaster !== 'boolean') fail('controlMaster', 'must be true or false');
        ssh.controlMaster = o.controlMaster as boolean;
      }
      const ct = o.connectTimeout;
      if (ct !== undefined) {
        if (typeof ct !== 'number' || !Number.isInteger(ct) || ct < 1 || ct > 600)
          fail('connectTimeout', 'must be a whole number from 1 to 600');
        ssh.connectTimeout = ct as number;
      }
      spec.ssh = ssh;
    } else if (!/^(unix|tcp|https?):\/\//.test(engine) && !engine.startsWith('/')) {
      fail('engine', `must be ssh://, unix:// or tcp:// (not ${engine})`);
    }
  }
  if (!spec.ssh) {
    for (const key of ['socket', 'sshConfig', 'identityFile', 'controlMaster', 'connectTimeout'])
      if (o[key] !== undefined) fail(key, 'needs an ssh:// engine');
  }
  const socket = str('socket');
  if (socket !== undefined) {
    if (!socket.startsWith('/')) fail('socket', `must be an absolute path on the engine's host, not ${socket}`);
    spec.socket = socket;
  }
  const gpus = o.gpus;
  if (gpus !== undefined && gpus !== null) {
    if (gpus === 'all') spec.gpus = 'all';
    else if (typeof gpus === 'number' && Number.isInteger(gpus) && gpus >= 0 && gpus <= 1024) spec.gpus = gpus;
    else fail('gpus', `must be "all" or a count, not ${JSON.stringify(gpus)}`);
  }
  const image = str('image');
  if (image !== undefined) {
    if (/\s/.test(image) || image.startsWith('-')) fail('image', `is not an image reference: ${image}`);
    spec.image = image;
  }
  const dockerfile = str('dockerfile');
  if (dockerfile !== undefined) {
    if (dockerfile.startsWith('/') || dockerfile.split(/[\\/]/).includes('..'))
      fail('dockerfile', `must be a path inside the run's folder, not ${dockerfile}`);
    spec.dockerfile = dockerfile;
  }
  return spec;
}

/** Device requests for `gpus` (the engine's `--gpus`): none for 0 or unset. */
export function gpuDeviceRequests(gpus: DockerTargetSpec['gpus']): Array<{ Driver: string; Count: number; Capabilities: string[][] }> {
  if (gpus === undefined || gpus === 0) return [];
  return [{ Driver: '', Count: gpus === 'all' ? -1 : gpus, Capabilities: [['gpu']] }];
}
