/**
 * Tests that need a system component (Docker, Python, code-server, Chromium, the ONNX corpus)
 * call `needs()` first. Under CI=true a missing component is a failure; elsewhere the test is
 * skipped with the reason printed, so a developer sees exactly what did not run.
 */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { TestContext } from 'node:test';

export const isCI = process.env.CI === 'true';

/** Returns true when the component is present. Otherwise fails (CI) or skips the test (elsewhere). */
export function needs(t: TestContext, component: string, present: boolean, howToGet: string): boolean {
  if (present) return true;
  const reason = `${component} is missing (${howToGet})`;
  if (isCI) throw new Error(`CI=true and ${reason}`);
  t.skip(reason);
  return false;
}

export const CORPUS_DIR = process.env.MLW_ONNX_CORPUS ?? '/usr/share/libonnx-testdata/data';
export const hasCorpus = (): boolean => existsSync(CORPUS_DIR);

/** Debian's python3 sees python3-onnx, sklearn and torch; the pyenv python3 first on PATH does not. */
export const SYSTEM_PYTHON = process.env.MLW_TEST_PYTHON ?? '/usr/bin/python3';

export function pythonHas(module: string): boolean {
  try {
    execFileSync(SYSTEM_PYTHON, ['-c', `import ${module}`], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}
