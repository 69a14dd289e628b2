/**
 * A protobuf wire-format encoder for small messages (the parts of a model an edit re-encodes: names, value
 * infos, opset imports, metadata). Large payloads are never encoded here: the model editor copies them from
 * the source file by byte range. Wire format from the protobuf encoding spec.
 */
import { WireType, type Int64 } from './protobufReader';

const utf8 = new TextEncoder();

/** Bytes a varint of `value` takes (negative int64 values take 10, as protobuf writes them). */
export function varintSize(value: Int64): number {
  if (typeof value === 'number' && value >= 0 && value < 0x80) return 1;
  let v = BigInt.asUintN(64, BigInt(value));
  let n = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    n++;
  }
  return n;
}

/** Bytes a field key takes. */
export function keySize(field: number): number {
  return varintSize(field * 8);
}

export class ProtobufWriter {
  private buf = new Uint8Array(256);
  private pos = 0;

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
  }

  /** A bare varint (no key). */
  rawVarint(value: Int64): this {
    this.ensure(10);
    if (typeof value === 'number' && value >= 0 && Number.isSafeInteger(value)) {
      let v = value;
      while (v >= 0x80) {
        this.buf[this.pos++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      this.buf[this.pos++] = v;
      return this;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  key(field: number, wireType: number): this {
    return this.rawVarint(field * 8 + wireType);
  }

  /** An int32/int64/uint64/enum/bool field. */
  varint(field: number, value: Int64): this {
    return this.key(field, WireType.Varint).rawVarint(value);
  }

  bytes(field: number, value: Uint8Array): this {
    return this.key(field, WireType.LengthDelimited).rawVarint(value.length).raw(value);
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** A length-delimited sub-message built by `build`. */
  message(field: number, build: (w: ProtobufWriter) => void): this {
    const inner = new ProtobufWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
