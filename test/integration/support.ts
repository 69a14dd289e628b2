// Helpers shared by the integration suites (this file is not a suite: index.ts loads *.test.js only).
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

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

const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

/** A module of test/harness/ (ES modules), loaded from these CommonJS suites. */
export function importHarness<T>(file: string): Promise<T> {
  return importEsm(pathToFileURL(path.resolve(__dirname, '..', '..', '..', 'test', 'harness', file)).href) as Promise<T>;
}

export interface TestEngine {
  dockerHost: string;
  registry: string;
  baseImage: string;
  stop(): Promise<void>;
}

/**
 * A throwaway Docker engine with its registry (test/harness/dockerEngine.mjs), or undefined when none can run here
 * (the suite then skips); under CI=true a missing one is a failure.
 */
export async function startTestEngine(): Promise<TestEngine | undefined> {
  const harness = await importHarness<{
    dockerEngineMissing(o: unknown): string | undefined;
    startDockerEngine(o: unknown): Promise<TestEngine>;
  }>('dockerEngine.mjs');
  const missing = harness.dockerEngineMissing({ needRegistry: true });
  if (missing) {
    if (process.env.CI === 'true') throw new Error(`CI=true and the test Docker engine is missing: ${missing}`);
    return undefined;
  }
  return harness.startDockerEngine({ needRegistry: true });
}

/** The extension host's environment variables `keys` as they are now; the function returned puts them back. */
export function keepEnv(keys: readonly string[]): () => void {
  const saved = keys.map((k) => [k, process.env[k]] as const);
  return () => {
    for (const [k, v] of saved)
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  };
}
