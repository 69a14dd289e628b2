import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { interpolateString, interpolateValue, isObject, lookup, mergeContext, type Context } from './interpolate';
import type { ParamSpec, Pipeline, PipelineStage, StageOut } from './pipelineTypes';

export const DVC_YAML = 'dvc.yaml';
export const DEFAULT_PARAMS = 'params.yaml';

export class PipelineError extends Error {}

async function readDataFile(file: string): Promise<unknown> {
  const text = await fsp.readFile(file, 'utf8');
  return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
}

async function readOptional(file: string): Promise<Context | undefined> {
  try {
    const data = await readDataFile(file);
    return isObject(data) ? data : {};
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PipelineError(`Cannot read ${file}: ${(e as Error).message}`);
  }
}

/** Loads `vars` entries: dictionaries, or files (`file.yaml`, `file.yaml:key1,key2`) relative to `dir`. */
async function loadVars(vars: unknown, dir: string, base: Context, where: string): Promise<Context> {
  if (vars === undefined || vars === null) return base;
  if (!Array.isArray(vars)) throw new PipelineError(`${where}: vars must be a list`);
  let ctx = base;
  for (const entry of vars) {
    if (isObject(entry)) {
      ctx = mergeContext(ctx, entry, where);
      continue;
    }
    if (typeof entry !== 'string') throw new PipelineError(`${where}: a vars entry must be a file name or a dictionary`);
    const [file, keys] = entry.split(':', 2) as [string, string | undefined];
    const data = await readOptional(path.resolve(dir, file));
    if (data === undefined) throw new PipelineError(`${where}: vars file ${file} not found`);
    let picked: Context = data;
    if (keys) {
      picked = {};
      for (const k of keys.split(',').map((s) => s.trim())) picked[k] = lookup(data, k);
    }
    ctx = mergeContext(ctx, picked, where);
  }
  return ctx;
}

const scalar = (v: unknown): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);

function toList(v: unknown, field: string, stage: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new PipelineError(`Stage ${stage}: ${field} must be a list`);
  return v;
}

function readOuts(v: unknown, kind: StageOut['kind'], stage: string): StageOut[] {
  return toList(v, `${kind}s`, stage).map((entry) => {
    if (typeof entry === 'string') return { path: entry, kind, cache: kind === 'out', persist: false };
    if (isObject(entry) && Object.keys(entry).length === 1) {
      const [p, opts] = Object.entries(entry)[0];
      const o = isObject(opts) ? opts : {};
      return { path: p, kind, cache: o.cache !== undefined ? o.cache !== false : kind === 'out', persist: o.persist === true };
    }
    throw new PipelineError(`Stage ${stage}: cannot read ${kind} entry ${JSON.stringify(entry)}`);
  });
}

function readParams(v: unknown, stage: string): ParamSpec[] {
  const specs: ParamSpec[] = [];
  const defaults: string[] = [];
  for (const entry of toList(v, 'params', stage)) {
    if (typeof entry === 'string') defaults.push(entry);
    else if (isObject(entry)) {
      for (const [file, keys] of Object.entries(entry)) {
        if (keys === null || keys === undefined) specs.push({ file, keys: null });
        else if (Array.isArray(keys)) specs.push({ file, keys: keys.map(String) });
        else throw new PipelineError(`Stage ${stage}: params of ${file} must be a list of keys`);
      }
    } else throw new PipelineError(`Stage ${stage}: cannot read params entry ${JSON.stringify(entry)}`);
  }
  if (defaults.length) specs.unshift({ file: DEFAULT_PARAMS, keys: defaults });
  return specs;
}

function addParamKey(specs: ParamSpec[], file: string, key: string): void {
  const spec = specs.find((s) => s.file === file);
  if (!spec) specs.push({ file, keys: [key] });
  else if (spec.keys && !spec.keys.includes(key)) spec.keys.push(key);
}

/** One concrete stage from its definition, interpolated in `ctx`. */
function buildStage(name: string, def: Record<string, unknown>, ctx: Context, params: Context | undefined, group?: string): PipelineStage {
  const used: string[] = [];
  // A value used through ${} that comes from params.yaml is tracked as a param (DVC does the same).
  const onLookup = (expr: string): void => {
    if (!params || expr.split(/[.[]/)[0] === 'item' || expr === 'key') return;
    try {
      lookup(params, expr);
      used.push(expr);
    } catch {
      // from vars, not params.yaml: not tracked
    }
  };
  const at = (field: string, inCmd = false): unknown => {
    try {
      return interpolateValue(def[field], ctx, { inCmd, onLookup });
    } catch (e) {
      throw new PipelineError(`Stage ${name}: ${field}: ${(e as Error).message}`);
    }
  };
  const cmd = at('cmd', true);
  if (typeof cmd !== 'string' && !(Array.isArray(cmd) && cmd.every((c) => typeof c === 'string') && cmd.length)) {
    throw new PipelineError(`Stage ${name}: cmd must be a command line or a list of them`);
  }
  const wdir = def.wdir === undefined ? '.' : String(at('wdir'));
  const deps = toList(at('deps'), 'deps', name).map(String);
  const stageParams = readParams(at('params'), name);
  for (const key of used) addParamKey(stageParams, DEFAULT_PARAMS, key);
  const outs = [...readOuts(at('outs'), 'out', name), ...readOuts(at('metrics'), 'metric', name), ...readOuts(at('plots'), 'plot', name)];
  return {
    name,
    ...(group ? { group } : {}),
    cmd,
    wdir,
    deps,
    params: stageParams,
    outs,
    frozen: def.frozen === true,
    alwaysChanged: def.always_changed === true,
    ...(typeof def.desc === 'string' ? { desc: def.desc } : {}),
  };
}

function resolveIterable(v: unknown, ctx: Context, name: string): unknown {
  if (typeof v !== 'string') return v;
  try {
    return interpolateString(v, ctx);
  } catch (e) {
    throw new PipelineError(`Stage ${name}: ${(e as Error).message}`);
  }
}

function expandForeach(name: string, def: Record<string, unknown>, ctx: Context): { name: string; ctx: Context }[] {
  const items = resolveIterable(def.foreach, ctx, name);
  if (Array.isArray(items)) {
    const byValue = items.every(scalar);
    return items.map((item, i) => ({ name: `${name}@${byValue ? String(item) : i}`, ctx: { ...ctx, item } }));
  }
  if (isObject(items)) return Object.entries(items).map(([key, item]) => ({ name: `${name}@${key}`, ctx: { ...ctx, key, item } }));
  throw new PipelineError(`Stage ${name}: foreach must be a list or a dictionary`);
}

function expandMatrix(name: string, def: Record<string, unknown>, ctx: Context): { name: string; ctx: Context }[] {
  const matrix = def.matrix;
  if (!isObject(matrix)) throw new PipelineError(`Stage ${name}: matrix must be a dictionary of lists`);
  let combos: { parts: string[]; item: Record<string, unknown> }[] = [{ parts: [], item: {} }];
  for (const [key, raw] of Object.entries(matrix)) {
    const values = resolveIterable(raw, ctx, name);
    if (!Array.isArray(values)) throw new PipelineError(`Stage ${name}: matrix.${key} must be a list`);
    combos = combos.flatMap((c) =>
      values.map((v, i) => ({ parts: [...c.parts, scalar(v) ? String(v) : `${key}${i}`], item: { ...c.item, [key]: v } })),
    );
  }
  return combos.map((c) => ({ name: `${name}@${c.parts.join('-')}`, ctx: { ...ctx, item: c.item } }));
}

/** Expands one dvc.yaml entry into its concrete stages. */
async function expandEntry(name: string, raw: unknown, base: Context, root: string, params: Context | undefined): Promise<PipelineStage[]> {
  if (!isObject(raw)) throw new PipelineError(`Stage ${name}: not a dictionary`);
  if (raw.foreach !== undefined) {
    if (!isObject(raw.do)) throw new PipelineError(`Stage ${name}: foreach needs a do: section`);
    const body = raw.do;
    const out: PipelineStage[] = [];
    for (const inst of expandForeach(name, raw, base)) {
      const ctx = await loadVars(body.vars, root, inst.ctx, `stage ${inst.name}`);
      out.push(buildStage(inst.name, body, ctx, params, name));
    }
    return out;
  }
  if (raw.matrix !== undefined) {
    const out: PipelineStage[] = [];
    for (const inst of expandMatrix(name, raw, base)) {
      const ctx = await loadVars(raw.vars, root, inst.ctx, `stage ${inst.name}`);
      out.push(buildStage(inst.name, raw, ctx, params, name));
    }
    return out;
  }
  const ctx = await loadVars(raw.vars, root, base, `stage ${name}`);
  return [buildStage(name, raw, ctx, params)];
}

/** Parses dvc.yaml text (of the folder `root`), expanding `foreach`/`matrix` and interpolating `${}` from params.yaml and `vars`. */
export async function parsePipeline(text: string, root: string): Promise<Pipeline> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new PipelineError(`Cannot parse ${DVC_YAML}: ${(e as Error).message}`);
  }
  if (!isObject(doc) || !isObject(doc.stages)) throw new PipelineError(`${DVC_YAML} has no stages`);
  const params = await readOptional(path.join(root, DEFAULT_PARAMS));
  const base = await loadVars(doc.vars, root, params ?? {}, DVC_YAML);
  const stages: PipelineStage[] = [];
  for (const [name, raw] of Object.entries(doc.stages)) stages.push(...(await expandEntry(name, raw, base, root, params)));
  const seen = new Set<string>();
  for (const s of stages) {
    if (seen.has(s.name)) throw new PipelineError(`Stage ${s.name} is defined twice`);
    seen.add(s.name);
  }
  return { root, stages };
}

/** Reads `<root>/dvc.yaml`. */
export async function readPipeline(root: string): Promise<Pipeline> {
  const file = path.join(root, DVC_YAML);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new PipelineError(`No ${DVC_YAML} in ${root}`);
    throw e;
  }
  return parsePipeline(text, path.resolve(root));
}
