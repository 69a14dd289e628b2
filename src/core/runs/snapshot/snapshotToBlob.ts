import * as path from 'node:path';
import { constants as fsConstants, promises as fsp, type BigIntStats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { sha256File } from '../../sha256File';
import { BLOB_TMP_FOLDER, blobExtension, blobRelative } from './blobPaths';

/**
 * How a snapshot was made:
 * - `reflink`: a copy-on-write clone (btrfs, XFS with reflink, bcachefs, ZFS block cloning, APFS): instant,
 *   no extra space, and the clone keeps its bytes whatever later happens to the source;
 * - `hardlink`: a second name for the same file, only for files the run owns (its `artifacts/` folder), which are
 *   always replaced (written to a temporary file, then renamed) and never rewritten in place;
 * - `copy`: a full copy, when the filesystem cannot clone;
 * - `existing`: the store already held these bytes (deduplicated by sha256), nothing new was kept.
 */
export type SnapshotMethod = 'reflink' | 'hardlink' | 'copy' | 'existing';

export interface BlobSnapshot {
  sha256: string;
  size: number;
  /** Absolute path of the blob. */
  file: string;
  /** Path of the blob relative to the blobs folder ('/'-joined). */
  relative: string;
  method: SnapshotMethod;
  /** How the bytes were taken before deduplication (what `existing` replaced). */
  taken: Exclude<SnapshotMethod, 'existing'>;
}

export interface SnapshotToBlobOptions {
  /**
   * Allow a hard link. Only for files nobody rewrites in place: a hard link shares the file, so a later
   * `open(path, 'wb')` on the source would change the snapshot too. Workspace files are never linked.
   */
  allowHardLink?: boolean;
  signal?: AbortSignal;
}

/** Takes the bytes of `source` into `tmp`: a clone where the filesystem can, else a hard link (when allowed), else a copy. */
async function take(source: string, tmp: string, allowHardLink: boolean): Promise<BlobSnapshot['taken']> {
  try {
    await fsp.copyFile(source, tmp, fsConstants.COPYFILE_FICLONE_FORCE | fsConstants.COPYFILE_EXCL);
    return 'reflink';
  } catch {
    await fsp.rm(tmp, { force: true }); // no clone here (ext4, overlayfs, tmpfs, another filesystem): fall back
  }
  if (allowHardLink) {
    try {
      await fsp.link(source, tmp);
      return 'hardlink';
    } catch {
      await fsp.rm(tmp, { force: true });
    }
  }
  await fsp.copyFile(source, tmp, fsConstants.COPYFILE_EXCL); // the real error (missing source, no space) surfaces here
  return 'copy';
}

/**
 * The sha256 of the bytes kept in `tmp`. A clone's or copy's pages are not in the page cache yet, the source's
 * usually are (the script just wrote it): the source is hashed, and taken as the kept bytes' hash only when it
 * did not change (same file, size and mtime) from before the bytes were taken until after it was hashed.
 */
async function hashKept(
  source: string,
  tmp: string,
  taken: BlobSnapshot['taken'],
  before: BigIntStats,
  signal?: AbortSignal,
): Promise<{ sha256: string; size: number }> {
  if (taken === 'hardlink') return sha256File(tmp, signal); // the same file
  const digest = await sha256File(source, signal);
  const after = await fsp.stat(source, { bigint: true }).catch(() => undefined);
  const same = after && after.ino === before.ino && after.size === before.size && after.mtimeNs === before.mtimeNs;
  return same && digest.size === Number(before.size) ? digest : sha256File(tmp, signal);
}

/**
 * Snapshots `source` into the content-addressed store `blobsDir` (`sha256/ab/cdef…<ext>`), read-only (0444).
 * The bytes are taken first and their hash checked afterwards (see hashKept), so the recorded sha256 is always
 * that of the kept bytes, even when the source changes meanwhile. Identical bytes are kept once.
 */
export async function snapshotToBlob(source: string, blobsDir: string, options: SnapshotToBlobOptions = {}): Promise<BlobSnapshot> {
  const st = await fsp.stat(source);
  if (!st.isFile()) throw new Error(`Not a file: ${source}`);
  const tmpDir = path.join(blobsDir, BLOB_TMP_FOLDER);
  await fsp.mkdir(tmpDir, { recursive: true });
  const tmp = path.join(tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    const before = await fsp.stat(source, { bigint: true });
    const taken = await take(source, tmp, options.allowHardLink === true);
    const { sha256, size } = await hashKept(source, tmp, taken, before, options.signal);
    const relative = blobRelative(sha256, blobExtension(source));
    const file = path.join(blobsDir, ...relative.split('/'));
    await fsp.chmod(tmp, 0o444);
    const existing = await fsp.lstat(file).catch(() => undefined);
    if (existing?.isFile() && existing.size === size) return { sha256, size, file, relative, method: 'existing', taken };
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await fsp.rename(tmp, file); // atomic: readers see no blob or the whole blob
    return { sha256, size, file, relative, method: taken, taken };
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}
