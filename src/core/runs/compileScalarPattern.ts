import { parseMetricNumber } from './parseMetricLine';

/** A user's pattern for printed scalars that cannot be used; the message says why, in one line. */
export class ScalarPatternError extends Error {}

/** One metric point found in a line; `s` undefined means the next automatic step. */
export interface ScalarPoint {
  k: string;
  v: number;
  s?: number;
}

const MAX_NAME = 200;

/**
 * Compiles a user's pattern for printed scalars (the `mlWorkbench.runs.scalarPattern` setting, or
 * `mlw run --scalar-pattern`): a JavaScript regular expression with the named groups `name` and
 * `value`, and optionally `step`, matched any number of times per line. Throws ScalarPatternError
 * when it does not compile or lacks a group.
 */
export function compileScalarPattern(source: string): RegExp {
  if (!source.trim()) throw new ScalarPatternError('the scalar pattern is empty');
  let re: RegExp;
  try {
    re = new RegExp(source, 'g');
  } catch (e) {
    throw new ScalarPatternError(`the scalar pattern ${source} is not a valid regular expression (${(e as Error).message})`);
  }
  const missing = ['name', 'value'].filter((g) => !source.includes(`(?<${g}>`));
  if (missing.length)
    throw new ScalarPatternError(
      `the scalar pattern ${source} needs the named groups (?<name>...) and (?<value>...); it lacks ${missing.join(' and ')}`,
    );
  return re;
}

/** The points `pattern` (from compileScalarPattern) finds in a line: every match whose value is a number. */
export function matchScalarPattern(line: string, pattern: RegExp): ScalarPoint[] {
  const out: ScalarPoint[] = [];
  pattern.lastIndex = 0;
  for (let m = pattern.exec(line); m; m = pattern.exec(line)) {
    if (m[0] === '') pattern.lastIndex++; // a pattern that can match nothing must still move on
    const name = m.groups?.name?.trim();
    const value = m.groups?.value === undefined ? undefined : parseMetricNumber(m.groups.value.trim());
    if (!name || name.length > MAX_NAME || value === undefined) continue;
    const stepText = m.groups?.step?.trim();
    const step = stepText ? parseMetricNumber(stepText) : undefined;
    out.push(step !== undefined && Number.isFinite(step) && step >= 0 ? { k: name, v: value, s: step } : { k: name, v: value });
  }
  return out;
}
