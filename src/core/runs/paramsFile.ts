import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import type { ParamValue, Params } from './runTypes';

/** The params files looked for, in order, when none is named. */
export const DEFAULT_PARAMS_FILES = ['params.yaml', 'params.yml', 'params.json'];

export class ParamsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParamsError';
  }
}

/**
 * Flattens nested objects into dotted keys: `{model: {depth: 3}}` -> `{"model.depth": 3}`.
 * Arrays flatten by index (`layers.0`, `layers.1`); an empty object or array becomes its JSON text.
 */
export function flattenParams(value: unknown, prefix = '', out: Params = {}): Params {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    if (entries.length === 0 && prefix) out[prefix] = Array.isArray(value) ? '[]' : '{}';
    for (const [k, v] of entries) flattenParams(v, prefix ? `${prefix}.${k}` : k, out);
    return out;
  }
  if (!prefix) throw new ParamsError('Params must be an object of names to values');
  if (value === undefined) return out;
  if (typeof value === 'bigint') out[prefix] = Number(value);
  else if (value instanceof Date) out[prefix] = value.toISOString();
  else out[prefix] = value as ParamValue;
  return out;
}

/** Reads `params.yaml`/`.yml`/`.json` (by extension) and flattens it. */
export async function readParamsFile(file: string): Promise<Params> {
  const text = await fsp.readFile(file, 'utf8');
  let data: unknown;
  try {
    // yaml is loaded on first use: it is large, and the extension host loads this module at activation.
    data = /\.json$/i.test(file) ? JSON.parse(text) : (await import('yaml')).parse(text);
  } catch (e) {
    throw new ParamsError(`Cannot parse ${file}: ${(e as Error).message}`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new ParamsError(`${file} must hold a mapping of parameter names to values`);
  return flattenParams(data);
}

/** The first default params file found in `dir`, or undefined. */
export async function findParamsFile(dir: string): Promise<string | undefined> {
  for (const name of DEFAULT_PARAMS_FILES) {
    const file = path.join(dir, name);
    if (
      await fsp.stat(file).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      return file;
  }
  return undefined;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Type inference for override values: `true`/`false` -> boolean, `null` -> null, decimal or
 * exponent numbers -> number (`0x10`, `1_000`, `inf` stay strings), `"quoted"` or `'quoted'` ->
 * the string inside, anything else -> the string itself.
 */
export function inferValue(text: string): ParamValue {
  const t = text.trim();
  if (t === 'true' || t === 'True') return true;
  if (t === 'false' || t === 'False') return false;
  if (t === 'null' || t === 'None' || t === '~') return null;
  if (NUMBER.test(t)) {
    const n = Number(t);
    if (Number.isFinite(n)) return n;
  }
  if (t.length >= 2 && ((t[0] === '"' && t.endsWith('"')) || (t[0] === "'" && t.endsWith("'")))) return t.slice(1, -1);
  return text;
}

/** Parses one `key=value` override. The key is trimmed and must not be empty. */
export function parseAssignment(text: string): [string, ParamValue] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new ParamsError(`Expected key=value, got ${JSON.stringify(text)}`);
  const key = text.slice(0, eq).trim();
  if (!key) throw new ParamsError(`Expected key=value, got ${JSON.stringify(text)}`);
  return [key, inferValue(text.slice(eq + 1))];
}

/**
 * Applies `key=value` overrides to flattened params, returning a new object. Overriding a key
 * that holds nested values (`model=...` over `model.depth`) replaces all of them.
 */
export function applyOverrides(params: Params, overrides: string[]): Params {
  const out: Params = { ...params };
  for (const o of overrides) {
    const [key, value] = parseAssignment(o);
    for (const k of Object.keys(out)) if (k.startsWith(`${key}.`)) delete out[k];
    out[key] = value;
  }
  return out;
}
