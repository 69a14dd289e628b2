import { promises as fsp } from 'node:fs';
import { maskedCrc32c } from './crc32c';

/**
 * TFRecord framing, as TensorFlow's record writer lays it out, one record after another:
 *   uint64 length (little endian) | uint32 masked CRC-32C of those 8 bytes | data[length] | uint32 masked CRC-32C of data
 * A file that a writer is still appending to may end inside a record ("torn"): reading stops before it,
 * and the next read starts there. A complete record whose CRC does not match is corrupt: it is skipped
 * and reported with its offset. After a corrupt length the reader looks for the next valid header.
 */

const HEADER = 12;
const FOOTER = 4;
const TWO_32 = 4294967296;
/** Records larger than this are stepped over unread (images, graphs): never a scalar, not worth the memory. */
const MAX_DECODED_RECORD = 64 * 1024 * 1024;

export interface TfRecordProblem {
  /** File offset of the record (or of the bad header). */
  offset: number;
  message: string;
}

export interface TfRecordScan {
  /** Where the next read should start: after the last record consumed (read, or skipped as corrupt). */
  offset: number;
  /** The file's size when it was read. */
  size: number;
  /** The file ends inside a record at `offset` (normal while a writer is appending). */
  torn: boolean;
  /** Records handed to the callback. */
  records: number;
  /** Corrupt records skipped. */
  problems: TfRecordProblem[];
}

export interface ReadTfRecordsOptions {
  /** File offset of the first record to read (a previous scan's `offset`). Default 0. */
  from?: number;
  /** Stop after this many records (e.g. 1, to read only the file's first event). */
  maxRecords?: number;
  chunkBytes?: number;
  signal?: AbortSignal;
}

/** Called with each intact record's data: buf[start, end) holds it, `offset` is the record's file offset. */
export type TfRecordHandler = (buf: Uint8Array, start: number, end: number, offset: number) => void;

/** Reads the records of `file` from `options.from` to its current end (streamed in chunks, never whole). */
export async function readTfRecords(file: string, onRecord: TfRecordHandler, options: ReadTfRecordsOptions = {}): Promise<TfRecordScan> {
  const handle = await fsp.open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const maxRecords = options.maxRecords ?? Infinity;
    let buf = new Uint8Array(Math.max(HEADER, Math.min(options.chunkBytes ?? 4 * 1024 * 1024, size)));
    let bufStart = 0; // file offset of buf[0]
    let bufEnd = 0; // file offset after the last byte held in buf

    /** Makes file bytes [at, at + n) available in buf; false when the file ends before at + n. */
    const ensure = async (at: number, n: number): Promise<boolean> => {
      if (at >= bufStart && at + n <= bufEnd) return true;
      if (at + n > size) return false;
      if (n > buf.length) buf = new Uint8Array(Math.max(n, buf.length * 2));
      // Keep the bytes from `at` that are already held, then fill the rest of buf.
      let kept = 0;
      if (at >= bufStart && at < bufEnd) {
        kept = bufEnd - at;
        buf.copyWithin(0, at - bufStart, bufEnd - bufStart);
      }
      bufStart = at;
      bufEnd = at + kept;
      const want = Math.min(buf.length, size - at);
      while (bufEnd - at < want) {
        options.signal?.throwIfAborted();
        const { bytesRead } = await handle.read(buf, bufEnd - at, want - (bufEnd - at), bufEnd);
        if (bytesRead === 0) break; // truncated under us
        bufEnd += bytesRead;
      }
      return at + n <= bufEnd;
    };

    const view = () => new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let dv = view();
    let pos = options.from ?? 0;
    let records = 0;
    let torn = false;
    const problems: TfRecordProblem[] = [];
    while (records < maxRecords && pos < size) {
      // The bytes are usually in buf already: test before paying for an await.
      if (!(pos >= bufStart && pos + HEADER <= bufEnd) && !(await ensure(pos, HEADER))) {
        torn = true;
        break;
      }
      if (dv.buffer !== buf.buffer) dv = view();
      let h = pos - bufStart;
      if (maskedCrc32c(buf, h, h + 8) !== dv.getUint32(h + 8, true)) {
        problems.push({ offset: pos, message: 'length CRC mismatch' });
        // Look for the next position holding a valid header.
        let next = pos + 1;
        for (;;) {
          if (!(await ensure(next, HEADER))) break;
          if (dv.buffer !== buf.buffer) dv = view();
          h = next - bufStart;
          if (maskedCrc32c(buf, h, h + 8) === dv.getUint32(h + 8, true)) break;
          next++;
        }
        pos = next;
        continue;
      }
      const length = dv.getUint32(h, true) + dv.getUint32(h + 4, true) * TWO_32;
      const total = HEADER + length + FOOTER;
      if (pos + total > size) {
        torn = true;
        break;
      }
      if (length > MAX_DECODED_RECORD) {
        pos += total;
        continue;
      }
      if (!(pos >= bufStart && pos + total <= bufEnd)) await ensure(pos, total);
      if (dv.buffer !== buf.buffer) dv = view();
      const d = pos - bufStart + HEADER;
      if (maskedCrc32c(buf, d, d + length) !== dv.getUint32(d + length, true)) {
        problems.push({ offset: pos, message: `data CRC mismatch in a record of ${length} bytes` });
      } else {
        onRecord(buf, d, d + length, pos);
        records++;
      }
      pos += total;
    }
    return { offset: pos, size, torn, records, problems };
  } finally {
    await handle.close();
  }
}
