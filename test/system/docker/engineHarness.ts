/**
 * Loads test/harness/dockerEngine.mjs (an ES module) from the compiled CommonJS tests, and gates on it:
 * under CI=true a missing engine prerequisite fails the test, elsewhere it is skipped with the reason.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TestContext } from 'node:test';
import { needs } from '../../support/requires';

/** The repository root, from out/test/system/docker. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');

export interface TestEngine {
  dockerHost: string;
  socketPath: string;
  registry: string;
  baseImage: string;
  dir: string;
  stop(): Promise<void>;
}

interface HarnessModule {
  dockerEngineMissing(opts?: { needRegistry?: boolean }): string | undefined;
  startDockerEngine(opts?: { needRegistry?: boolean }): Promise<TestEngine>;
}

// tsc turns import() into require() under CommonJS; the harness is ESM, so keep a real dynamic import.
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<HarnessModule>;

export function loadHarness(): Promise<HarnessModule> {
  return importEsm(pathToFileURL(path.join(REPO_ROOT, 'test', 'harness', 'dockerEngine.mjs')).href);
}

/** Why the engine cannot start here, or undefined. */
export async function engineMissing(needRegistry = true): Promise<string | undefined> {
  return (await loadHarness()).dockerEngineMissing({ needRegistry });
}

/** needs() for the test engine: true when it can start. */
export async function needsEngine(t: TestContext, needRegistry = true): Promise<boolean> {
  const missing = await engineMissing(needRegistry);
  return needs(t, 'a Docker engine (dockerd, docker-registry, busybox-static, root)', !missing, missing ?? '');
}

export async function startTestEngine(needRegistry = true): Promise<TestEngine> {
  return (await loadHarness()).startDockerEngine({ needRegistry });
}
