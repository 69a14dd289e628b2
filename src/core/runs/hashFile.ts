import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { sha256File } from '../sha256File';
import type { FileRecord } from './runTypes';

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
