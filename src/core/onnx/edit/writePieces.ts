/**
 * Streams pieces to a file: encoded bytes and keys go through a 1 MiB buffer, copied ranges are read from the
 * source in chunks of at most that size, so memory stays flat whatever the size of the weights.
 */
import type { FileHandle } from 'node:fs/promises';
import { ProtobufWriter } from '../../protobuf/protobufWriter';
import type { Piece } from './splicePieces';

const CHUNK = 1024 * 1024;

export interface PieceWriteOptions {
  signal?: AbortSignal;
}

/** Writes `pieces` to `out` (from its current end, position 0 onward) reading copies from `source`; returns bytes written. */
export async function writePieces(
  pieces: readonly Piece[],
  source: FileHandle,
  out: FileHandle,
  options: PieceWriteOptions = {},
): Promise<number> {
  const buf = new Uint8Array(CHUNK);
  let used = 0;
  let written = 0;
  const flush = async (): Promise<void> => {
    let done = 0;
    while (done < used) {
      const { bytesWritten } = await out.write(buf, done, used - done, written + done);
      done += bytesWritten;
    }
    written += used;
    used = 0;
  };
  const put = async (bytes: Uint8Array): Promise<void> => {
    let at = 0;
    while (at < bytes.length) {
      if (used === CHUNK) await flush();
      const n = Math.min(CHUNK - used, bytes.length - at);
      buf.set(bytes.subarray(at, at + n), used);
      used += n;
      at += n;
    }
  };
  const copy = async (offset: number, length: number): Promise<void> => {
    let done = 0;
    while (done < length) {
      if (used === CHUNK) await flush();
      options.signal?.throwIfAborted();
      const want = Math.min(CHUNK - used, length - done);
      const { bytesRead } = await source.read(buf, used, want, offset + done);
      if (bytesRead <= 0) throw new Error(`the model file ended at offset ${offset + done} while copying ${length} bytes from ${offset}`);
      used += bytesRead;
      done += bytesRead;
    }
  };
  const header = (field: number, size: number): Uint8Array => new ProtobufWriter().key(field, 2).rawVarint(size).finish();
  const stack: { parts: readonly Piece[]; i: number }[] = [{ parts: pieces, i: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.i >= top.parts.length) {
      stack.pop();
      continue;
    }
    const p = top.parts[top.i++];
    if (p.kind === 'copy') await copy(p.offset, p.length);
    else if (p.kind === 'bytes') await put(p.bytes);
    else if (p.kind === 'lazy') {
      options.signal?.throwIfAborted();
      await put(await p.produce());
    } else {
      await put(header(p.field, p.size));
      stack.push({ parts: p.parts, i: 0 });
    }
  }
  await flush();
  return written;
}
