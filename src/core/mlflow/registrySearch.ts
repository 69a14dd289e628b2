import { invalidParameter } from './mlflowErrors';
import type { MlflowModelVersion, MlflowRegisteredModel } from './registryJson';

/**
 * The filter and order_by of registered-models/search and model-versions/search, as MLflow's registry takes them:
 * clauses joined by AND over `name`, `run_id`, `source_path`, `version_number` and `tags.<key>` (also `tag.`, with
 * the key bare or quoted with backticks or double quotes), with =, !=, LIKE, ILIKE and IN ('a', 'b');
 * order_by `name`, `version_number`, `creation_timestamp`, `last_updated_timestamp` with ASC or DESC.
 */
type Entity = MlflowRegisteredModel | MlflowModelVersion;
interface Clause {
  field: string;
  tag?: string;
  op: '=' | '!=' | 'LIKE' | 'ILIKE' | 'IN';
  values: string[];
}

const STRING = String.raw`'(?:[^']|'')*'|"[^"]*"`;
const CLAUSE = new RegExp(
  String.raw`^\s*(?:(tags?)\.(\x60[^\x60]+\x60|"[^"]+"|[\w.]+)|(\w+))\s*(=|!=|NOT\s+LIKE|LIKE|ILIKE|IN)\s*(${STRING}|-?\d+|\((?:\s*(?:${STRING})\s*,?)+\))\s*$`,
  'i',
);
const unquote = (s: string) => (/^['"\x60]/.test(s) ? s.slice(1, -1).replace(/''/g, "'") : s);

const FIELDS = {
  model: new Set(['name']),
  version: new Set(['name', 'run_id', 'source_path', 'version_number']),
};

/** Splits on AND outside quotes. */
function clauses(filter: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  for (let i = 0; i < filter.length; i++) {
    const c = filter[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (/\s/.test(c) && /^\s+AND\s+/i.test(filter.slice(i))) {
      out.push(cur);
      cur = '';
      i += (/^\s+AND\s+/i.exec(filter.slice(i)) as RegExpExecArray)[0].length - 1;
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

export function parseRegistryFilter(filter: string | undefined, kind: 'model' | 'version'): Clause[] {
  if (!filter?.trim()) return [];
  return clauses(filter).map((part) => {
    const m = CLAUSE.exec(part);
    const field = m ? (m[1] ? 'tags' : m[3].toLowerCase()) : '';
    if (!m || (field !== 'tags' && !FIELDS[kind].has(field))) {
      throw invalidParameter(
        `Invalid filter '${filter}': cannot read '${part.trim()}' (this server filters ${kind === 'model' ? 'registered models by name and tags' : 'model versions by name, run_id, source_path, version_number and tags'}, with =, !=, LIKE, ILIKE, IN).`,
      );
    }
    const op = m[4].toUpperCase().replace(/\s+/g, ' ');
    if (op === 'NOT LIKE') throw invalidParameter(`Invalid filter '${filter}': NOT LIKE is not supported here.`);
    const raw = m[5];
    const values = raw.startsWith('(') ? [...raw.matchAll(new RegExp(STRING, 'g'))].map((x) => unquote(x[0])) : [unquote(raw)];
    if (op === 'IN' && !raw.startsWith('(')) throw invalidParameter(`Invalid filter '${filter}': IN takes a list ('a', 'b').`);
    return { field, ...(m[1] ? { tag: unquote(m[2]) } : {}), op: op as Clause['op'], values };
  });
}

function fieldOf(e: Entity, c: Clause): string | undefined {
  if (c.field === 'tags') return e.tags.find((t) => t.key === c.tag)?.value;
  if (c.field === 'name') return e.name;
  const v = e as MlflowModelVersion;
  if (c.field === 'run_id') return v.run_id;
  if (c.field === 'source_path') return v.source;
  if (c.field === 'version_number') return v.version;
  return undefined;
}

const like = (pattern: string, flags: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      .replace(/%/g, '.*')
      .replace(/_/g, '.')}$`,
    `s${flags}`,
  );

export function matchesRegistryFilter(e: Entity, cs: Clause[]): boolean {
  return cs.every((c) => {
    const v = fieldOf(e, c);
    if (v === undefined) return false;
    if (c.op === '=') return v === c.values[0];
    if (c.op === '!=') return v !== c.values[0];
    if (c.op === 'IN') return c.values.includes(v);
    return like(c.values[0], c.op === 'ILIKE' ? 'i' : '').test(v);
  });
}

const ORDER = /^\s*(name|version_number|creation_timestamp|last_updated_timestamp|timestamp)(?:\s+(ASC|DESC))?\s*$/i;

/** Sorts by order_by; registered models default to name ASC, versions to name ASC then version DESC (as MLflow). */
export function orderRegistry<T extends Entity>(items: T[], orderBy: string[], kind: 'model' | 'version'): T[] {
  const keys = orderBy.map((o) => {
    const m = ORDER.exec(o);
    if (!m || (kind === 'model' && m[1].toLowerCase() === 'version_number')) throw invalidParameter(`Invalid order_by clause '${o}'.`);
    const field = m[1].toLowerCase() === 'timestamp' ? 'last_updated_timestamp' : m[1].toLowerCase();
    return { field, desc: (m[2] ?? 'ASC').toUpperCase() === 'DESC' };
  });
  keys.push({ field: 'name', desc: false });
  if (kind === 'version') keys.push({ field: 'version_number', desc: true });
  const value = (e: Entity, field: string): string | number =>
    field === 'name'
      ? e.name
      : field === 'version_number'
        ? Number((e as MlflowModelVersion).version)
        : (e[field as 'creation_timestamp' | 'last_updated_timestamp'] ?? 0);
  return [...items].sort((a, b) => {
    for (const k of keys) {
      const x = value(a, k.field);
      const y = value(b, k.field);
      if (x === y) continue;
      const c = x < y ? -1 : 1;
      return k.desc ? -c : c;
    }
    return 0;
  });
}
