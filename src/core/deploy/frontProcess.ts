/**
 * The front proxy as a process of its own (`mlw deploy front`), detached so the endpoint outlives the CLI and the
 * window; and its control client (status, switch), used by the deploy and the blue/green roll.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import * as path from 'node:path';
import { CONTROL_PATH, type FrontStatus } from './frontProxy';

export const FRONT_TOKEN_ENV = 'MLW_FRONT_TOKEN';

export const newToken = (): string => randomBytes(18).toString('base64url');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function call(endpoint: string, token: string, init: RequestInit = {}, timeoutMs = 5000): Promise<Response> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`the front proxy at ${endpoint} did not answer within ${timeoutMs} ms`)), timeoutMs);
  try {
    const res = await fetch(`${endpoint}${CONTROL_PATH}`, {
      ...init,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      signal: abort.signal,
    });
    await res.clone().arrayBuffer();
    return res;
  } finally {
    clearTimeout(timer);
  }
}

export async function frontStatus(endpoint: string, token: string): Promise<FrontStatus> {
  const res = await call(endpoint, token);
  if (!res.ok) throw new Error(`the front proxy at ${endpoint} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as FrontStatus;
}

export async function switchUpstream(endpoint: string, token: string, upstream: string): Promise<void> {
  const res = await call(endpoint, token, { method: 'PUT', body: JSON.stringify({ upstream }) });
  if (!res.ok) throw new Error(`the front proxy at ${endpoint} refused the switch to ${upstream}: ${res.status} ${await res.text()}`);
}

/** Waits until nothing is in flight to `upstream` through the proxy (the old container of a roll). */
export async function waitDrained(endpoint: string, token: string, upstream: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await frontStatus(endpoint, token);
    if (!s.inflight[upstream]) return true;
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
}

/**
 * Starts `node MLW deploy front --port P --upstream URL` detached (its log in LOG), and waits until it answers.
 * Resolves with its pid.
 */
export async function spawnFront(opts: {
  mlwScript: string;
  workspace: string;
  port: number;
  upstream: string;
  token: string;
  logFile: string;
  timeoutMs?: number;
}): Promise<number> {
  mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const fd = openSync(opts.logFile, 'a');
  let pid: number | undefined;
  try {
    const child = spawn(
      process.execPath,
      [opts.mlwScript, '--workspace', opts.workspace, 'deploy', 'front', '--port', String(opts.port), '--upstream', opts.upstream],
      { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, [FRONT_TOKEN_ENV]: opts.token } },
    );
    child.unref();
    pid = child.pid;
    let exited: number | null | undefined;
    child.once('exit', (code) => (exited = code));
    const endpoint = `http://127.0.0.1:${opts.port}`;
    const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
    for (;;) {
      if (exited !== undefined) throw new Error(`the front proxy exited (code ${exited}) before it listened; see ${opts.logFile}`);
      try {
        await frontStatus(endpoint, opts.token);
        break;
      } catch {
        if (Date.now() > deadline)
          throw new Error(`the front proxy did not listen on ${endpoint} within ${opts.timeoutMs ?? 15_000} ms; see ${opts.logFile}`);
        await sleep(50);
      }
    }
  } catch (e) {
    if (pid) process.kill(pid, 'SIGTERM');
    throw e;
  } finally {
    closeSync(fd);
  }
  return pid!;
}
