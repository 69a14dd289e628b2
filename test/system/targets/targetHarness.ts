/**
 * Loads test/harness/slurmCluster.mjs and sshServer.mjs (ES modules) from the compiled CommonJS tests, and a
 * throwaway git workspace with a small training script that logs through the shipped helper.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');

export interface TestCluster {
  dir: string;
  conf: string;
  env: { SLURM_CONF: string };
  node: string;
  partition: string;
  stop(): Promise<void>;
}

export interface TestSshServer {
  host: string;
  port: number;
  configFile: string;
  identityFile: string;
  knownHosts: string;
  dir: string;
  start(): Promise<void>;
  drop(): Promise<void>;
  stop(): Promise<void>;
}

const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<Record<string, unknown>>;
const harness = (name: string) => importEsm(pathToFileURL(path.join(REPO_ROOT, 'test', 'harness', name)).href);

export async function clusterMissing(): Promise<string | undefined> {
  const slurm = (await harness('slurmCluster.mjs')).slurmClusterMissing as () => string | undefined;
  const ssh = (await harness('sshServer.mjs')).sshServerMissing as () => string | undefined;
  const missing = [slurm(), ssh()].filter(Boolean);
  return missing.length ? missing.join('; ') : undefined;
}

export async function startCluster(): Promise<TestCluster> {
  return ((await harness('slurmCluster.mjs')).startSlurmCluster as () => Promise<TestCluster>)();
}

export async function startSsh(env: Record<string, string>): Promise<TestSshServer> {
  return ((await harness('sshServer.mjs')).startSshServer as (o: unknown) => Promise<TestSshServer>)({ env });
}

/** A training script: `--steps N --sleep S`, logs loss per step, prints the MARK line, writes model.pt. */
export const TRAIN_PY = `import argparse, time
import mlw_run
from settings import MARK
p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=5)
p.add_argument("--sleep", type=float, default=0.1)
a = p.parse_args()
print("mark=" + MARK, flush=True)
for i in range(a.steps):
    mlw_run.log_metric("loss", 1.0 / (i + 1), step=i)
    time.sleep(a.sleep)
with open("model.pt", "wb") as f:
    f.write(b"weights" * 100)
print("done", flush=True)
`;

/** A git workspace holding train.py and settings.py (committed), then settings.py changed without a commit. */
export function trainingWorkspace(): string {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'mlw-targets-ws-'));
  writeFileSync(path.join(ws, 'train.py'), TRAIN_PY);
  writeFileSync(path.join(ws, 'settings.py'), 'MARK = "committed"\n');
  writeFileSync(path.join(ws, '.gitignore'), '.mlw/runs/\n.mlw/blobs/\n');
  const git = (...a: string[]) =>
    execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=T', '-c', 'commit.gpgsign=false', ...a], { cwd: ws });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'training');
  writeFileSync(path.join(ws, 'settings.py'), 'MARK = "patched"\n');
  return ws;
}

/** Polls `check` every 100 ms until it gives a truthy value, which it returns; fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
