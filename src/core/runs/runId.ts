import { randomBytes } from 'node:crypto';

const RUN_ID = /^[0-9]{8}-[0-9]{6}-[0-9]{3}-[a-z0-9]{6}$/;
/** Ids from other sources (MLflow hex ids, ids made by hand) still have to be one safe path segment. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/**
 * A new run id: UTC time to the millisecond, then 6 random base-36 characters, e.g.
 * `20251123-193012-456-k3f9q2`. Ids sort by creation time as plain strings; the random
 * part keeps ids unique across processes that start runs in the same millisecond.
 * The Python helper makes ids of the same form.
 */
export function newRunId(now: Date = new Date()): string {
  const date = `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1, 2)}${pad(now.getUTCDate(), 2)}`;
  const time = `${pad(now.getUTCHours(), 2)}${pad(now.getUTCMinutes(), 2)}${pad(now.getUTCSeconds(), 2)}`;
  const bytes = randomBytes(6);
  let rand = '';
  for (const b of bytes) rand += (b % 36).toString(36);
  return `${date}-${time}-${pad(now.getUTCMilliseconds(), 3)}-${rand}`;
}

/** True for ids made by `newRunId` (or the Python helper). */
export function isGeneratedRunId(id: string): boolean {
  return RUN_ID.test(id);
}

/** True when `id` can name a run folder: one path segment, no dots-only names, no separators. */
export function isSafeRunId(id: string): boolean {
  return SAFE_ID.test(id) && !id.includes('..');
}
