import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml';
import { K8S_KEYS, readKubernetesTarget } from './kubernetes/readKubernetesTarget';
import { TARGET_KINDS, type SlurmTarget, type SshEndpoint, type Target, type TargetKind } from './targetTypes';

export interface ParsedTargets {
  targets: Target[];
  /** One line each, naming the file and line (or the setting) and the key: `.mlw/targets.yaml:4: target gpu: port must be …`. */
  errors: string[];
}

const COMMON = ['kind', 'workdir', 'python', 'env'];
const SSH_KEYS = ['host', 'port', 'user', 'identityFile', 'sshConfig', 'controlMaster', 'connectTimeout'];
const SLURM_KEYS = ['partition', 'account', 'gpus', 'cpus', 'mem', 'time', 'sbatch'];
const KNOWN: Record<TargetKind, string[] | undefined> = {
  ssh: [...COMMON, ...SSH_KEYS],
  slurm: [...COMMON, ...SSH_KEYS, ...SLURM_KEYS],
  docker: undefined, // not run from here yet: any keys kept as options
  kubernetes: [...COMMON, ...K8S_KEYS],
};
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

class TargetError extends Error {}

/** Reads one target's fields, reporting the first bad one by key. `where(key)` says where that key was written. */
function readTarget(name: string, raw: unknown, origin: string, where: (key?: string) => string): Target {
  const fail = (key: string | undefined, message: string): never => {
    throw new TargetError(`${where(key)}: target ${name}: ${key ? `${key} ` : ''}${message}`);
  };
  if (!NAME.test(name)) fail(undefined, 'name may only hold letters, digits, ".", "_" and "-"');
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(undefined, 'must be a mapping of keys (kind, host, …)');
  const o = raw as Record<string, unknown>;
  const kind = o.kind;
  if (typeof kind !== 'string' || !(TARGET_KINDS as readonly string[]).includes(kind)) {
    fail('kind', `must be one of ${TARGET_KINDS.join(', ')}${kind === undefined ? ' (missing)' : `, not ${JSON.stringify(kind)}`}`);
  }
  const known = KNOWN[kind as TargetKind];
  if (known) {
    for (const key of Object.keys(o)) if (!known.includes(key)) fail(key, `is not a key of a ${kind} target (known: ${known.join(', ')})`);
  }
  const str = (key: string): string | undefined => {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number' && ['mem', 'time', 'gpus'].includes(key)) return String(v);
    if (typeof v !== 'string' || !v.trim()) fail(key, `must be a non-empty string, not ${JSON.stringify(v)}`);
    if (/[\0\n\r]/.test(v as string)) fail(key, 'must not hold control characters');
    return v as string;
  };
  const int = (key: string, min: number, max: number): number | undefined => {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      fail(key, `must be a whole number from ${min} to ${max}, not ${JSON.stringify(v)}`);
    return v as number;
  };
  const env: Record<string, string> = {};
  if (o.env !== undefined) {
    if (o.env === null || typeof o.env !== 'object' || Array.isArray(o.env)) fail('env', 'must be a mapping of NAME: value');
    for (const [k, v] of Object.entries(o.env as Record<string, unknown>)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) fail('env', `has a bad variable name ${JSON.stringify(k)}`);
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') fail('env', `${k} must be a string or number`);
      env[k] = String(v);
    }
  }
  const base = { name, origin, workdir: str('workdir') ?? '~/mlw-runs', python: str('python') ?? 'python3', env };
  const host = str('host');
  let ssh: SshEndpoint | undefined;
  if (host !== undefined) {
    if (host.startsWith('-')) fail('host', 'must not start with "-"');
    ssh = { host };
    const port = int('port', 1, 65535);
    if (port !== undefined) ssh.port = port;
    const user = str('user');
    if (user !== undefined) {
      if (user.startsWith('-') || /[@\s]/.test(user)) fail('user', 'must be a plain user name');
      ssh.user = user;
    }
    const identityFile = str('identityFile');
    if (identityFile !== undefined) ssh.identityFile = identityFile;
    const sshConfig = str('sshConfig');
    if (sshConfig !== undefined) ssh.sshConfig = sshConfig;
    if (o.controlMaster !== undefined) {
      if (typeof o.controlMaster !== 'boolean') fail('controlMaster', 'must be true or false');
      ssh.controlMaster = o.controlMaster as boolean;
    }
    const connectTimeout = int('connectTimeout', 1, 600);
    if (connectTimeout !== undefined) ssh.connectTimeout = connectTimeout;
  } else if (kind !== 'docker') {
    // a docker target's ssh:// engine names its host; its ssh keys are read with its options
    for (const key of SSH_KEYS) if (o[key] !== undefined) fail(key, 'needs a host');
  }
  if (kind === 'ssh') {
    if (!ssh) fail('host', 'is required for an ssh target');
    return { ...base, kind: 'ssh', ssh: ssh as SshEndpoint };
  }
  if (kind === 'slurm') {
    const t: SlurmTarget = { ...base, kind: 'slurm', sbatch: [] };
    if (ssh) t.ssh = ssh;
    for (const key of ['partition', 'account', 'mem', 'time'] as const) {
      const v = str(key);
      if (v !== undefined) {
        if (/\s/.test(v)) fail(key, 'must not hold spaces');
        t[key] = v;
      }
    }
    if (t.time !== undefined && !/^(\d+-)?\d+(:\d+){0,2}$/.test(t.time))
      fail('time', `must be a SLURM time (MM, HH:MM:SS, D-HH:MM:SS), not ${t.time}`);
    if (t.mem !== undefined && !/^\d+[KMGT]?$/i.test(t.mem)) fail('mem', `must be a size such as 32G, not ${t.mem}`);
    const gpus = o.gpus;
    if (gpus !== undefined && gpus !== null) {
      if (typeof gpus === 'number') t.gpus = int('gpus', 0, 1024);
      else if (typeof gpus === 'string' && /^[A-Za-z0-9_.-]+(:\d+)?$/.test(gpus)) t.gpus = gpus;
      else fail('gpus', `must be a count or TYPE:COUNT, not ${JSON.stringify(gpus)}`);
    }
    t.cpus = int('cpus', 1, 100_000);
    if (t.cpus === undefined) delete t.cpus;
    if (o.sbatch !== undefined) {
      const lines = o.sbatch;
      if (!Array.isArray(lines) || lines.some((l) => typeof l !== 'string'))
        fail('sbatch', 'must be a list of options such as ["--qos=high"]');
      for (const l of lines as string[]) {
        if (!l.startsWith('-') || /[\0\n\r]/.test(l)) fail('sbatch', `option ${JSON.stringify(l)} must start with "-" and fit on one line`);
      }
      t.sbatch = [...(lines as string[])];
    }
    return t;
  }
  if (kind === 'kubernetes') return readKubernetesTarget(o, base, fail);
  const { kind: _k, workdir: _w, python: _p, env: _e, ...options } = o;
  return { ...base, kind: kind as 'docker', options };
}

/** The targets of one `.mlw/targets.yaml` text; `file` is how messages name it. */
export function parseTargetsYaml(text: string, file: string): ParsedTargets {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const lineOf = (offset: number | undefined): number => (offset === undefined ? 1 : lineCounter.linePos(offset).line);
  if (doc.errors.length) {
    return { targets: [], errors: doc.errors.map((e) => `${file}:${lineOf(e.pos[0])}: not valid YAML: ${e.message.split('\n')[0]}`) };
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { targets: [], errors: [] };
  if (!isMap(root)) return { targets: [], errors: [`${file}:${lineOf(root.range?.[0])}: must be a mapping with a "targets" key`] };
  const targetsNode = root.get('targets', true) as Node | undefined;
  const unknownTop = root.items.map((p) => (isScalar(p.key) ? String(p.key.value) : '?')).filter((k) => k !== 'targets');
  const errors = unknownTop.map((k) => `${file}: unknown top-level key "${k}" (only "targets")`);
  if (targetsNode === undefined || (isScalar(targetsNode) && targetsNode.value === null)) return { targets: [], errors };
  if (!isMap(targetsNode))
    return { targets: [], errors: [...errors, `${file}:${lineOf(targetsNode.range?.[0])}: targets must be a mapping of name: {…}`] };
  const targets: Target[] = [];
  for (const pair of targetsNode.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    const nameLine = lineOf(isScalar(pair.key) ? pair.key.range?.[0] : undefined);
    const value = pair.value as Node | null;
    const where = (key?: string): string => {
      if (key && value && isMap(value)) {
        const kp = value.items.find((p) => isScalar(p.key) && p.key.value === key);
        if (kp && isScalar(kp.key)) return `${file}:${lineOf(kp.key.range?.[0])}`;
      }
      return `${file}:${nameLine}`;
    };
    try {
      targets.push(readTarget(name, value === null ? null : value.toJSON(), `${file}:${nameLine}`, where));
    } catch (e) {
      if (!(e instanceof TargetError)) throw e;
      errors.push(e.message);
    }
  }
  return { targets, errors };
}

/** The targets of the `mlWorkbench.targets` setting: an object of name: {kind, …}. */
export function parseTargetsSetting(value: unknown, setting = 'mlWorkbench.targets'): ParsedTargets {
  if (value === undefined || value === null) return { targets: [], errors: [] };
  if (typeof value !== 'object' || Array.isArray(value))
    return { targets: [], errors: [`setting ${setting}: must be an object of name: {kind, …}`] };
  const targets: Target[] = [];
  const errors: string[] = [];
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    const where = (key?: string) => `setting ${setting}${key ? `.${name}.${key}` : `.${name}`}`;
    try {
      targets.push(readTarget(name, raw, `setting ${setting}`, () => where()));
    } catch (e) {
      if (!(e instanceof TargetError)) throw e;
      errors.push(e.message.replace(/^setting [^:]*: /, `${where()}: `));
    }
  }
  return { targets, errors };
}

/** The file's targets, then the setting's (which replace a file target of the same name). */
export function mergeTargets(file: ParsedTargets, setting: ParsedTargets): ParsedTargets {
  const byName = new Map<string, Target>();
  for (const t of file.targets) byName.set(t.name, t);
  for (const t of setting.targets) byName.set(t.name, t);
  return { targets: [...byName.values()], errors: [...file.errors, ...setting.errors] };
}
