/**
 * A synchronous protobuf wire-format reader over a byte range.
 *
 * Offsets are absolute: `buf[0]` sits at offset `base` of the underlying file, so a window of a large file
 * and a whole in-memory message are read the same way and errors name the real file offset.
 * `end` is the end of the current message (what lengths are checked against); `limit` is how far the bytes
 * in `buf` reach (never past `end`). Every read is bounds-checked before it happens; nothing is allocated
 * by a length that has not been checked against the bytes that remain.
 *
 * Generic over the schema: the ONNX reader (src/core/onnx/protobufReader.ts) and the TensorBoard event
 * reader both walk messages with it. Errors are `ProtobufFormatError`s unless a subclass overrides
 * `formatError` (ONNX throws its own `OnnxFormatError`).
 */
import { ProtobufFormatError } from './protobufFormatError';

export const WireType = {
  Varint: 0,
  Fixed64: 1,
  LengthDelimited: 2,
  StartGroup: 3,
  EndGroup: 4,
  Fixed32: 5,
} as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

/** An int64/uint64 value: a number when it is a safe integer, else a bigint. */
export type Int64 = number | bigint;

const TWO_32 = 4294967296;
const utf8 = new TextDecoder('utf-8');

export class ProtobufReader {
  /** Absolute offset of the next byte to read. */
  pos: number;
  /** Absolute end of the message being read. */
  end: number;
  /** Absolute end of the bytes available in `buf` (<= end). */
  limit: number;
  /** How errors name `end`: the walker says "end of file" for the top-level message. */
  endName = 'end of message';
  /** High 32 bits of the last varint read by varint64(). */
  private hi = 0;
  private view: DataView;

  constructor(
    public buf: Uint8Array,
    public base = 0,
    start = base,
    end = base + buf.length,
  ) {
    this.pos = start;
    this.end = end;
    this.limit = Math.min(end, base + buf.length);
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Points the reader at new bytes (a refilled window) without allocating. */
  reset(buf: Uint8Array, base: number, pos: number, end: number): void {
    if (buf !== this.buf) this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.buf = buf;
    this.base = base;
    this.pos = pos;
    this.end = end;
    this.limit = Math.min(end, base + buf.length);
  }

  /** The error thrown for malformed bytes at `offset`; subclasses give their format's own error. */
  protected formatError(message: string, offset: number): Error {
    return new ProtobufFormatError(message, offset);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  /**
   * Reads a field key; returns `field * 8 + wireType` as a non-negative number. Rejects field 0, field
   * numbers above protobuf's maximum (2^29 - 1) and wire types 6 and 7.
   */
  tag(): number {
    const at = this.pos;
    const value = this.varint32();
    const wireType = value & 7;
    if (value < 8) throw this.formatError(`invalid field number 0 at offset ${at}`, at);
    if (value >= 2 ** 32) throw this.formatError(`field number ${Math.floor(value / 8)} too large at offset ${at}`, at);
    if (wireType > 5) throw this.formatError(`invalid wire type ${wireType} at offset ${at}`, at);
    return value;
  }

  /** An unsigned varint of at most 5 bytes used for tags (value < 2^32), as a non-negative number. */
  private varint32(): number {
    const at = this.pos;
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const byte = this.byte(at);
      result += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return result;
      shift += 7;
    }
    throw this.formatError(`field key longer than 5 bytes at offset ${at}`, at);
  }

  private byte(start: number): number {
    const p = this.pos;
    if (p >= this.limit) {
      const where = this.limit === this.end ? this.endName : 'available data';
      throw this.formatError(`truncated varint at offset ${start}: ${where} at ${this.limit}`, start);
    }
    this.pos = p + 1;
    return this.buf[p - this.base];
  }

  /**
   * Reads a varint of up to 10 bytes as two 32-bit halves. Returns the low half in the result and leaves the
   * high half in `this.hi` (avoids allocating a pair per call on the hot path).
   */
  private varint64(): number {
    const at = this.pos;
    let lo = 0;
    let hi = 0;
    let byte = 0;
    // Bytes 0-3: bits 0..27 of lo.
    for (let shift = 0; shift < 28; shift += 7) {
      byte = this.byte(at);
      lo |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.hi = 0;
        return lo >>> 0;
      }
    }
    // Byte 4: bits 28..31 of lo, bits 0..2 of hi.
    byte = this.byte(at);
    lo |= (byte & 0x0f) << 28;
    hi = (byte & 0x7f) >> 4;
    if (byte >= 0x80) {
      let i = 5;
      for (let shift = 3; ; shift += 7) {
        byte = this.byte(at);
        if (shift < 32) hi |= (byte & 0x7f) << shift;
        i++;
        if (byte < 0x80) break;
        if (i === 10) throw this.formatError(`varint longer than 10 bytes at offset ${at}`, at);
      }
    }
    this.hi = hi >>> 0;
    return lo >>> 0;
  }

  /** uint64: a number when below 2^53, else a bigint. */
  uint64(): Int64 {
    const lo = this.varint64();
    const hi = this.hi;
    if (hi < 0x200000) return hi * TWO_32 + lo;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** int64 (two's complement): a number when it is a safe integer, else a bigint. */
  int64(): Int64 {
    const lo = this.varint64();
    const hi = this.hi;
    if (hi < 0x200000) return hi * TWO_32 + lo;
    if (hi >= 0xffe00000) {
      // Negative with magnitude below 2^53: -(2^64 - value).
      const value = (hi - 0x100000000) * TWO_32 + lo;
      if (Number.isSafeInteger(value)) return value;
    }
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
  }

  /** int32/enum: protobuf keeps the low 32 bits of the (possibly 10-byte) varint, signed. */
  int32(): number {
    return this.varint64() | 0;
  }

  /** uint32: the low 32 bits, unsigned. */
  uint32(): number {
    return this.varint64();
  }

  bool(): boolean {
    const lo = this.varint64();
    return lo !== 0 || this.hi !== 0;
  }

  private need(n: number, what: string): number {
    const p = this.pos;
    if (p + n > this.end) {
      throw this.formatError(`${what} of ${n} bytes at offset ${p} exceeds ${this.endName} at ${this.end}`, p);
    }
    if (p + n > this.limit) {
      throw this.formatError(`${what} of ${n} bytes at offset ${p} exceeds available data at ${this.limit}`, p);
    }
    this.pos = p + n;
    return p - this.base;
  }

  fixed32(): number {
    const i = this.need(4, 'fixed32');
    const b = this.buf;
    return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16)) + b[i + 3] * 0x1000000;
  }

  float(): number {
    const i = this.need(4, 'float');
    return this.view.getFloat32(i, true);
  }

  fixed64(): Int64 {
    const i = this.need(8, 'fixed64');
    const view = this.view;
    const lo = view.getUint32(i, true);
    const hi = view.getUint32(i + 4, true);
    if (hi < 0x200000) return hi * TWO_32 + lo;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  double(): number {
    const i = this.need(8, 'double');
    return this.view.getFloat64(i, true);
  }

  /**
   * Reads the length prefix of a length-delimited field and checks it against the end of the message.
   * Leaves `pos` at the first content byte; the content itself is not touched (it may lie outside `buf`).
   */
  length(): number {
    const at = this.pos;
    const lo = this.varint64();
    const hi = this.hi;
    const afterPrefix = this.pos;
    const room = this.end - afterPrefix;
    if (hi !== 0 || lo > room) {
      const shown = hi === 0 ? String(lo) : String((BigInt(hi) << 32n) | BigInt(lo));
      throw this.formatError(`length ${shown} at offset ${at} exceeds ${this.endName} at ${this.end}`, at);
    }
    return lo;
  }

  /** Reads a length-delimited field's bytes (a view, not a copy). The bytes must be in `buf`. */
  bytes(): Uint8Array {
    const n = this.length();
    const i = this.need(n, 'bytes');
    return this.buf.subarray(i, i + n);
  }

  string(): string {
    const n = this.length();
    const i = this.need(n, 'string');
    return decodeUtf8(this.buf, i, i + n);
  }

  /** Skips one value of the given wire type (everything except groups, which ONNX never uses). */
  skip(wireType: number): void {
    const at = this.pos;
    switch (wireType) {
      case WireType.Varint:
        this.varint64();
        return;
      case WireType.Fixed64:
        this.skipBytes(8, 'fixed64');
        return;
      case WireType.LengthDelimited:
        {
          const n = this.length();
          this.pos += n;
        }
        return;
      case WireType.Fixed32:
        this.skipBytes(4, 'fixed32');
        return;
      default:
        throw this.formatError(`cannot skip wire type ${wireType} (groups are not supported) at offset ${at}`, at);
    }
  }

  /** Moves past n bytes, checked against the end of the message only (the bytes need not be in `buf`). */
  skipBytes(n: number, what = 'field'): void {
    if (this.pos + n > this.end) {
      throw this.formatError(`${what} of ${n} bytes at offset ${this.pos} exceeds ${this.endName} at ${this.end}`, this.pos);
    }
    this.pos += n;
  }

  /** Reads packed int64 varints from `pos` up to `end` (the end of the packed field) into `out`. */
  packedInt64(end: number, out: Int64[]): void {
    const savedEnd = this.end;
    const savedLimit = this.limit;
    this.end = end;
    this.limit = Math.min(this.limit, end);
    try {
      while (this.pos < end) out.push(this.int64());
    } finally {
      this.end = savedEnd;
      this.limit = savedLimit;
    }
  }

  /** Reads packed floats from `pos` up to `end` into `out`. */
  packedFloat(end: number, out: number[]): void {
    const n = end - this.pos;
    if (n % 4 !== 0) {
      throw this.formatError(`packed float field of ${n} bytes at offset ${this.pos} is not a multiple of 4`, this.pos);
    }
    while (this.pos < end) out.push(this.float());
  }
}

/** UTF-8 decoding with a fast path for short ASCII (most names). Invalid sequences become U+FFFD. */
export function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  if (end - start <= 64) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (buf[i] >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
  }
  return utf8.decode(buf.subarray(start, end));
}
