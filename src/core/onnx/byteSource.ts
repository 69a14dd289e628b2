/**
 * Where the reader gets bytes from: a file handle (the normal case: only the bytes asked for are read) or
 * an in-memory buffer (tests, data already loaded). Positions are absolute offsets.
 */
import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { OnnxFormatError } from './onnxFormatError';

export interface ByteSource {
  readonly size: number;
  /** Reads up to `length` bytes at `position` into `into[offset..]`; returns how many were read (0 at end). */
  read(into: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /** The same, blocking; offered by sources that can (used only when the caller asks for synchronous I/O). */
  readSync?(into: Uint8Array, offset: number, length: number, position: number): number;
}

export function fileSource(handle: FileHandle, size: number): ByteSource {
  return {
    size,
    async read(into, offset, length, position) {
      const { bytesRead } = await handle.read(into, offset, length, position);
      return bytesRead;
    },
    readSync: (into, offset, length, position) => readSync(handle.fd, into, offset, length, position),
  };
}

export function bufferSource(bytes: Uint8Array): ByteSource {
  const readSync = (into: Uint8Array, offset: number, length: number, position: number): number => {
    const n = Math.max(0, Math.min(length, bytes.length - position));
    into.set(bytes.subarray(position, position + n), offset);
    return n;
  };
  return {
    size: bytes.length,
    read: (into, offset, length, position) => Promise.resolve(readSync(into, offset, length, position)),
    readSync,
  };
}

function endOfFile(position: number, done: number, length: number): OnnxFormatError {
  const at = position + done;
  return new OnnxFormatError(`unexpected end of file at offset ${at} while reading ${length} bytes from offset ${position}`, at);
}

/** readExactly, blocking: only for sources with readSync. */
export function readExactlySync(source: ByteSource, into: Uint8Array, offset: number, length: number, position: number): void {
  const read = source.readSync;
  if (read === undefined) throw new Error('this byte source cannot read synchronously');
  let done = 0;
  while (done < length) {
    const n = read(into, offset + done, length - done, position + done);
    if (n <= 0) throw endOfFile(position, done, length);
    done += n;
  }
}

/** Fills `into[offset, offset+length)` from `position`, looping over short reads; a premature end is an OnnxFormatError. */
export async function readExactly(source: ByteSource, into: Uint8Array, offset: number, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const n = await source.read(into, offset + done, length - done, position + done);
    if (n <= 0) throw endOfFile(position, done, length);
    done += n;
  }
}

/**
 * A window of the source kept in memory. `fill` reads small blocks after a jump (skipped tensor data) and
 * doubles them while reading sequentially, so walking many small messages is cheap and skipping large
 * payloads reads almost nothing.
 */
export class ByteWindow {
  buf: Uint8Array = new Uint8Array(0);
  /** Absolute offsets covered by `buf[0 .. end-start)`. */
  start = 0;
  end = 0;
  /** Bytes read from the source so far. */
  bytesRead = 0;
  private readSize: number;

  constructor(
    private readonly source: ByteSource,
    /** Read with readSync (no await, blocks the thread) when the source offers it. */
    private readonly sync = false,
    private readonly minRead = 4 * 1024,
    private readonly maxRead = 1024 * 1024,
  ) {
    this.readSize = minRead;
    if (sync && source.readSync === undefined) this.sync = false;
  }

  has(pos: number, n: number): boolean {
    return pos >= this.start && pos + n <= this.end;
  }

  /**
   * Makes [pos, pos+need) available. Returns a promise to await, or undefined when the bytes were read
   * synchronously (so the walker does not pay for an await it does not need).
   */
  fill(pos: number, need: number): Promise<void> | undefined {
    const sequential = pos >= this.start && pos <= this.end && this.end > 0;
    this.readSize = sequential ? Math.min(this.readSize * 2, this.maxRead) : this.minRead;
    const available = this.source.size - pos;
    if (need > available) {
      throw new OnnxFormatError(`${need} bytes needed at offset ${pos} exceed end of file at ${this.source.size}`, pos);
    }
    const size = Math.min(Math.max(need, this.readSize), available);
    // Bytes of the current window from `pos` on are kept (moved to the front), not read again.
    const keep = pos >= this.start && pos < this.end ? this.end - pos : 0;
    if (this.buf.length < size) {
      const bigger = new Uint8Array(Math.max(size, Math.min(this.maxRead, this.source.size)));
      if (keep > 0) bigger.set(this.buf.subarray(pos - this.start, pos - this.start + keep));
      this.buf = bigger;
    } else if (keep > 0) {
      this.buf.copyWithin(0, pos - this.start, pos - this.start + keep);
    }
    this.start = pos;
    this.end = pos; // invalid until the read completes
    this.bytesRead += size - keep;
    if (this.sync) {
      readExactlySync(this.source, this.buf, keep, size - keep, pos + keep);
      this.end = pos + size;
      return undefined;
    }
    return readExactly(this.source, this.buf, keep, size - keep, pos + keep).then(() => {
      this.end = pos + size;
    });
  }
}
