/**
 * A folder of fixtures a Python script writes (`python3 SCRIPT OUT_DIR`, which ends by writing
 * OUT_DIR/manifest.json), made once and shared by every test process: it sits in the temp folder under a
 * name keyed by the hash of the script and the modules it imports from its own folder, is written to a private
 * folder first and renamed into place, and a process that loses the race uses the winner's. Not a test file itself.
 */
import { createHash, type Hash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SYSTEM_PYTHON } from './requires';

const made = new Map<string, string>();

/**
 * The script and, recursively, the modules it imports from its own folder (`import NAME` or `from NAME import` at
 * the start of a line, where NAME.py sits beside it): what a cache keyed by the script must also be keyed by.
 */
export function pythonSources(script: string): string[] {
  const found = [script];
  for (let i = 0; i < found.length; i++) {
    const text = readFileSync(found[i], 'utf8');
    for (const m of text.matchAll(/^(?:from\s+(\w+)\s+import|import\s+(\w+))\b/gm)) {
      const file = path.join(path.dirname(script), `${m[1] ?? m[2]}.py`);
      if (existsSync(file) && !found.includes(file)) found.push(file);
    }
  }
  return found;
}

/** Feeds the script and its local modules (see pythonSources) into `hash`, each with its name. */
export function hashPythonSources(hash: Hash, script: string): Hash {
  for (const file of pythonSources(script)) hash.update(`${path.basename(file)}\0`).update(readFileSync(file));
  return hash;
}

export function pythonFixtureDir(script: string, prefix: string, timeoutMs = 120_000): string {
  const known = made.get(script);
  if (known) return known;
  const hash = hashPythonSources(createHash('sha256'), script).digest('hex').slice(0, 16);
  const dir = path.join(tmpdir(), `${prefix}-${hash}`);
  if (!existsSync(path.join(dir, 'manifest.json'))) {
    const tmp = `${dir}.${process.pid}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    try {
      execFileSync(SYSTEM_PYTHON, [script, tmp], {
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: timeoutMs,
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      });
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(`${path.basename(script)} failed: ${stderr.split('\n').slice(-15).join('\n')}`, { cause: e });
    }
    try {
      rmSync(dir, { recursive: true, force: true }); // a leftover without manifest.json is incomplete
      renameSync(tmp, dir);
    } catch {
      // Another process got there first: use its folder.
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  made.set(script, dir);
  return dir;
}
