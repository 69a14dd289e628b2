import { inferValue } from '../runs/paramsFile';
import type { ParamValue } from '../runs/runTypes';

/**
 * One parameter of a study's search space, as `--space` spells it:
 *   lr=1e-5:1e-1        float, uniform in [low, high]
 *   lr=1e-5:1e-1:log    float, log-uniform (low > 0)
 *   layers=2:8:int      integer in [low, high] (`:int:log` log-scaled)
 *   layers=2,4,8        categorical: one of the listed values (numbers, booleans, strings)
 */
export type SpaceParam =
  | { name: string; type: 'float'; low: number; high: number; log: boolean }
  | { name: string; type: 'int'; low: number; high: number; log: boolean }
  | { name: string; type: 'categorical'; choices: ParamValue[] };

export type Direction = 'minimize' | 'maximize';

/** The metric a study optimises: its last logged value, `val_loss:min`. */
export interface Objective {
  metric: string;
  direction: Direction;
}

/** Optuna's MedianPruner: a trial stops when its intermediate objective is worse than the median of earlier trials at that step. */
export interface PrunerSpec {
  kind: 'median';
  /** Trials that run to the end before any is pruned (Optuna's n_startup_trials). Default 5. */
  startup: number;
  /** Steps of each trial never pruned (n_warmup_steps). Default 0. */
  warmup: number;
}

/** A bad `--space`, `--objective` or `--prune` token: the message names it. */
export class SpaceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpaceError';
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.\-/]*$/;

function number(text: string, token: string, what: string): number {
  const n = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(n))
    throw new SpaceError(`--space ${token}: ${what} must be a number, not ${JSON.stringify(text)}`);
  return n;
}

/** Parses one `--space` token; throws SpaceError naming the token. */
export function parseSpaceEntry(token: string): SpaceParam {
  const eq = token.indexOf('=');
  const name = eq > 0 ? token.slice(0, eq).trim() : '';
  if (!NAME.test(name))
    throw new SpaceError(`--space ${token}: expected name=low:high[:log|:int], or name=a,b,c (a name of letters, digits, _ . - /)`);
  const rest = token.slice(eq + 1).trim();
  if (rest.includes(',')) {
    const choices = rest.split(',').map((v) => v.trim());
    if (choices.some((c) => c === '')) throw new SpaceError(`--space ${token}: an empty choice`);
    const values = choices.map(inferValue);
    if (new Set(values.map((v) => JSON.stringify(v))).size !== values.length)
      throw new SpaceError(`--space ${token}: a choice is repeated`);
    return { name, type: 'categorical', choices: values };
  }
  const parts = rest.split(':');
  if (parts.length < 2 || parts.length > 4)
    throw new SpaceError(`--space ${token}: expected low:high, low:high:log, low:high:int or a,b,c`);
  const flags = parts.slice(2).map((f) => f.trim());
  for (const f of flags)
    if (f !== 'log' && f !== 'int') throw new SpaceError(`--space ${token}: unknown flag ${JSON.stringify(f)} (log or int)`);
  if (new Set(flags).size !== flags.length) throw new SpaceError(`--space ${token}: a flag is repeated`);
  const low = number(parts[0], token, 'low');
  const high = number(parts[1], token, 'high');
  if (!(low < high)) throw new SpaceError(`--space ${token}: low must be less than high`);
  const log = flags.includes('log');
  if (log && low <= 0) throw new SpaceError(`--space ${token}: a log range needs low > 0`);
  if (flags.includes('int')) {
    if (!Number.isInteger(low) || !Number.isInteger(high)) throw new SpaceError(`--space ${token}: an int range needs integer bounds`);
    return { name, type: 'int', low, high, log };
  }
  return { name, type: 'float', low, high, log };
}

/** Every token of a space; a name given twice is an error. */
export function parseSpace(tokens: readonly string[]): SpaceParam[] {
  if (!tokens.length) throw new SpaceError('give at least one --space name=low:high or name=a,b,c');
  const out: SpaceParam[] = [];
  for (const t of tokens) {
    const p = parseSpaceEntry(t);
    if (out.some((q) => q.name === p.name)) throw new SpaceError(`--space ${t}: ${p.name} is given twice`);
    out.push(p);
  }
  return out;
}

/** A whole space in one line, as Run Sweep… asks for it: `lr=1e-5:1e-1:log; layers=2,4,8` (`;` or new lines between). */
export function parseSpaceText(text: string): SpaceParam[] {
  return parseSpace(
    text
      .split(/[;\n]/)
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** `val_loss:min` or `accuracy:max`. */
export function parseObjective(token: string): Objective {
  const m = /^(.+):(min|max)$/.exec(token.trim());
  if (!m || !NAME.test(m[1].trim())) throw new SpaceError(`--objective ${token}: expected METRIC:min or METRIC:max, e.g. val_loss:min`);
  return { metric: m[1].trim(), direction: m[2] === 'min' ? 'minimize' : 'maximize' };
}

/** `median`, `median:STARTUP` or `median:STARTUP:WARMUP`. */
export function parsePrune(token: string): PrunerSpec {
  const [kind, ...rest] = token.trim().split(':');
  const nums = rest.map(Number);
  if (kind !== 'median' || rest.length > 2 || nums.some((n, i) => rest[i].trim() === '' || !Number.isInteger(n) || n < 0))
    throw new SpaceError(`--prune ${token}: expected median, median:STARTUP_TRIALS or median:STARTUP_TRIALS:WARMUP_STEPS`);
  return { kind: 'median', startup: nums[0] ?? 5, warmup: nums[1] ?? 0 };
}

/** `val_loss:min`: how `--objective` spells it. */
export const objectiveTag = (o: Objective): string => `${o.metric}:${o.direction === 'minimize' ? 'min' : 'max'}`;

/** The `--space` token of a parameter (for messages and the study's record). */
export function formatSpaceParam(p: SpaceParam): string {
  if (p.type === 'categorical') return `${p.name}=${p.choices.map((c) => String(c)).join(',')}`;
  return `${p.name}=${p.low}:${p.high}${p.type === 'int' ? ':int' : ''}${p.log ? ':log' : ''}`;
}
