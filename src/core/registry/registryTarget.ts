/**
 * The registry model (and version or alias) a command is about, from what VS Code passes it: a Registry node of the
 * Models view (`registeredModel`, `registeredVersion`), or a plain `{ folder, model, version?, alias? }` that the
 * registry page and tests send. Anything else is undefined (the command then asks).
 */
import { ALIAS_NAME, MODEL_NAME } from './registryTypes';

export interface RegistryTarget {
  folder: string;
  model: string;
  version?: number;
  alias?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function registryTarget(arg: unknown): RegistryTarget | undefined {
  if (!isObj(arg) || typeof arg.folder !== 'string' || !arg.folder) return undefined;
  const model = isObj(arg.model) ? arg.model.name : arg.model;
  if (typeof model !== 'string' || !MODEL_NAME.test(model)) return undefined;
  const rawVersion = isObj(arg.version) ? arg.version.version : arg.version;
  const version = typeof rawVersion === 'number' && Number.isInteger(rawVersion) && rawVersion > 0 ? rawVersion : undefined;
  if (rawVersion !== undefined && version === undefined) return undefined;
  const alias = typeof arg.alias === 'string' && ALIAS_NAME.test(arg.alias) ? arg.alias : undefined;
  if (arg.alias !== undefined && alias === undefined) return undefined;
  return { folder: arg.folder, model, ...(version !== undefined ? { version } : {}), ...(alias ? { alias } : {}) };
}
