/**
 * The real test Docker engine (test/harness/dockerEngine.mjs) with the Python image built from this machine's python3
 * (pythonImage.mjs, nothing pulled), for system tests of docker targets.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<Record<string, unknown>>;
const harness = (name: string) => importEsm(pathToFileURL(path.join(REPO_ROOT, 'test', 'harness', name)).href);

export interface TestDockerEngine {
  dockerHost: string;
  socketPath: string;
  stop(): Promise<void>;
}

/** What is missing for a Docker engine with the Python image (one line), or undefined. */
export async function dockerPythonMissing(): Promise<string | undefined> {
  const d = ((await harness('dockerEngine.mjs')).dockerEngineMissing as (o: unknown) => string | undefined)({ needRegistry: false });
  const p = ((await harness('pythonImage.mjs')).pythonImageMissing as () => string | undefined)();
  let docker = '';
  try {
    docker = execFileSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).trim();
  } catch {
    /* below */
  }
  return [d, p, docker ? undefined : 'the docker CLI (docker.io) on PATH'].filter(Boolean).join('; ') || undefined;
}

/** Starts the engine and imports the Python image into it; stop the engine in `after`. */
export async function startDockerWithPython(): Promise<{ engine: TestDockerEngine; image: string }> {
  const engine = await ((await harness('dockerEngine.mjs')).startDockerEngine as (o: unknown) => Promise<TestDockerEngine>)({
    needRegistry: false,
  });
  const image = await ((await harness('pythonImage.mjs')).importPythonImage as (s: string) => Promise<string>)(engine.socketPath);
  return { engine, image };
}
