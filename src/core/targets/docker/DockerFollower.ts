import { appendFileSync, statSync } from 'node:fs';
import type Docker from 'dockerode';

const RESTART_MS = 1000;

/**
 * Copies an append-only file of a running container into the local run as it grows: `tail -c +N -F` exec'd in the
 * container, its stdout frames demultiplexed, only whole lines appended, so the local file is always a prefix of the
 * container's and its size is where to go on. A broken stream (link down) is started again every second from the
 * local size. The end of the file is copied from the container's archive once the run has ended.
 */
export class DockerFollower {
  private stream: NodeJS.ReadableStream | undefined;
  private pending: Buffer = Buffer.alloc(0);
  private frames: Buffer = Buffer.alloc(0);
  private closed = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly container: Docker.Container,
    private readonly remoteFile: string,
    private readonly localFile: string,
    private readonly onLines?: (text: string) => void,
  ) {}

  get offset(): number {
    try {
      return statSync(this.localFile).size;
    } catch {
      return 0;
    }
  }

  start(): this {
    if (this.closed || this.stream) return this;
    void this.open().catch(() => this.again());
    return this;
  }

  private again(): void {
    this.stream = undefined;
    if (!this.closed) this.timer = setTimeout(() => this.start(), RESTART_MS);
  }

  private async open(): Promise<void> {
    this.pending = Buffer.alloc(0);
    this.frames = Buffer.alloc(0);
    const exec = await this.container.exec({
      Cmd: ['tail', '-c', `+${this.offset + 1}`, '-F', this.remoteFile],
      AttachStdout: true,
      AttachStderr: false,
    });
    if (this.closed) return;
    const stream = (await exec.start({ hijack: false, stdin: false } as Docker.ExecStartOptions)) as NodeJS.ReadableStream & {
      destroy?: () => void;
    };
    if (this.closed) {
      stream.destroy?.();
      return;
    }
    this.stream = stream;
    stream.on('data', (d: Buffer) => this.frame(d));
    stream.once('error', () => undefined);
    stream.once('close', () => {
      if (this.stream === stream) this.again();
    });
  }

  /** Engine frames: 8-byte header (stream type, size), then the payload; stdout (1) only. */
  private frame(d: Buffer): void {
    this.frames = this.frames.length ? Buffer.concat([this.frames, d]) : d;
    while (this.frames.length >= 8) {
      const size = this.frames.readUInt32BE(4);
      if (this.frames.length < 8 + size) break;
      if (this.frames[0] === 1) this.take(this.frames.subarray(8, 8 + size));
      this.frames = this.frames.subarray(8 + size);
    }
  }

  private take(d: Buffer): void {
    const buf = this.pending.length ? Buffer.concat([this.pending, d]) : d;
    const end = buf.lastIndexOf(0x0a) + 1;
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

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const s = this.stream as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
    this.stream = undefined;
    s?.destroy?.();
    this.pending = Buffer.alloc(0);
  }
}
