import { closeSync, openSync, readSync } from 'node:fs';

/** Poll delays: soon again after new data, backing off to MAX_DELAY_MS while the files are quiet. */
const MIN_DELAY_MS = 10;
const MAX_DELAY_MS = 100;
/** At most this much is read per file and poll, so a burst of output never holds the event loop for long. */
const MAX_READ_PER_POLL = 4 << 20;

interface Followed {
  fd: number;
  position: number;
  onData: (chunk: Buffer) => void;
}

/**
 * Follows files that another process appends to (a child's stdout and stderr opened on them) and
 * hands each new piece to its `onData`, in order. The writer never waits for the reader: its output
 * goes straight to the page cache, and the reader takes it in large pieces (up to 1 MiB per read)
 * on a short poll. That keeps a script that prints hundreds of thousands of lines as fast as it is
 * alone, where a pipe costs it a wake-up of ours and an event per line. The files are read in the
 * order given, in one poll, so lines of two streams written in the same few milliseconds keep
 * roughly the order they were written in.
 */
export class FileFollower {
  private readonly files: Followed[];
  private readonly buf = Buffer.allocUnsafe(1 << 20);
  private delay = MIN_DELAY_MS;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(files: Array<{ file: string; onData: (chunk: Buffer) => void }>) {
    this.files = [];
    try {
      for (const f of files) this.files.push({ fd: openSync(f.file, 'r'), position: 0, onData: f.onData });
    } catch (e) {
      for (const f of this.files) closeSync(f.fd);
      throw e;
    }
    this.schedule();
  }

  /** Reads everything written so far, stops following and closes the files. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    for (const f of this.files) {
      this.readAvailable(f, Infinity);
      closeSync(f.fd);
    }
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      let got = 0;
      for (const f of this.files) got += this.readAvailable(f, MAX_READ_PER_POLL);
      this.delay = got ? MIN_DELAY_MS : Math.min(this.delay * 2, MAX_DELAY_MS);
      if (!this.closed) this.schedule();
    }, this.delay);
    this.timer.unref();
  }

  /** Reads up to `limit` new bytes of `f`; returns how many were read. */
  private readAvailable(f: Followed, limit: number): number {
    let total = 0;
    while (total < limit) {
      let n: number;
      try {
        n = readSync(f.fd, this.buf, 0, this.buf.length, f.position);
      } catch {
        return total; // a local file open for reading: an error here leaves nothing to read
      }
      if (n === 0) break;
      f.position += n;
      total += n;
      f.onData(Buffer.from(this.buf.subarray(0, n)));
      if (n < this.buf.length) break;
    }
    return total;
  }
}
