import type { ChildProcess } from 'node:child_process';
import { appendFileSync, statSync } from 'node:fs';
import type { HostShell } from './hostShell';
import { shellQuote } from './shellQuote';

const RESTART_MS = 1000;

/**
 * Copies an append-only file of a remote run into the local run as it grows: `tail -c +N -F` over the connection,
 * only whole lines appended, so the local file is always a prefix of the remote one and its size is where to go on.
 * When the link drops, tail is started again (every second) from the local size: nothing is lost or doubled, across
 * a dropped link and across a restart of the process that follows it.
 */
export class RemoteFollower {
  private child: ChildProcess | undefined;
  private pending = Buffer.alloc(0);
  private closed = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly shell: HostShell,
    private readonly remoteFile: string,
    private readonly localFile: string,
    private readonly onLines?: (text: string) => void,
  ) {}

  /** Bytes already in the local copy. */
  get offset(): number {
    try {
      return statSync(this.localFile).size;
    } catch {
      return 0;
    }
  }

  start(): this {
    if (this.closed || this.child) return this;
    this.pending = Buffer.alloc(0);
    const child = this.shell.spawn(`exec tail -c +${this.offset + 1} -F -s 0.5 ${shellQuote(this.remoteFile)} 2>/dev/null`);
    this.child = child;
    child.stdin?.end();
    child.stderr?.resume();
    child.stdout?.on('data', (d: Buffer) => this.take(d, false));
    child.once('error', () => undefined);
    child.once('close', () => {
      if (this.child === child) this.child = undefined;
      if (!this.closed) this.timer = setTimeout(() => this.start(), RESTART_MS);
    });
    return this;
  }

  private take(d: Buffer, all: boolean): void {
    const buf = this.pending.length ? Buffer.concat([this.pending, d]) : d;
    const end = all ? buf.length : buf.lastIndexOf(0x0a) + 1;
    if (end > 0) {
      const whole = buf.subarray(0, end);
      appendFileSync(this.localFile, whole);
      try {
        this.onLines?.(whole.toString('utf8'));
      } catch {
        /* a listener's problem is not the copy's */
      }
    }
    this.pending = Buffer.from(buf.subarray(end));
  }

  /** Stops following (what was half a line stays remote, for catchUp). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    this.pending = Buffer.alloc(0);
  }

  /** After close(): copies whatever the remote file holds beyond the local copy, a last unterminated line too. */
  async catchUp(): Promise<boolean> {
    const r = await this.shell.exec(`tail -c +${this.offset + 1} ${shellQuote(this.remoteFile)} 2>/dev/null || true`, {
      timeoutMs: 120_000,
    });
    if (r.linkFailed) return false;
    if (r.stdout) this.take(Buffer.from(r.stdout, 'utf8'), true);
    return true;
  }
}
