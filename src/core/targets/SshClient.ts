import { spawn, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SshEndpoint } from './targetTypes';

/** ssh's own exit status when it could not connect or the connection broke (the remote command's is passed through otherwise). */
export const SSH_LINK_FAILED = 255;

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** ssh could not reach the host, or the link broke (exit 255). */
  linkFailed: boolean;
}

export interface ExecOptions {
  /** Written to the remote command's stdin (then closed). */
  input?: string | Buffer | NodeJS.ReadableStream;
  timeoutMs?: number;
  signal?: AbortSignal;
}

function expandHome(p: string, base: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return path.resolve(base, p);
}

/**
 * A host reached through the system OpenSSH client, so that the user's ssh config, agent, ProxyJump and keys work
 * as in a terminal. Every call is an argument vector for `ssh`; the remote command is one string that callers build
 * with `shellCommand`/`shellQuote` only. Host keys are checked as the user's config says (StrictHostKeyChecking is
 * never turned off); BatchMode makes a missing key or an unknown host fail at once instead of prompting.
 */
export class SshClient {
  constructor(
    readonly endpoint: SshEndpoint,
    /** Where relative `sshConfig`/`identityFile` paths are resolved (the workspace). */
    private readonly base: string = process.cwd(),
    /** A private folder for the ControlMaster socket when `endpoint.controlMaster`. */
    private readonly controlDir: string = os.tmpdir(),
  ) {}

  /** A label for messages: `user@host:port`. */
  get label(): string {
    const e = this.endpoint;
    return `${e.user ? `${e.user}@` : ''}${e.host}${e.port ? `:${e.port}` : ''}`;
  }

  /** The options before the destination, shared by ssh, and by rsync's `-e`. */
  options(): string[] {
    const e = this.endpoint;
    const args: string[] = [];
    if (e.sshConfig) args.push('-F', expandHome(e.sshConfig, this.base));
    if (e.port) args.push('-p', String(e.port));
    if (e.user) args.push('-l', e.user);
    if (e.identityFile) args.push('-i', expandHome(e.identityFile, this.base));
    args.push(
      '-o',
      'BatchMode=yes',
      '-o',
      `ConnectTimeout=${e.connectTimeout ?? 10}`,
      '-o',
      'ServerAliveInterval=2',
      '-o',
      'ServerAliveCountMax=3',
      '-o',
      'LogLevel=ERROR',
    );
    if (e.controlMaster) {
      args.push('-o', 'ControlMaster=auto', '-o', `ControlPath=${path.join(this.controlDir, 'mlw-ssh-%C')}`, '-o', 'ControlPersist=60');
    }
    return args;
  }

  /** `ssh [options] -- host command`: the argument vector for a remote command line. */
  argv(command: string): string[] {
    return [...this.options(), '--', this.endpoint.host, command];
  }

  /** Starts `ssh host command` with pipes; the caller reads its streams. */
  spawn(command: string): ChildProcess {
    return spawn('ssh', this.argv(command), { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
  }

  /** Runs a remote command line and collects its output. Never rejects for a failing command or link: see `code`/`linkFailed`. */
  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return runCollect('ssh', this.argv(command), options);
  }
}

/** Runs a program (no shell), feeding `input`, collecting stdout and stderr. */
export function runCollect(program: string, args: string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let settled = false;
    const finish = (code: number | null, extraErr = '') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      const stderr = Buffer.concat(err).toString('utf8') + extraErr;
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr,
        linkFailed: program === 'ssh' && (code === SSH_LINK_FAILED || code === null),
      });
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(null, `\n${program} timed out after ${options.timeoutMs} ms`);
    }, options.timeoutMs ?? 60_000);
    const onAbort = () => {
      child.kill('SIGKILL');
      finish(null, `\n${program} was cancelled`);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.once('error', (e) => finish(null, `\ncannot start ${program}: ${e.message}`));
    child.once('close', (code) => finish(code));
    child.stdin.on('error', () => undefined); // the command may exit without reading
    const input = options.input;
    if (input === undefined) child.stdin.end();
    else if (typeof input === 'string' || Buffer.isBuffer(input)) child.stdin.end(input);
    else {
      input.once('error', (e: Error) => {
        err.push(Buffer.from(`\n${e.message}`));
        child.stdin.destroy();
        child.kill('SIGTERM');
      });
      input.pipe(child.stdin);
    }
  });
}
