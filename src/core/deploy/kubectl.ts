/** kubectl from PATH: apply manifests to the current context and follow a Deployment's rollout. */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import * as path from 'node:path';
import { LogDemuxer } from '../docker/logLines';

/** The kubectl executable on PATH, or undefined. */
export async function findKubectl(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const names = process.platform === 'win32' ? ['kubectl.exe', 'kubectl'] : ['kubectl'];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const n of names) {
      const file = path.join(dir, n);
      try {
        await access(file, constants.X_OK);
        return file;
      } catch {
        /* not here */
      }
    }
  }
  return undefined;
}

/** Runs kubectl with an argument array; lines go to onLog; rejects with the output when it exits non-zero. */
export function runKubectl(
  kubectl: string,
  args: string[],
  opts: { signal?: AbortSignal; onLog?: (line: string) => void } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(kubectl, args, { stdio: ['ignore', 'pipe', 'pipe'], signal: opts.signal });
    const out: string[] = [];
    const onLine = (_stream: string, line: string) => {
      if (!line.trim()) return;
      out.push(line);
      opts.onLog?.(line);
    };
    // One line splitter per pipe: a line cut across two chunks comes out whole.
    const stdout = new LogDemuxer(onLine, false);
    const stderr = new LogDemuxer(onLine, false);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (e) => reject(opts.signal?.aborted ? new Error(`kubectl ${args[0]} was cancelled`) : e));
    child.on('close', (code) => {
      stdout.end();
      stderr.end();
      if (code === 0) resolve(out.join('\n'));
      else reject(new Error(`kubectl ${args.join(' ')} failed (exit ${code}):\n${out.slice(-20).join('\n')}`));
    });
  });
}

export async function applyManifests(opts: {
  kubectl: string;
  file: string;
  signal?: AbortSignal;
  onLog?: (line: string) => void;
}): Promise<void> {
  await runKubectl(opts.kubectl, ['apply', '-f', opts.file], opts);
}

export async function rolloutStatus(opts: {
  kubectl: string;
  name: string;
  timeoutSeconds: number;
  signal?: AbortSignal;
  onLog?: (line: string) => void;
}): Promise<void> {
  await runKubectl(opts.kubectl, ['rollout', 'status', `deployment/${opts.name}`, `--timeout=${opts.timeoutSeconds}s`], opts);
}
