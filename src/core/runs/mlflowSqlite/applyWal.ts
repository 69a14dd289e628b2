/**
 * Folds the committed frames of an SQLite write-ahead log into a copy of the main database file,
 * as a reader would see it (SQLite file format, section 4 "The Write-Ahead Log"). MLflow opens its
 * SQLite store in WAL mode, so while a training script logs, its newest rows live in `mlflow.db-wal`.
 *
 * WAL header, 32 bytes of big-endian u32: magic (0x377f0682: checksum words little-endian,
 * 0x377f0683: big-endian), version, page size, checkpoint seq, salt-1, salt-2, checksum-1, checksum-2.
 * Each frame: 24-byte header (page number, database size in pages for a commit frame else 0, salt-1,
 * salt-2, checksum-1, checksum-2) then one page. A frame counts when its salts match the header's and
 * its checksum, cumulative from the header, matches; only frames up to the last valid commit apply.
 */

const MAGIC_LE = 0x377f0682;
const MAGIC_BE = 0x377f0683;
const WAL_HEADER = 32;
const FRAME_HEADER = 24;

/** Cumulative WAL checksum of buf[start, end) (a multiple of 8 bytes), continuing from s. */
function checksum(buf: Buffer, start: number, end: number, bigEndian: boolean, s: [number, number]): [number, number] {
  let s0 = s[0];
  let s1 = s[1];
  for (let i = start; i < end; i += 8) {
    const x0 = bigEndian ? buf.readUInt32BE(i) : buf.readUInt32LE(i);
    const x1 = bigEndian ? buf.readUInt32BE(i + 4) : buf.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}

export interface WalResult {
  /** The database image with the log's committed pages in place. */
  db: Buffer;
  /** Committed frames applied. */
  frames: number;
}

/**
 * The database as of the WAL's last commit. `db` is not modified unless the result needs no growth
 * (then it is written in place: pass a copy you own). A missing, empty or foreign log changes nothing.
 */
export function applyWal(db: Buffer, wal: Buffer | undefined): WalResult {
  if (!wal || wal.length < WAL_HEADER) return { db, frames: 0 };
  const magic = wal.readUInt32BE(0);
  if (magic !== MAGIC_LE && magic !== MAGIC_BE) return { db, frames: 0 };
  const bigEndian = magic === MAGIC_BE;
  const pageSize = wal.readUInt32BE(8);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return { db, frames: 0 };
  let sum = checksum(wal, 0, 24, bigEndian, [0, 0]);
  if (sum[0] !== wal.readUInt32BE(24) || sum[1] !== wal.readUInt32BE(28)) return { db, frames: 0 };
  const salt1 = wal.readUInt32BE(16);
  const salt2 = wal.readUInt32BE(20);

  // First pass: find the committed prefix; later frames of an open transaction are left out.
  const pending: Array<{ page: number; offset: number }> = [];
  const committed: Array<{ page: number; offset: number }> = [];
  let dbPages = 0;
  for (let off = WAL_HEADER; off + FRAME_HEADER + pageSize <= wal.length; off += FRAME_HEADER + pageSize) {
    const page = wal.readUInt32BE(off);
    const commitSize = wal.readUInt32BE(off + 4);
    if (page === 0 || wal.readUInt32BE(off + 8) !== salt1 || wal.readUInt32BE(off + 12) !== salt2) break;
    sum = checksum(wal, off, off + 8, bigEndian, sum);
    sum = checksum(wal, off + FRAME_HEADER, off + FRAME_HEADER + pageSize, bigEndian, sum);
    if (sum[0] !== wal.readUInt32BE(off + 16) || sum[1] !== wal.readUInt32BE(off + 20)) break;
    pending.push({ page, offset: off + FRAME_HEADER });
    if (commitSize !== 0) {
      for (const f of pending) committed.push(f);
      pending.length = 0;
      dbPages = commitSize;
    }
  }
  if (!committed.length) return { db, frames: 0 };
  const size = dbPages * pageSize;
  const out = size <= db.length ? db.subarray(0, size) : Buffer.concat([db, Buffer.alloc(size - db.length)]);
  for (const f of committed) {
    if (f.page > dbPages) continue;
    wal.copy(out, (f.page - 1) * pageSize, f.offset, f.offset + pageSize);
  }
  return { db: out, frames: committed.length };
}
