import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sniffModelFormat } from '../../../src/core/onnx/sniffModelFormat';
import { model, ProtoWriter } from './protoWriter';

const bytes = (...parts: (string | number[])[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));

describe('sniffModelFormat', () => {
  it('recognizes ONNX models and reads the IR version', () => {
    const m = model({ irVersion: 9, graph: { name: 'g' } });
    const r = sniffModelFormat(m.subarray(0, 64), m.length);
    assert.deepEqual(r, { format: 'onnx', reason: 'ONNX ModelProto, IR version 9', irVersion: 9 });
    // A model whose first field is the graph (other writers order fields differently).
    const graphFirst = new ProtoWriter()
      .message(7, (g) => g.bytes(2, 'g'))
      .varint(1, 7)
      .finish();
    assert.equal(sniffModelFormat(graphFirst, graphFirst.length).format, 'onnx');
    // Without the file size, long fields beyond the sniffed bytes are fine.
    assert.equal(sniffModelFormat(m.subarray(0, 10)).format, 'onnx');
  });

  it('recognizes the ORT flatbuffer format', () => {
    const r = sniffModelFormat(bytes([0x14, 0, 0, 0], 'ORTM', [0, 0, 0, 0]));
    assert.equal(r.format, 'ort');
  });

  it('names what other files are', () => {
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(0), /^empty file$/],
      [bytes('PK', [3, 4, 20, 0]), /zip archive \(PK\\x03\\x04\): a PyTorch/],
      [bytes([0x80, 2, 0x7d, 0x71]), /Python pickle \(\\x80, protocol 2\)/],
      [bytes([16, 0, 0, 0, 0, 0, 0, 0], '{"w":{"dtype":"F32"}}'), /safetensors/],
      [bytes('\x89HDF\r\n\x1a\n', [0, 0]), /HDF5/],
      [bytes([0, 0, 0, 0], 'TFL3'), /TensorFlow Lite/],
      [bytes('GGUF', [3, 0, 0, 0]), /GGUF/],
      [bytes('\x93NUMPY', [1, 0]), /NumPy/],
      [bytes([0x1f, 0x8b, 8, 0]), /gzip/],
      [bytes('  {"model": "x"}'), /JSON text/],
      [bytes('version https://git-lfs.github.com/spec/v1\n'), /text file.*Git LFS/],
      [bytes('<html>'), /XML\/HTML/],
      [bytes([0, 0, 0, 0]), /not an ONNX protobuf: invalid field number 0 at offset 0/],
      [bytes([0x0a, 0x01, 0x41]), /field 1 with wire type 2 at offset 0 is not a ModelProto field/],
      [bytes([0x08, 0x00]), /implausible ir_version 0/],
      [bytes([0x3a, 0x7f]), /length 127 at offset 1 exceeds end of file at 2/],
    ];
    for (const [b, reason] of cases) {
      const r = sniffModelFormat(b, b.length);
      assert.equal(r.format, 'not-onnx', `${reason}: ${r.reason}`);
      assert.match(r.reason, reason);
    }
  });

  it('lets a damaged model through once a valid field was seen (the reader reports where it breaks)', () => {
    const b = bytes([0x08, 0x07, 0x3a, 0x7f]);
    assert.equal(sniffModelFormat(b, b.length).format, 'onnx');
  });
});
