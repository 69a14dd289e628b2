import { promises as fsp } from 'node:fs';

/** Whether `file` exists and is a regular file (a folder, a missing path or an unreadable one: false). */
export async function isFile(file: string): Promise<boolean> {
  return fsp.stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}
