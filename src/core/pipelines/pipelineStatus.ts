import { promises as fsp } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { HashCache } from './HashCache';
import { hashPath, type PathHash } from './dvcHash';
import { isObject, lookup } from './interpolate';
import { readDvcLock, readMlwLock } from './dvcLock';
import type { LockedFile, LockedStage, Lock, Pipeline, PipelineStage } from './pipelineTypes';
import { stageOrder, stagePath, upstreamOf } from './stageGraph';
import { DEFAULT_PARAMS } from './readPipeline';

export type StageState = 'fresh' | 'stale' | 'frozen';

export interface StageStatus {
  name: string;
  group?: string;
  state: StageState;
  /** Why a stage is stale, one short line each ("dep data/raw.csv modified", "cmd changed"). */
  reasons: string[];
  /** Stages this one depends on. */
  upstream: string[];
  cmd: string | string[];
  /** Which record it was compared with: dvc.lock, ML Workbench's own (.mlw/pipelines/lock.json), or none. */
  lockedBy: 'dvc.lock' | 'mlw' | null;
}

export interface PipelineStatus {
  root: string;
  /** In run order. */
  stages: StageStatus[];
  durationMs: number;
  /** Files read to hash them (0 when every hash came from the cache). */
  filesHashed: number;
}

/** Hashes paths once per status, whatever the number of stages that name them. */
export class PathHasher {
  private readonly memo = new Map<string, Promise<PathHash | undefined>>();
  constructor(readonly cache: HashCache) {}
  hash(abs: string): Promise<PathHash | undefined> {
    let p = this.memo.get(abs);
    if (!p) {
      p = hashPath(abs, this.cache);
      this.memo.set(abs, p);
    }
    return p;
  }
  forget(abs: string): void {
    this.memo.delete(abs);
  }
}

const paramFiles = new Map<string, { mtimeMs: number; data: unknown }>();

async function readParamsFile(file: string): Promise<unknown> {
  const st = await fsp.stat(file).catch(() => undefined);
  if (!st) return undefined;
  const hit = paramFiles.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs) return hit.data;
  const text = await fsp.readFile(file, 'utf8');
  const data = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  paramFiles.set(file, { mtimeMs: st.mtimeMs, data });
  return data;
}

function lockedFile(rel: string, h: PathHash | undefined): LockedFile {
  if (!h) return { path: rel };
  return { path: rel, hash: 'md5', md5: h.md5, size: h.size, ...(h.nfiles !== undefined ? { nfiles: h.nfiles } : {}) };
}

const byPath = (a: LockedFile, b: LockedFile): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/**
 * What dvc.lock would record for the stage as the workspace is now (missing paths without md5). `overrides`: params
 * of the default params file that a run passed to the stage's command instead (runPipeline's `params`), recorded as
 * the stage ran with them.
 */
export async function currentLockEntry(
  p: Pipeline,
  s: PipelineStage,
  hasher: PathHasher,
  overrides?: Readonly<Record<string, string>>,
): Promise<LockedStage> {
  const deps = await Promise.all(s.deps.map(async (d) => lockedFile(d, await hasher.hash(stagePath(p, s, d)))));
  const outs = await Promise.all(s.outs.map(async (o) => lockedFile(o.path, await hasher.hash(stagePath(p, s, o.path)))));
  const params: Record<string, Record<string, unknown>> = {};
  for (const spec of s.params) {
    const data = await readParamsFile(stagePath(p, s, spec.file));
    const values: Record<string, unknown> = {};
    if (isObject(data)) {
      if (spec.keys === null) Object.assign(values, data);
      else
        for (const k of spec.keys) {
          try {
            values[k] = lookup(data, k);
          } catch {
            // missing: absent from the record, so it reads as changed
          }
        }
    }
    if (overrides && spec.file === DEFAULT_PARAMS)
      for (const [k, v] of Object.entries(overrides)) if (spec.keys?.includes(k)) values[k] = v;
    params[spec.file] = values;
  }
  const entry: LockedStage = { cmd: s.cmd };
  if (deps.length) entry.deps = deps.sort(byPath);
  if (s.params.length) entry.params = params;
  if (outs.length) entry.outs = outs.sort(byPath);
  return entry;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Why `now` differs from `locked`; empty when the stage is up to date with that record. */
export function compareToLock(now: LockedStage, locked: LockedStage | undefined, lockName: string): string[] {
  if (!locked) return [`not in ${lockName}`];
  const reasons: string[] = [];
  if (!same(now.cmd, locked.cmd)) reasons.push('cmd changed');
  const files = (kind: 'dep' | 'out', cur: LockedFile[] = [], old: LockedFile[] = []): void => {
    const oldBy = new Map(old.map((f) => [f.path, f]));
    for (const f of cur) {
      const o = oldBy.get(f.path);
      if (!f.md5) reasons.push(`${kind} ${f.path} missing`);
      else if (!o) reasons.push(`${kind} ${f.path} new`);
      else if (o.md5 !== f.md5) reasons.push(`${kind} ${f.path} modified`);
      oldBy.delete(f.path);
    }
    for (const path of oldBy.keys()) reasons.push(`${kind} ${path} removed from the stage`);
  };
  files('dep', now.deps, locked.deps);
  const np = now.params ?? {};
  const op = locked.params ?? {};
  for (const file of new Set([...Object.keys(np), ...Object.keys(op)])) {
    const a = np[file] ?? {};
    const b = op[file] ?? {};
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!(key in a)) reasons.push(`param ${key} deleted`);
      else if (!(key in b)) reasons.push(`param ${key} new`);
      else if (!same(a[key], b[key])) reasons.push(`param ${key} changed`);
    }
  }
  files('out', now.outs, locked.outs);
  return reasons;
}

export interface StatusOptions {
  /** Default: the cache under the pipeline's .mlw/cache/. */
  cache?: HashCache;
  dvcLock?: Lock;
  mlwLock?: Lock;
  /** Param overrides the stages that declare them ran with (runPipeline's `params`): compared as their values. */
  params?: Readonly<Record<string, string>>;
}

/** Each stage fresh or stale against dvc.lock (or ML Workbench's own record of runs it made without DVC). */
export async function pipelineStatus(p: Pipeline, o: StatusOptions = {}): Promise<PipelineStatus> {
  const t0 = performance.now();
  const cache = o.cache ?? (await HashCache.open(p.root));
  const before = cache.hashed;
  const hasher = new PathHasher(cache);
  const [dvcLock, mlwLock] = await Promise.all([o.dvcLock ?? readDvcLock(p.root), o.mlwLock ?? readMlwLock(p.root)]);
  const up = upstreamOf(p);
  const order = stageOrder(p, up);
  const byName = new Map(p.stages.map((s) => [s.name, s]));
  const entries = new Map(await Promise.all(p.stages.map(async (s) => [s.name, await currentLockEntry(p, s, hasher, o.params)] as const)));
  const result = new Map<string, StageStatus>();
  for (const name of order) {
    const s = byName.get(name) as PipelineStage;
    const upstream = up.get(name) ?? [];
    const base = { name, ...(s.group ? { group: s.group } : {}), upstream, cmd: s.cmd };
    if (s.frozen) {
      result.set(name, { ...base, state: 'frozen', reasons: [], lockedBy: dvcLock[name] ? 'dvc.lock' : mlwLock[name] ? 'mlw' : null });
      continue;
    }
    const now = entries.get(name) as LockedStage;
    const viaMlw = mlwLock[name] ? compareToLock(now, mlwLock[name], 'mlw') : undefined;
    const viaDvc = compareToLock(now, dvcLock[name], 'dvc.lock');
    let reasons: string[];
    let lockedBy: StageStatus['lockedBy'];
    if (viaDvc.length === 0 || !viaMlw) {
      reasons = viaDvc;
      lockedBy = dvcLock[name] ? 'dvc.lock' : null;
    } else {
      reasons = viaMlw;
      lockedBy = 'mlw';
    }
    if (s.alwaysChanged) reasons = ['always_changed', ...reasons];
    const staleUp = upstream.filter((u) => result.get(u)?.state === 'stale');
    if (staleUp.length) reasons = [...reasons, `upstream ${staleUp.join(', ')} stale`];
    result.set(name, { ...base, state: reasons.length ? 'stale' : 'fresh', reasons, lockedBy });
  }
  await cache.save();
  return {
    root: p.root,
    stages: order.map((n) => result.get(n) as StageStatus),
    durationMs: performance.now() - t0,
    filesHashed: cache.hashed - before,
  };
}
