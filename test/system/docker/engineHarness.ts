/**
 * Loads test/harness/dockerEngine.mjs (an ES module) from the compiled CommonJS tests, and gates on it:
 * under CI=true a missing engine prerequisite fails the test, elsewhere it is skipped with the reason.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, type TestContext } from 'node:test';
import { DockerEngine } from '../../../src/core/docker/dockerEngine';
import { parseDockerHost } from '../../../src/core/docker/findEngine';
import { hasCorpus, needs } from '../../support/requires';

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

/** The test engine a test file runs against, a client connected to it, and a temporary folder. */
export interface StartedEngine {
  env: TestEngine;
  engine: DockerEngine;
  work: string;
}

/**
 * Registers a test file's before and after hooks for the test engine (with a registry when `needRegistry`) and the
 * ONNX test corpus: before, the engine started, a client connected and a temporary folder `prefix…` made, unless
 * either is missing; after, the engine stopped and the folder removed. The function returned gates a test on both
 * (needs()) and gives what was started, or undefined when the test is skipped.
 */
export function useTestEngine(prefix: string, needRegistry: boolean): (t: TestContext) => StartedEngine | undefined {
  let env: TestEngine | undefined;
  let engine: DockerEngine | undefined;
  let work = '';
  let missing: string | undefined;
  before(async () => {
    missing = await engineMissing(needRegistry);
    if (missing || !hasCorpus()) return;
    env = await startTestEngine(needRegistry);
    engine = await DockerEngine.connect(parseDockerHost(env.dockerHost, 'test'));
    work = mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  after(async () => {
    await env?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });
  return (t) =>
    needs(t, 'a Docker engine', !missing, missing ?? '') && needs(t, 'libonnx-testdata', hasCorpus(), 'apt-get install libonnx-testdata')
      ? { env: env!, engine: engine!, work }
      : undefined;
}
