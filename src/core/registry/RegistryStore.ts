import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { writeFileAtomic } from '../runs/atomicWrite';
import { MODEL_NAME, type AliasMove, type ModelVersion, type RegisteredModel } from './registryTypes';

export const REGISTRY_DIR = path.join('.mlw', 'registry');

export class RegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryError';
  }
}

const sortedRecord = <T>(r: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The fields of each object in one fixed order (and maps sorted by key), so that rewriting a file changes only what changed. */
function canonicalVersion(v: ModelVersion): ModelVersion {
  return {
    version: v.version,
    registeredAt: v.registeredAt,
    registeredBy: v.registeredBy,
    source: { kind: v.source.kind, runId: v.source.runId, ...(v.source.artifact !== undefined ? { artifact: v.source.artifact } : {}) },
    path: v.path,
    sha256: v.sha256,
    sizeBytes: v.sizeBytes,
    signature: v.signature
      ? {
          inputs: v.signature.inputs.map((t) => ({ name: t.name, type: t.type, ...(t.shape ? { shape: t.shape } : {}) })),
          outputs: v.signature.outputs.map((t) => ({ name: t.name, type: t.type, ...(t.shape ? { shape: t.shape } : {}) })),
        }
      : null,
    metrics: sortedRecord(v.metrics),
    recipe: v.recipe ? { recipe: v.recipe.recipe, parentSha256: v.recipe.parentSha256 } : null,
    benchmark: v.benchmark ? { p50_ms: v.benchmark.p50_ms, p99_ms: v.benchmark.p99_ms, file: v.benchmark.file } : null,
    dataInputs: (v.dataInputs ?? []).map((d) => ({ path: d.path, sha256: d.sha256 })),
    ...(v.pipeline
      ? {
          pipeline: {
            stage: v.pipeline.stage,
            metricsFrom: v.pipeline.metricsFrom.map((m) => ({ file: m.file, stage: m.stage, keys: [...m.keys] })),
          },
        }
      : {}),
    ...(v.evaluations?.length
      ? {
          evaluations: v.evaluations.map((e) => ({
            data: { path: e.data.path, sha256: e.data.sha256 },
            at: e.at,
            metrics: sortedRecord(e.metrics),
          })),
        }
      : {}),
    notes: v.notes,
    ...(v.tags && Object.keys(v.tags).length ? { tags: sortedRecord(v.tags) } : {}),
    ...(v.sourceUri !== undefined ? { sourceUri: v.sourceUri } : {}),
    ...(v.mlflow ? { mlflow: { uri: v.mlflow.uri, version: v.mlflow.version } } : {}),
  };
}

function canonicalMove(m: AliasMove): AliasMove {
  return {
    alias: m.alias,
    from: m.from,
    to: m.to,
    action: m.action,
    at: m.at,
    by: m.by,
    ...(m.gates ? { gates: m.gates.map((g) => ({ gate: g.gate, passed: g.passed, detail: g.detail })) } : {}),
    ...(m.forced !== undefined ? { forced: m.forced } : {}),
  };
}

export function canonicalModel(m: RegisteredModel): RegisteredModel {
  return {
    schema: 1,
    name: m.name,
    aliases: sortedRecord(m.aliases),
    versions: [...m.versions].sort((a, b) => a.version - b.version).map(canonicalVersion),
    aliasHistory: m.aliasHistory.map(canonicalMove),
    ...(m.description ? { description: m.description } : {}),
    ...(m.tags && Object.keys(m.tags).length ? { tags: sortedRecord(m.tags) } : {}),
    ...(m.createdAt ? { createdAt: m.createdAt } : {}),
    ...(m.updatedAt ? { updatedAt: m.updatedAt } : {}),
  };
}

function checkModel(raw: unknown, file: string): RegisteredModel {
  const m = raw as RegisteredModel;
  if (
    typeof m !== 'object' ||
    m === null ||
    m.schema !== 1 ||
    typeof m.name !== 'string' ||
    typeof m.aliases !== 'object' ||
    !Array.isArray(m.versions) ||
    !Array.isArray(m.aliasHistory)
  )
    throw new RegistryError(`${file} is not a registry file of ML Workbench (schema 1)`);
  return m;
}

/** Pretty JSON with arrays of plain values on one line (a shape `["batch", 4]`), so a diff shows whole tensors. */
export function formatJson(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (!value.length) return '[]';
    if (value.every((x) => x === null || typeof x !== 'object')) return `[${value.map((x) => JSON.stringify(x)).join(', ')}]`;
    const inner = indent + '  ';
    return `[\n${value.map((x) => inner + formatJson(x, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, x]) => x !== undefined);
    if (!entries.length) return '{}';
    const inner = indent + '  ';
    return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${formatJson(x, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The registry of a workspace: `<workspace>/.mlw/registry/<name>.json`, pretty-printed JSON with a stable key order,
 * replaced atomically. Changes go through `update`, which holds `<name>.json.lock` so two processes registering at
 * once do not lose each other's version.
 */
export class RegistryStore {
  readonly dir: string;

  constructor(readonly workspace: string) {
    this.dir = path.join(path.resolve(workspace), REGISTRY_DIR);
  }

  file(name: string): string {
    if (!MODEL_NAME.test(name))
      throw new RegistryError(`"${name}" cannot name a registered model: use letters, digits and . _ - (starting with a letter or digit)`);
    return path.join(this.dir, `${name}.json`);
  }

  async read(name: string): Promise<RegisteredModel | undefined> {
    const file = this.file(name);
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new RegistryError(`${path.relative(this.workspace, file)} is not valid JSON: ${(e as Error).message}`);
    }
    return checkModel(raw, path.relative(this.workspace, file));
  }

  /** The model, or a RegistryError naming the models there are. */
  async get(name: string): Promise<RegisteredModel> {
    const m = await this.read(name);
    if (m) return m;
    const names = (await this.list()).map((x) => x.name);
    throw new RegistryError(
      `No registered model "${name}"${names.length ? ` (registered: ${names.join(', ')})` : ' (the registry is empty)'}`,
    );
  }

  async list(): Promise<RegisteredModel[]> {
    const names = await fsp.readdir(this.dir).catch(() => [] as string[]);
    const out: RegisteredModel[] = [];
    for (const f of names.filter((n) => n.endsWith('.json')).sort()) {
      const m = await this.read(f.slice(0, -'.json'.length)).catch(() => undefined);
      if (m) out.push(m);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async write(model: RegisteredModel): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true });
    await writeFileAtomic(this.file(model.name), `${formatJson(canonicalModel(model))}\n`);
  }

  /** Reads the model (undefined when new), lets `change` edit it, writes what it returns; under the model's lock. */
  async update<T>(name: string, change: (m: RegisteredModel | undefined) => Promise<{ model: RegisteredModel; result: T }>): Promise<T> {
    const lock = `${this.file(name)}.lock`;
    await fsp.mkdir(this.dir, { recursive: true });
    for (let i = 0; ; i++) {
      try {
        await fsp.writeFile(lock, String(process.pid), { flag: 'wx' });
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const st = await fsp.stat(lock).catch(() => undefined);
        if (st && Date.now() - st.mtimeMs > 30_000) await fsp.rm(lock, { force: true });
        else if (i > 200) throw new RegistryError(`${path.relative(this.workspace, lock)} is held by another process; try again`);
        else await sleep(25);
      }
    }
    try {
      const { model, result } = await change(await this.read(name));
      await this.write(model);
      return result;
    } finally {
      await fsp.rm(lock, { force: true });
    }
  }
}
