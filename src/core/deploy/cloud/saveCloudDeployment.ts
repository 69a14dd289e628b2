/** Writes a rendered cloud deployment to a folder: its files and a commands file. */
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { CloudDeployment } from './cloudTypes';
import { formatCommands } from './formatCommands';

export const COMMANDS_FILE = 'commands.sh';

/** Writes every file of `dep` and COMMANDS_FILE under outDir; returns the absolute paths written. */
export async function saveCloudDeployment(dep: CloudDeployment, outDir: string): Promise<string[]> {
  const written: string[] = [];
  for (const f of [...dep.files, { path: COMMANDS_FILE, content: `#!/bin/sh\nset -e\n${formatCommands(dep)}` }]) {
    const file = path.resolve(outDir, f.path);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, f.content);
    written.push(file);
  }
  return written;
}
