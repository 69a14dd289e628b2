/**
 * A folder of fixtures a Python script writes (`python3 SCRIPT OUT_DIR`, which ends by writing
 * OUT_DIR/manifest.json), made once and shared by every test process: it sits in the temp folder under a
 * name keyed by the script's hash, is written to a private folder first and renamed into place, and a
 * process that loses the race uses the winner's. Not a test file itself.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SYSTEM_PYTHON } from './requires';

const made = new Map<string, string>();

export function pythonFixtureDir(script: string, prefix: string, timeoutMs = 120_000): string {
  const known = made.get(script);
  if (known) return known;
  const hash = createHash('sha256').update(readFileSync(script)).digest('hex').slice(0, 16);
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
