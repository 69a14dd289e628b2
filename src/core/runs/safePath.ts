import * as path from 'node:path';
import { promises as fsp } from 'node:fs';

export class PathEscapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathEscapeError';
  }
}

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/**
 * Turns a user-given name (run name, experiment, artifact file name) into one safe path segment:
 * separators, control characters and characters Windows refuses become `_`, leading dots are
 * dropped (no `..`, no hidden files), the result is at most 100 characters and never empty.
 */
export function sanitizeName(name: string, fallback = 'unnamed'): string {
  let s = name
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f<>:"/\\|?*]/g, '_')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '')
    .slice(0, 100);
  if (WINDOWS_RESERVED.test(s)) s = `_${s}`;
  return s.length > 0 ? s : fallback;
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Real path of `p`, or of its nearest existing ancestor joined with the part that does not exist yet. */
async function realPathAllowMissing(p: string): Promise<string> {
  const missing: string[] = [];
  let current = p;
  for (;;) {
    try {
      const real = await fsp.realpath(current);
      return missing.length ? path.join(real, ...missing.reverse()) : real;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      const parent = path.dirname(current);
      if (parent === current) return p;
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

/**
 * Joins `relative` onto `root` and proves the result stays inside `root`, lexically and after
 * resolving symbolic links (of the existing part of the path). Rejects absolute paths and `..`.
 */
export async function resolveInside(root: string, relative: string): Promise<string> {
  if (relative.includes('\0')) throw new PathEscapeError(`Invalid path: ${JSON.stringify(relative)}`);
  if (path.isAbsolute(relative) || path.win32.isAbsolute(relative)) {
    throw new PathEscapeError(`Absolute path not allowed here: ${relative}`);
  }
  const absRoot = path.resolve(root);
  const joined = path.resolve(absRoot, relative);
  if (!isInside(absRoot, joined)) throw new PathEscapeError(`Path escapes ${absRoot}: ${relative}`);
  const [realRoot, realJoined] = await Promise.all([realPathAllowMissing(absRoot), realPathAllowMissing(joined)]);
  if (!isInside(realRoot, realJoined)) throw new PathEscapeError(`Path escapes ${absRoot} through a symbolic link: ${relative}`);
  return joined;
}
