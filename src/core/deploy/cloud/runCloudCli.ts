/** Finds and runs a cloud CLI (aws, gcloud, az) with an argument array; never a shell. */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import * as path from 'node:path';
import { LogDemuxer } from '../../docker/logLines';

/** The executable `name` on PATH (with Windows' extensions), or undefined. */
export async function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const names = process.platform === 'win32' ? [`${name}.cmd`, `${name}.exe`, name] : [name];
  for (const dir of (env.PATH ?? env.Path ?? '').split(path.delimiter)) {
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

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `cli args…`; every non-empty stdout/stderr line goes to onLine as it comes. Resolves with the exit code
 * (never rejects for a non-zero exit); rejects when it cannot start, is cancelled, or outlives timeoutMs.
 */
export function runCloudCli(
  cli: string,
  args: string[],
  o: { cwd?: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal; onLine?: (line: string) => void; timeoutMs?: number } = {},
): Promise<CliResult> {
  const label = `${path.basename(cli)} ${args.slice(0, 3).join(' ')}`;
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(new Error(`${label} was cancelled`));
    const child = spawn(cli, args, { cwd: o.cwd, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let done = false;
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      f();
    };
    const onAbort = () => {
      child.kill('SIGTERM');
      finish(() => reject(new Error(`${label} was cancelled`)));
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const timeoutMs = o.timeoutMs ?? 0;
    const timer = setTimeout(
      () => {
        child.kill('SIGKILL');
        finish(() => reject(new Error(`${label} did not finish within ${Math.round(timeoutMs / 1000)} s`)));
      },
      timeoutMs > 0 ? timeoutMs : 2 ** 31 - 1,
    );
    const line = (_s: string, l: string) => (l.trim() ? o.onLine?.(l) : undefined);
    const out = new LogDemuxer(line, false);
    const err = new LogDemuxer(line, false);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
      out.push(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
      err.push(c);
    });
    child.on('error', (e: NodeJS.ErrnoException) =>
      finish(() => reject(new Error(e.code === 'ENOENT' ? `${path.basename(cli)} is not installed (not found at ${cli})` : e.message))),
    );
    child.on('close', (code) => {
      out.end();
      err.end();
      finish(() => resolve({ code: code ?? 1, stdout, stderr }));
    });
  });
}

/** The last meaningful lines a failed CLI call printed (its own error), for one error message. */
export function cliError(r: CliResult, max = 6): string {
  const lines = `${r.stderr}\n${r.stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.slice(-max).join('\n') || `exit ${r.code}, no output`;
}
