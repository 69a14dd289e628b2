/**
 * Sets metadata props of an ONNX file without re-encoding it. ModelProto.metadata_props is the top-level repeated
 * field 14 (StringStringEntryProto { key = 1, value = 2 }); protobuf lets fields of a message come in any order and
 * a repeated field be split, so new entries are simply appended to the end of the file as encoded field-14 records.
 * When the file already holds entries with the same keys (a variant optimised again), the top-level fields are
 * copied by byte range without those entries, then the new ones are appended: the graph and the weights are
 * streamed through untouched, never decoded.
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';

const METADATA_PROPS = 14;
const utf8 = new TextEncoder();

/** A protobuf varint of a non-negative safe integer. */
function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

function lengthDelimited(field: number, payload: Uint8Array): Uint8Array {
  const head = [...varint(field * 8 + 2), ...varint(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

/** One ModelProto field 14 record holding a StringStringEntryProto. */
export function encodeMetadataEntry(key: string, value: string): Uint8Array {
  const k = lengthDelimited(1, utf8.encode(key));
  const v = lengthDelimited(2, utf8.encode(value));
  const entry = new Uint8Array(k.length + v.length);
  entry.set(k);
  entry.set(v, k.length);
  return lengthDelimited(METADATA_PROPS, entry);
}

/** A top-level field of the file: its number, where it starts and ends (key included). */
interface TopField {
  field: number;
  start: number;
  end: number;
  /** Payload range of a length-delimited field. */
  payload?: { start: number; end: number };
}

class FileCursor {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  private async byteAt(pos: number): Promise<number> {
    if (pos < this.bufStart || pos >= this.bufStart + this.buf.length) {
      const length = Math.min(64 * 1024, this.size - pos);
      if (length <= 0) throw new Error('truncated ONNX file: a field runs past the end');
      this.buf = Buffer.alloc(length);
      const { bytesRead } = await this.fh.read(this.buf, 0, length, pos);
      this.buf = this.buf.subarray(0, bytesRead);
      this.bufStart = pos;
      if (bytesRead === 0) throw new Error('truncated ONNX file: a field runs past the end');
    }
    return this.buf[pos - this.bufStart];
  }

  /** A varint at `pos`: its value (up to 2^53) and the position after it. */
  async varint(pos: number): Promise<{ value: number; next: number }> {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = await this.byteAt(pos + i);
      value += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return { value, next: pos + i + 1 };
    }
    throw new Error(`not an ONNX file: bad varint at offset ${pos}`);
  }

  async bytes(start: number, end: number): Promise<Buffer> {
    const out = Buffer.alloc(end - start);
    await this.fh.read(out, 0, out.length, start);
    return out;
  }
}

async function topLevelFields(cursor: FileCursor): Promise<TopField[]> {
  const fields: TopField[] = [];
  let pos = 0;
  while (pos < cursor.size) {
    const start = pos;
    const key = await cursor.varint(pos);
    const field = Math.floor(key.value / 8);
    const wire = key.value % 8;
    pos = key.next;
    let payload: TopField['payload'];
    if (field === 0) throw new Error(`not an ONNX file: field number 0 at offset ${start}`);
    if (wire === 0) pos = (await cursor.varint(pos)).next;
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const length = await cursor.varint(pos);
      payload = { start: length.next, end: length.next + length.value };
      pos = payload.end;
    } else throw new Error(`not an ONNX file: wire type ${wire} at offset ${start}`);
    if (pos > cursor.size)
      throw new Error(`truncated ONNX file: field ${field} at offset ${start} runs past the end (${cursor.size} bytes)`);
    fields.push({ field, start, end: pos, ...(payload ? { payload } : {}) });
  }
  return fields;
}

/** The key of an encoded StringStringEntryProto. */
function entryKey(entry: Buffer): string | undefined {
  let pos = 0;
  while (pos < entry.length) {
    let key = 0;
    let scale = 1;
    let b: number;
    do {
      b = entry[pos++];
      key += (b & 0x7f) * scale;
      scale *= 128;
    } while (b >= 0x80 && pos < entry.length);
    if (key % 8 !== 2) return undefined;
    let length = 0;
    scale = 1;
    do {
      b = entry[pos++];
      length += (b & 0x7f) * scale;
      scale *= 128;
    } while (b >= 0x80 && pos < entry.length);
    if (Math.floor(key / 8) === 1) return entry.subarray(pos, pos + length).toString('utf8');
    pos += length;
  }
  return undefined;
}

/**
 * Sets `entries` in the metadata props of the ONNX file at `path`, in place: an append when none of the keys is
 * there yet, else a rewrite into a temporary file beside it that replaces it. Throws on a file that is not a
 * well-formed protobuf message at the top level (a truncated file, say), leaving it as it was.
 */
export async function setMetadataProps(path: string, entries: Readonly<Record<string, string>>): Promise<void> {
  const keys = new Set(Object.keys(entries));
  const encoded = Buffer.concat(Object.entries(entries).map(([k, v]) => encodeMetadataEntry(k, v)));
  const fh = await open(path, 'r');
  let drop: TopField[];
  let fields: TopField[];
  try {
    const cursor = new FileCursor(fh, (await fh.stat()).size);
    fields = await topLevelFields(cursor);
    drop = [];
    for (const f of fields) {
      if (f.field !== METADATA_PROPS || !f.payload) continue;
      const key = entryKey(await cursor.bytes(f.payload.start, f.payload.end));
      if (key !== undefined && keys.has(key)) drop.push(f);
    }
    if (drop.length > 0) {
      const tmp = `${path}.meta-${process.pid}.tmp`;
      const out = await open(tmp, 'w');
      try {
        const chunk = Buffer.alloc(1 << 20);
        for (const f of fields) {
          if (drop.includes(f)) continue;
          for (let pos = f.start; pos < f.end;) {
            const n = Math.min(chunk.length, f.end - pos);
            const { bytesRead } = await fh.read(chunk, 0, n, pos);
            if (bytesRead === 0) throw new Error('the file changed while its metadata was being written');
            await out.write(chunk, 0, bytesRead);
            pos += bytesRead;
          }
        }
        await out.write(encoded);
      } catch (e) {
        await out.close();
        await rm(tmp, { force: true });
        throw e;
      }
      await out.close();
      await fh.close();
      await rename(tmp, path);
      return;
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
  const out = await open(path, 'a');
  try {
    await out.write(encoded);
  } finally {
    await out.close();
  }
}
