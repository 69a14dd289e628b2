import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp, type Stats } from 'node:fs';
import { writeFileAtomic } from '../runs/atomicWrite';

/** Where the md5 of every hashed file is kept, by size and mtime: `<root>/.mlw/cache/dvc-md5.json`. */
export const HASH_CACHE_FILE = path.join('.mlw', 'cache', 'dvc-md5.json');

type Entry = [size: number, mtimeMs: number, ino: number, md5: string];

async function md5OfFile(file: string): Promise<string> {
  const h = createHash('md5');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * md5 of file contents (DVC 3's `hash: md5`), remembered by path, size, mtime and inode, so that an unchanged file
 * is never read twice. A file that changed without changing size or mtime (a copy that kept the mtime) is the one
 * case it misses, as DVC's own state database does.
 */
export class HashCache {
  private dirty = false;
  /** Files read (not answered from the cache) since open. */
  hashed = 0;

  private constructor(
    private readonly file: string | undefined,
    private readonly entries: Map<string, Entry>,
  ) {}

  /** Opens the cache of `root` (`undefined`: an in-memory cache). */
  static async open(root: string | undefined): Promise<HashCache> {
    const entries = new Map<string, Entry>();
    const file = root === undefined ? undefined : path.join(root, HASH_CACHE_FILE);
    if (file) {
      try {
        const data = JSON.parse(await fsp.readFile(file, 'utf8')) as { version?: number; entries?: Record<string, Entry> };
        if (data.version === 1 && data.entries) for (const [k, v] of Object.entries(data.entries)) entries.set(k, v);
      } catch {
        // missing or torn: start empty
      }
    }
    return new HashCache(file, entries);
  }

  async md5(file: string, st: Stats): Promise<string> {
    const key = path.resolve(file);
    const e = this.entries.get(key);
    if (e && e[0] === st.size && e[1] === st.mtimeMs && e[2] === st.ino) return e[3];
    const md5 = await md5OfFile(key);
    this.hashed++;
    this.entries.set(key, [st.size, st.mtimeMs, st.ino, md5]);
    this.dirty = true;
    return md5;
  }

  async save(): Promise<void> {
    if (!this.file || !this.dirty) return;
    await fsp.mkdir(path.dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, JSON.stringify({ version: 1, entries: Object.fromEntries(this.entries) }));
    this.dirty = false;
  }
}
