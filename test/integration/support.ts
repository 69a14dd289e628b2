// Helpers shared by the integration suites (this file is not a suite: index.ts loads *.test.js only).
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

/** Polls `probe` until it gives a value (not undefined or false), or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every run.json under <workspace>/.mlw/runs, as the extension wrote it. */
export async function storedRuns<T>(workspace: string): Promise<T[]> {
  const dir = path.join(workspace, '.mlw', 'runs');
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  const runs: T[] = [];
  for (const name of names) {
    const text = await fsp.readFile(path.join(dir, name, 'run.json'), 'utf8').catch(() => undefined);
    if (text) runs.push(JSON.parse(text) as T);
  }
  return runs;
}
