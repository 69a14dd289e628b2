import { inferValue } from './paramsFile';
import { SweepError, type RandomRange } from './expandSweep';
import type { ParamValue } from './runTypes';

function splitKey(text: string, what: string): [string, string] {
  const eq = text.indexOf('=');
  const key = eq > 0 ? text.slice(0, eq).trim() : '';
  if (!key) throw new SweepError(`Expected ${what}, got ${JSON.stringify(text)}`);
  return [key, text.slice(eq + 1)];
}

/** One `k=v1,v2,...` grid entry: the key and its typed values. */
export function parseGridEntry(text: string): [string, ParamValue[]] {
  const [key, rest] = splitKey(text, 'key=value1,value2,...');
  const values = rest
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '')
    .map(inferValue);
  if (values.length === 0) throw new SweepError(`Grid parameter "${key}" has no values`);
  return [key, values];
}

/** A whole grid: `lr=0.1,0.01; epochs=3,5` (entries separated by `;` or new lines). */
export function parseGridText(text: string): Record<string, ParamValue[]> {
  const grid: Record<string, ParamValue[]> = {};
  for (const part of text
    .split(/[;\n]/)
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [k, v] = parseGridEntry(part);
    grid[k] = v;
  }
  if (Object.keys(grid).length === 0) throw new SweepError('The grid is empty: give at least one k=v1,v2');
  return grid;
}

/** One `k=min:max[:log]` random entry. */
export function parseRandomEntry(text: string): [string, RandomRange] {
  const [key, rest] = splitKey(text, 'key=min:max[:log]');
  const parts = rest.split(':').map((s) => s.trim());
  if (parts.length < 2 || parts.length > 3 || (parts.length === 3 && parts[2] !== 'log')) {
    throw new SweepError(`Random parameter "${key}": expected min:max or min:max:log, got ${JSON.stringify(rest)}`);
  }
  const min = Number(parts[0]);
  const max = Number(parts[1]);
  if (parts[0] === '' || parts[1] === '' || !Number.isFinite(min) || !Number.isFinite(max)) {
    throw new SweepError(`Random parameter "${key}": min and max must be numbers, got ${JSON.stringify(rest)}`);
  }
  return [key, { min, max, log: parts.length === 3 }];
}
