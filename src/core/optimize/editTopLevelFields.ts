/**
 * Edits the top level of a protobuf file (an ONNX ModelProto) without decoding what it does not touch: fields are
 * scanned by their keys and lengths, the ones `drop` picks are left out, every other one is copied by byte range
 * (the graph and the weights stream through untouched), and `append` is written at the end. Protobuf lets the
 * fields of a message come in any order and a repeated field be split, so appending a field is a valid edit.
 * An edit that drops nothing is a plain append to the file.
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';

/** A protobuf varint of a non-negative safe integer. */
export function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

export function lengthDelimited(field: number, payload: Uint8Array): Uint8Array {
  const head = [...varint(field * 8 + 2), ...varint(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

/** A top-level field of the file: its number, where it starts and ends (key included). */
export interface TopField {
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

/** The fields of a small encoded message: varints as numbers, length-delimited payloads as bytes. */
export function messageFields(bytes: Uint8Array): { field: number; value: number | Uint8Array }[] {
  const out: { field: number; value: number | Uint8Array }[] = [];
  let pos = 0;
  const read = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (pos >= bytes.length) throw new Error('truncated message');
      const b = bytes[pos++];
      value += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return value;
    }
  };
  while (pos < bytes.length) {
    const key = read();
    const wire = key % 8;
    const field = Math.floor(key / 8);
    if (wire === 0) out.push({ field, value: read() });
    else if (wire === 2) {
      const length = read();
      out.push({ field, value: bytes.subarray(pos, pos + length) });
      pos += length;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`wire type ${wire}`);
  }
  return out;
}

export interface TopLevelEdit {
  /** Whether to leave out a top-level field; `payload` reads a length-delimited field's bytes. */
  drop(field: number, payload: (() => Promise<Buffer>) | undefined): boolean | Promise<boolean>;
  /** Encoded fields to write at the end. */
  append: Uint8Array;
}

/**
 * Applies `edit` to the file at `path` in place (an append, or a rewrite into a temporary file beside it that then
 * replaces it). Throws on a file that is not a well-formed message at the top level, leaving it as it was.
 */
export async function editTopLevelFields(path: string, edit: TopLevelEdit): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const cursor = new FileCursor(fh, (await fh.stat()).size);
    const fields = await topLevelFields(cursor);
    const drop = new Set<TopField>();
    for (const f of fields) {
      const payload = f.payload ? () => cursor.bytes(f.payload!.start, f.payload!.end) : undefined;
      if (await edit.drop(f.field, payload)) drop.add(f);
    }
    if (drop.size > 0) {
      const tmp = `${path}.edit-${process.pid}.tmp`;
      const out = await open(tmp, 'w');
      try {
        const chunk = Buffer.alloc(1 << 20);
        for (const f of fields) {
          if (drop.has(f)) continue;
          for (let pos = f.start; pos < f.end;) {
            const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, f.end - pos), pos);
            if (bytesRead === 0) throw new Error('the file changed while it was being edited');
            await out.write(chunk, 0, bytesRead);
            pos += bytesRead;
          }
        }
        await out.write(edit.append);
        await out.close();
      } catch (e) {
        await out.close().catch(() => undefined);
        await rm(tmp, { force: true });
        throw e;
      }
      await fh.close();
      await rename(tmp, path);
      return;
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
  const out = await open(path, 'a');
  try {
    await out.write(edit.append);
  } finally {
    await out.close();
  }
}
