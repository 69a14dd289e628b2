import { invalidParameter } from './mlflowErrors';
import type { MlflowRun } from './mlflowRunJson';

/**
 * The part of MLflow's search filter grammar that scripts use to find runs:
 * `metrics.acc > 0.9 AND params.lr = '0.1' AND tags."mlflow.parentRunId" = 'abc' AND attributes.status = 'FINISHED'`,
 * with =, !=, <, <=, >, >=, LIKE and ILIKE; order_by `metrics.loss ASC`, `attributes.start_time DESC`.
 */
type Entity = 'metrics' | 'params' | 'tags' | 'attributes';
interface Clause {
  entity: Entity;
  key: string;
  op: string;
  value: string | number;
}

const ENTITY: Record<string, Entity> = {
  metric: 'metrics',
  metrics: 'metrics',
  param: 'params',
  params: 'params',
  parameter: 'params',
  parameters: 'params',
  tag: 'tags',
  tags: 'tags',
  attribute: 'attributes',
  attributes: 'attributes',
  attr: 'attributes',
  run: 'attributes',
};

const IDENT = String.raw`(?:\w[\w.]*|"[^"]*"|\x60[^\x60]*\x60)`;
const CLAUSE = new RegExp(
  String.raw`^\s*(\w+)\.(${IDENT})\s*(<=|>=|!=|=|<|>|LIKE|ILIKE)\s*('(?:[^']|'')*'|"[^"]*"|-?[\d.]+(?:e[+-]?\d+)?)\s*$`,
  'i',
);

const unquote = (s: string) => (/^['"`]/.test(s) ? s.slice(1, -1).replace(/''/g, "'") : s);

export function parseFilter(filter: string | undefined): Clause[] {
  if (!filter || !filter.trim()) return [];
  return filter.split(/\s+AND\s+/i).map((part) => {
    const m = CLAUSE.exec(part);
    const entity = m && ENTITY[m[1].toLowerCase()];
    if (!m || !entity) throw invalidParameter(`Invalid filter '${filter}': cannot read '${part.trim()}'.`);
    const raw = m[4];
    const value = /^['"]/.test(raw) ? unquote(raw) : Number(raw);
    if (entity === 'metrics' && typeof value !== 'number')
      throw invalidParameter(`Invalid filter '${filter}': a metric compares with a number.`);
    return { entity, key: unquote(m[2]), op: m[3].toUpperCase(), value };
  });
}

function likeToRegex(pattern: string, flags: string): RegExp {
  const body = pattern
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/%/g, '.*')
    .replace(/_/g, '.');
  return new RegExp(`^${body}$`, flags);
}

function fieldOf(run: MlflowRun, entity: Entity, key: string): string | number | undefined {
  if (entity === 'metrics') return run.data.metrics.find((m) => m.key === key)?.value;
  if (entity === 'params') return run.data.params.find((p) => p.key === key)?.value;
  if (entity === 'tags') return run.data.tags.find((t) => t.key === key)?.value;
  const info = run.info as unknown as Record<string, string | number | undefined>;
  return info[key === 'name' ? 'run_name' : key];
}

function compare(a: string | number, op: string, b: string | number): boolean {
  if (op === 'LIKE' || op === 'ILIKE') return likeToRegex(String(b), op === 'ILIKE' ? 'i' : '').test(String(a));
  const x = typeof b === 'number' ? Number(a) : a;
  switch (op) {
    case '=':
      return x === b;
    case '!=':
      return x !== b;
    case '<':
      return x < b;
    case '<=':
      return x <= b;
    case '>':
      return x > b;
    default:
      return x >= b;
  }
}

export function matchesFilter(run: MlflowRun, clauses: Clause[]): boolean {
  return clauses.every((c) => {
    const v = fieldOf(run, c.entity, c.key);
    return v !== undefined && compare(v, c.op, c.value);
  });
}

/** Sorts by `order_by` (default: newest first, as MLflow does). */
export function orderRuns(runs: MlflowRun[], orderBy: string[] = []): MlflowRun[] {
  const keys = orderBy.map((o) => {
    const m = new RegExp(String.raw`^\s*(\w+)\.(${IDENT})(?:\s+(ASC|DESC))?\s*$`, 'i').exec(o);
    const entity = m && ENTITY[m[1].toLowerCase()];
    if (!m || !entity) throw invalidParameter(`Invalid order_by clause '${o}'.`);
    return { entity, key: unquote(m[2]), desc: (m[3] ?? 'ASC').toUpperCase() === 'DESC' };
  });
  keys.push({ entity: 'attributes', key: 'start_time', desc: true }, { entity: 'attributes', key: 'run_id', desc: false });
  return [...runs].sort((a, b) => {
    for (const k of keys) {
      const x = fieldOf(a, k.entity, k.key);
      const y = fieldOf(b, k.entity, k.key);
      if (x === y) continue;
      if (x === undefined) return 1; // missing values last, either way
      if (y === undefined) return -1;
      const c = x < y ? -1 : 1;
      return k.desc ? -c : c;
    }
    return 0;
  });
}
