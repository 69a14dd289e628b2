/** Temporary folders for tests that need real files (the reader works on paths and file handles). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  path: string;
  write(name: string, bytes: Uint8Array | string): Promise<string>;
  remove(): Promise<void>;
}

export async function tempDir(prefix = 'mlw-onnx-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return {
    path,
    async write(name, bytes) {
      const file = join(path, name);
      await writeFile(file, bytes);
      return file;
    },
    remove: () => rm(path, { recursive: true, force: true }),
  };
}
