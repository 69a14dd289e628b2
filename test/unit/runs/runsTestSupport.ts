/** Small helpers shared by the runs tests (unit and system). Not a test file itself. */
import * as os from 'node:os';
import * as path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';

const made: string[] = [];
let hooked = false;

/** A fresh folder under the OS temp dir, removed when the test process exits (node --test runs each file in its own process). */
export function tempDir(prefix = 'mlw-runs-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const d of made) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

/** Polls `check` every 25 ms until it returns a truthy value, or throws after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Absolute path of a compiled module of this project (tests run from out/test/...). */
export function compiled(relativeToRepo: string): string {
  return path.resolve(__dirname, '..', '..', '..', relativeToRepo);
}

/** Repository root (the folder holding python/ and test/fixtures/). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
