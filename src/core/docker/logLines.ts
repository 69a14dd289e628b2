/**
 * Container log streams: without a TTY the engine multiplexes stdout and stderr into frames with an 8-byte header
 * (byte 0: stream 1=stdout 2=stderr, bytes 4-7: big-endian payload length). This parser takes chunks in any
 * split and emits whole lines per stream; a TTY stream (no headers) is passed as stdout.
 */
export type LogStream = 'stdout' | 'stderr';

export class LogDemuxer {
  private pending: Buffer = Buffer.alloc(0);
  private partial: Record<LogStream, string> = { stdout: '', stderr: '' };

  constructor(
    private readonly onLine: (stream: LogStream, line: string) => void,
    private readonly multiplexed = true,
  ) {}

  push(chunk: Buffer): void {
    if (!this.multiplexed) return this.text('stdout', chunk.toString('utf8'));
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 8) {
      const kind = this.pending[0];
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const payload = this.pending.subarray(8, 8 + size);
      this.pending = this.pending.subarray(8 + size);
      this.text(kind === 2 ? 'stderr' : 'stdout', payload.toString('utf8'));
    }
  }

  /** Emits what is left (a last line without a newline). */
  end(): void {
    for (const s of ['stdout', 'stderr'] as const) {
      if (this.partial[s]) this.onLine(s, this.partial[s]);
      this.partial[s] = '';
    }
  }

  private text(stream: LogStream, text: string): void {
    const parts = (this.partial[stream] + text).split('\n');
    this.partial[stream] = parts.pop() ?? '';
    for (const p of parts) this.onLine(stream, p.replace(/\r$/, ''));
  }
}
