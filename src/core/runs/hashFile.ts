import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import type { FileRecord } from './runTypes';

/** sha256 (hex) and size of a file, streamed so large data files do not sit in memory. */
export async function sha256File(file: string, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const stream = createReadStream(file, { highWaterMark: 1024 * 1024, signal });
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Path as recorded in a run: relative to `cwd` when inside it, else absolute. Always with forward slashes when relative. */
export function recordedPath(file: string, cwd: string): string {
  const abs = path.resolve(cwd, file);
  const rel = path.relative(cwd, abs);
  if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
  return abs;
}

/** A FileRecord for `file` (resolved against `cwd`). */
export async function fileRecord(file: string, cwd: string, signal?: AbortSignal): Promise<FileRecord> {
  const abs = path.resolve(cwd, file);
  const st = await fsp.stat(abs);
  if (!st.isFile()) throw new Error(`Not a file: ${abs}`);
  const { sha256, size } = await sha256File(abs, signal);
  return { path: recordedPath(abs, cwd), sha256, size };
}
