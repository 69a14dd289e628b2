import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OnnxFormatError } from '../../../src/core/onnx/onnxFormatError';
import { ProtobufReader } from '../../../src/core/onnx/protobufReader';
import { ProtoWriter } from './protoWriter';

const reader = (bytes: number[] | Uint8Array, base = 0): ProtobufReader =>
  new ProtobufReader(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes), base);

function throwsFormat(fn: () => unknown, message: RegExp, offset: number): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof OnnxFormatError, `expected OnnxFormatError, got ${String(error)}`);
    assert.match(error.message, message);
    assert.equal(error.offset, offset);
    assert.equal(error.name, 'OnnxFormatError');
    return true;
  });
}

describe('ProtobufReader varints', () => {
  it('reads 1..10 byte varints as numbers or bigints', () => {
    const cases: [number | bigint, number | bigint][] = [
      [0, 0],
      [1, 1],
      [127, 127],
      [128, 128],
      [300, 300],
      [2 ** 31, 2 ** 31],
      [2 ** 32 + 5, 2 ** 32 + 5],
      [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
      [2n ** 53n, 2n ** 53n],
      [2n ** 64n - 1n, 2n ** 64n - 1n],
    ];
    for (const [value, expected] of cases) {
      assert.equal(reader(ProtoWriter.varintBytes(value)).uint64(), expected, `uint64 ${value}`);
    }
  });

  it("reads int64 two's complement: negatives as numbers when safe, else bigint", () => {
    const cases: [number | bigint, number | bigint][] = [
      [-1, -1],
      [-300, -300],
      [-(2 ** 53) + 1, -(2 ** 53) + 1],
      [-(2n ** 53n), -(2n ** 53n)],
      [-(2n ** 63n), -(2n ** 63n)],
      [2n ** 63n - 1n, 2n ** 63n - 1n],
      [123456789012, 123456789012],
    ];
    for (const [value, expected] of cases) {
      const bytes = ProtoWriter.varintBytes(value);
      assert.equal(reader(bytes).int64(), expected, `int64 ${value}`);
    }
    assert.equal(ProtoWriter.varintBytes(-1).length, 10);
  });

  it('int32 keeps the low 32 bits, signed (negative enums take 10 bytes)', () => {
    assert.equal(reader(ProtoWriter.varintBytes(-5)).int32(), -5);
    assert.equal(reader(ProtoWriter.varintBytes(2 ** 32 + 7)).int32(), 7);
    assert.equal(reader(ProtoWriter.varintBytes(2 ** 31)).int32(), -(2 ** 31));
  });

  it('bool is any non-zero varint', () => {
    assert.equal(reader([0]).bool(), false);
    assert.equal(reader([1]).bool(), true);
    assert.equal(reader(ProtoWriter.varintBytes(2n ** 40n)).bool(), true);
  });

  it('rejects a truncated varint naming the offset', () => {
    throwsFormat(() => reader([0x80, 0x80], 100).uint64(), /truncated varint at offset 100: end of message at 102/, 100);
    throwsFormat(() => reader([]).int64(), /truncated varint at offset 0/, 0);
  });

  it('rejects a varint longer than 10 bytes', () => {
    throwsFormat(
      () => reader([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], 7).uint64(),
      /varint longer than 10 bytes at offset 7/,
      7,
    );
  });
});

describe('ProtobufReader keys and fixed-width values', () => {
  it('reads tags and rejects field 0, wire types 6/7, and keys over 5 bytes', () => {
    const r = reader([0x08, 0x96, 0x01]);
    assert.equal(r.tag(), 8);
    assert.equal(r.uint64(), 150);
    throwsFormat(() => reader([0x00]).tag(), /invalid field number 0 at offset 0/, 0);
    throwsFormat(() => reader([0x0e], 3).tag(), /invalid wire type 6 at offset 3/, 3);
    throwsFormat(() => reader([0x0f]).tag(), /invalid wire type 7/, 0);
    throwsFormat(() => reader([0x88, 0x80, 0x80, 0x80, 0x80, 0x01]).tag(), /field key longer than 5 bytes at offset 0/, 0);
    throwsFormat(() => reader([0x80, 0x80, 0x80, 0x80, 0x10]).tag(), /field number 536870912 too large at offset 0/, 0);
    assert.equal(reader([0xf8, 0xff, 0xff, 0xff, 0x0f]).tag(), (2 ** 29 - 1) * 8);
  });

  it('reads fixed32, float, fixed64, double little-endian', () => {
    const w = new ProtoWriter().float(1, 1.5).double(2, -2.25).finish();
    const r = reader(w);
    assert.equal(r.tag(), (1 << 3) | 5);
    assert.equal(r.float(), 1.5);
    assert.equal(r.tag(), (2 << 3) | 1);
    assert.equal(r.double(), -2.25);
    assert.ok(r.atEnd());
    assert.equal(reader([1, 0, 0, 0x80]).fixed32(), 0x80000001);
    assert.equal(reader([1, 0, 0, 0, 0, 0, 0, 0]).fixed64(), 1);
    assert.equal(reader([0, 0, 0, 0, 0, 0, 0, 0x80]).fixed64(), 2n ** 63n);
  });

  it('rejects fixed-width values past the end of the message', () => {
    throwsFormat(() => reader([1, 2, 3], 40).float(), /float of 4 bytes at offset 40 exceeds end of message at 43/, 40);
    throwsFormat(() => reader([1, 2, 3, 4, 5, 6, 7]).double(), /double of 8 bytes at offset 0 exceeds end of message at 7/, 0);
  });
});

describe('ProtobufReader length-delimited fields', () => {
  it('reads strings and bytes', () => {
    const w = new ProtoWriter()
      .bytes(1, 'héllo')
      .bytes(2, Uint8Array.from([1, 2, 3]))
      .finish();
    const r = reader(w);
    r.tag();
    assert.equal(r.string(), 'héllo');
    r.tag();
    assert.deepEqual([...r.bytes()], [1, 2, 3]);
  });

  it('rejects a length beyond the end of the message before touching the bytes', () => {
    // length 123456789 claimed at offset 40 inside a 1024-byte message.
    const bytes = new Uint8Array(1024 - 40);
    bytes.set(ProtoWriter.varintBytes(123456789));
    const r = new ProtobufReader(bytes, 40);
    throwsFormat(() => r.length(), /^length 123456789 at offset 40 exceeds end of message at 1024$/, 40);
  });

  it('rejects 64-bit lengths', () => {
    throwsFormat(() => reader(ProtoWriter.varintBytes(2n ** 40n)).length(), /length 1099511627776 at offset 0 exceeds/, 0);
  });

  it('skips every wire type and refuses groups', () => {
    const w = new ProtoWriter()
      .varint(1, 2n ** 62n)
      .double(2, 1)
      .bytes(3, 'abc')
      .float(4, 1)
      .varint(5, 9)
      .finish();
    const r = reader(w);
    for (let i = 0; i < 4; i++) r.skip(r.tag() & 7);
    assert.equal(r.tag() >> 3, 5);
    assert.equal(r.uint64(), 9);
    throwsFormat(() => reader([0x0b]).skip(3), /cannot skip wire type 3/, 0);
    throwsFormat(() => reader([0x05, 1]).skip(2), /length 5 at offset 0 exceeds end of message at 2/, 0);
  });

  it('reads packed varints and floats within a sub-range', () => {
    const ints = new ProtoWriter().packedVarints(1, [1, -1, 300, 2n ** 60n]).finish();
    const r = reader(ints);
    r.tag();
    const n = r.length();
    const out: (number | bigint)[] = [];
    r.packedInt64(r.pos + n, out);
    assert.deepEqual(out, [1, -1, 300, 2n ** 60n]);
    const floats = new ProtoWriter().packedFloats(1, [0.5, -1, 3]).finish();
    const f = reader(floats);
    f.tag();
    const m = f.length();
    const values: number[] = [];
    f.packedFloat(f.pos + m, values);
    assert.deepEqual(values, [0.5, -1, 3]);
  });

  it('rejects a packed float run that is not a multiple of 4 and a truncated packed varint', () => {
    throwsFormat(() => reader([1, 2, 3], 10).packedFloat(13, []), /packed float field of 3 bytes at offset 10 is not a multiple of 4/, 10);
    throwsFormat(() => reader([1, 0x80], 10).packedInt64(12, []), /truncated varint at offset 11/, 11);
  });
});
