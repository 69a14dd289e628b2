import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { HashCache } from './HashCache';

/** What dvc.lock records of a dep or out (DVC 3): `md5` of the contents, or of a directory's listing plus `.dir`. */
export interface PathHash {
  md5: string;
  size: number;
  /** Directories only. */
  nfiles?: number;
}

/** Folders DVC never descends into. */
const SKIP = new Set(['.git', '.dvc', '.hg']);

async function listFiles(dir: string, prefix: string, out: { rel: string; abs: string }[]): Promise<void> {
  const entries = await fsp.readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    if (SKIP.has(e.name)) continue;
    const abs = path.join(dir, e.name);
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    let isDir = e.isDirectory();
    if (e.isSymbolicLink()) isDir = (await fsp.stat(abs)).isDirectory();
    if (isDir) await listFiles(abs, rel, out);
    else out.push({ rel, abs });
  }
}

/** Python's `json.dumps(s)` of a string (ensure_ascii: everything outside printable ASCII as `\uXXXX`). */
function pyJsonString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The bytes DVC hashes for a directory: `json.dumps(sorted_entries, sort_keys=True)` of `[{"md5": ..., "relpath": ...}]`,
 * sorted by relpath (POSIX separators), with Python's default separators `, ` and `: `.
 */
export function dirListingJson(entries: { relpath: string; md5: string }[]): string {
  const sorted = [...entries].sort((a, b) => (a.relpath < b.relpath ? -1 : a.relpath > b.relpath ? 1 : 0));
  return `[${sorted.map((e) => `{"md5": ${pyJsonString(e.md5)}, "relpath": ${pyJsonString(e.relpath)}}`).join(', ')}]`;
}

/** The DVC 3 hash of a file or directory; undefined when it does not exist. */
export async function hashPath(abs: string, cache: HashCache): Promise<PathHash | undefined> {
  let st;
  try {
    st = await fsp.stat(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  if (!st.isDirectory()) return { md5: await cache.md5(abs, st), size: st.size };
  const files: { rel: string; abs: string }[] = [];
  await listFiles(abs, '', files);
  const entries: { relpath: string; md5: string }[] = [];
  let size = 0;
  // A few files at a time: hashing a large folder concurrently would only thrash the disk.
  const CONCURRENCY = 8;
  for (let i = 0; i < files.length; i += CONCURRENCY) {
    const batch = files.slice(i, i + CONCURRENCY);
    const done = await Promise.all(
      batch.map(async (f) => {
        const fst = await fsp.stat(f.abs);
        size += fst.size;
        return { relpath: f.rel, md5: await cache.md5(f.abs, fst) };
      }),
    );
    entries.push(...done);
  }
  const md5 = createHash('md5').update(dirListingJson(entries), 'utf8').digest('hex');
  return { md5: `${md5}.dir`, size, nfiles: entries.length };
}
