/**
 * The minimal zip reader a PyTorch checkpoint needs: the central directory (ZIP64 too), and where each entry's
 * bytes are, read from its local header. Only stored (uncompressed) entries can be read: torch.save writes every
 * entry stored, with its storages 64-byte aligned, so a storage's bytes can be read in place, lazily.
 */
import type { FileHandle } from 'node:fs/promises';
import { WeightsFormatError } from './weightsFormatError';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated, ... */
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** Central directories larger than this are refused (a checkpoint with ~1M entries is ~100 MB). */
const MAX_DIRECTORY = 256 * 1024 * 1024;

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, done, length - done, position + done);
    if (bytesRead === 0) throw new WeightsFormatError(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
  return buf;
}

const u64 = (b: Buffer, at: number): number => {
  const v = b.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new WeightsFormatError(`zip field at ${at} is too large`);
  return Number(v);
};

/** True when the first bytes are a zip local file header (or an empty archive). */
export function looksLikeZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5) && (head[3] === 4 || head[3] === 6);
}

/** Every entry of the central directory, in order. */
export async function readZipDirectory(handle: FileHandle, fileSize: number): Promise<ZipEntry[]> {
  const tailLength = Math.min(fileSize, 22 + 65535 + 20);
  const tail = await readAt(handle, fileSize - tailLength, tailLength);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new WeightsFormatError('not a zip archive (no end of central directory record)');
  let count = tail.readUInt16LE(at + 10);
  let size = tail.readUInt32LE(at + 12);
  let offset = tail.readUInt32LE(at + 16);
  if ((count === 0xffff || size === 0xffffffff || offset === 0xffffffff) && at >= 20 && tail.readUInt32LE(at - 20) === ZIP64_LOCATOR) {
    const eocd64 = await readAt(handle, u64(tail, at - 20 + 8), 56);
    if (eocd64.readUInt32LE(0) !== ZIP64_EOCD) throw new WeightsFormatError('broken ZIP64 end of central directory record');
    count = u64(eocd64, 32);
    size = u64(eocd64, 40);
    offset = u64(eocd64, 48);
  }
  if (size > MAX_DIRECTORY || offset + size > fileSize) {
    throw new WeightsFormatError(`zip central directory (${size} bytes at ${offset}) does not fit the file of ${fileSize} bytes`);
  }
  const dir = await readAt(handle, offset, size);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > dir.length || dir.readUInt32LE(p) !== CENTRAL) throw new WeightsFormatError(`broken zip central directory entry ${i}`);
    const method = dir.readUInt16LE(p + 10);
    let compressedSize = dir.readUInt32LE(p + 20);
    let entrySize = dir.readUInt32LE(p + 24);
    const nameLength = dir.readUInt16LE(p + 28);
    const extraLength = dir.readUInt16LE(p + 30);
    const commentLength = dir.readUInt16LE(p + 32);
    let localHeaderOffset = dir.readUInt32LE(p + 42);
    const name = dir.toString('utf8', p + 46, p + 46 + nameLength);
    // ZIP64 extended information: the 0xffffffff fields, in this order.
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = dir.readUInt16LE(e);
      const length = dir.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (entrySize === 0xffffffff) {
          entrySize = u64(dir, q);
          q += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = u64(dir, q);
          q += 8;
        }
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = u64(dir, q);
      }
      e += 4 + length;
    }
    entries.push({ name, method, compressedSize, size: entrySize, localHeaderOffset });
    p = extraEnd + commentLength;
  }
  return entries;
}

/** Where a stored entry's bytes start (after its local header, whose extra field may differ from the central one). */
export async function entryDataOffset(handle: FileHandle, entry: ZipEntry, fileSize: number): Promise<number> {
  const header = await readAt(handle, entry.localHeaderOffset, 30);
  if (header.readUInt32LE(0) !== LOCAL) throw new WeightsFormatError(`broken zip local header of '${entry.name}'`);
  const start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (start + entry.compressedSize > fileSize) throw new WeightsFormatError(`zip entry '${entry.name}' runs past the end of the file`);
  return start;
}

/** A stored entry's bytes, whole (for small entries such as data.pkl). */
export async function readStoredEntry(handle: FileHandle, entry: ZipEntry, fileSize: number, maxBytes: number): Promise<Buffer> {
  if (entry.method !== 0)
    throw new WeightsFormatError(`zip entry '${entry.name}' is compressed (method ${entry.method}); only stored entries are read`);
  if (entry.size > maxBytes)
    throw new WeightsFormatError(`zip entry '${entry.name}' holds ${entry.size} bytes, more than the limit of ${maxBytes}`);
  return readAt(handle, await entryDataOffset(handle, entry, fileSize), entry.size);
}
