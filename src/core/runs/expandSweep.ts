import type { ParamValue, Params } from './runTypes';
import { seededRandom } from '../random/seededRandom';

export interface GridSweep {
  /** Every combination of the listed values; the first key varies slowest. A scalar is a single value. */
  grid: Record<string, ParamValue | ParamValue[]>;
}

export interface RandomRange {
  min: number;
  max: number;
  /** Sample uniformly in log space (min and max must be > 0). */
  log?: boolean;
  /** Round to an integer in [min, max]. */
  int?: boolean;
}

export interface RandomSweep {
  /** Per parameter: a range, or a list of choices picked uniformly. */
  random: Record<string, RandomRange | ParamValue[]>;
  count: number;
  /** Same seed, same param sets. Default 0. */
  seed?: number;
}

export type SweepSpec = (GridSweep | RandomSweep) & {
  /** Params every set starts from (sweep values win). */
  base?: Params;
};

export class SweepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SweepError';
  }
}

/** Largest number of param sets one sweep may expand to. */
export const MAX_SWEEP_SIZE = 10_000;

function expandGrid(grid: GridSweep['grid'], base: Params): Params[] {
  const keys = Object.keys(grid);
  const lists = keys.map((k) => {
    const v = grid[k];
    const list = Array.isArray(v) ? v : [v];
    if (list.length === 0) throw new SweepError(`Grid parameter "${k}" has no values`);
    return list;
  });
  const total = lists.reduce((n, l) => n * l.length, 1);
  if (total > MAX_SWEEP_SIZE) throw new SweepError(`The grid has ${total} combinations; at most ${MAX_SWEEP_SIZE} are allowed`);
  const out: Params[] = [];
  for (let i = 0; i < total; i++) {
    const picks: ParamValue[] = new Array(keys.length);
    let rest = i;
    for (let k = keys.length - 1; k >= 0; k--) {
      picks[k] = lists[k][rest % lists[k].length];
      rest = Math.floor(rest / lists[k].length);
    }
    const set: Params = { ...base };
    keys.forEach((key, k) => (set[key] = picks[k]));
    out.push(set);
  }
  return out;
}

function sampleRange(name: string, r: RandomRange, rand: () => number): number {
  if (!Number.isFinite(r.min) || !Number.isFinite(r.max) || r.min > r.max)
    throw new SweepError(`Random parameter "${name}" needs finite min <= max`);
  const u = rand();
  if (r.int) {
    const lo = Math.ceil(r.min);
    const hi = Math.floor(r.max);
    if (lo > hi) throw new SweepError(`Random parameter "${name}" has no integer in [${r.min}, ${r.max}]`);
    if (r.log) {
      if (lo <= 0) throw new SweepError(`Random parameter "${name}" is log-scaled, so min must be > 0`);
      return Math.min(hi, Math.max(lo, Math.round(Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo))))));
    }
    return lo + Math.min(hi - lo, Math.floor(u * (hi - lo + 1)));
  }
  if (r.log) {
    if (r.min <= 0) throw new SweepError(`Random parameter "${name}" is log-scaled, so min must be > 0`);
    return Math.min(r.max, Math.max(r.min, Math.exp(Math.log(r.min) + u * (Math.log(r.max) - Math.log(r.min)))));
  }
  return r.min + u * (r.max - r.min);
}

function expandRandom(spec: RandomSweep, base: Params): Params[] {
  if (!Number.isInteger(spec.count) || spec.count < 1) throw new SweepError('A random sweep needs a positive integer count');
  if (spec.count > MAX_SWEEP_SIZE) throw new SweepError(`A random sweep may have at most ${MAX_SWEEP_SIZE} runs`);
  const rand = seededRandom(spec.seed ?? 0);
  const out: Params[] = [];
  for (let i = 0; i < spec.count; i++) {
    const set: Params = { ...base };
    for (const [name, def] of Object.entries(spec.random)) {
      if (Array.isArray(def)) {
        if (!def.length) throw new SweepError(`Random parameter "${name}" has no choices`);
        set[name] = def[Math.min(def.length - 1, Math.floor(rand() * def.length))];
      } else set[name] = sampleRange(name, def, rand);
    }
    out.push(set);
  }
  return out;
}

/** The param sets of a sweep, in the order they should run. */
export function expandSweep(spec: SweepSpec): Params[] {
  const base = spec.base ?? {};
  if ('grid' in spec) return expandGrid(spec.grid, base);
  if ('random' in spec) return expandRandom(spec, base);
  throw new SweepError('A sweep needs "grid" or "random"');
}
