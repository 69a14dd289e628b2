import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBinaryTensor, encodeBinaryTensor, splitBody } from '../../../src/core/serve/binaryExtension';
import { HttpError } from '../../../src/core/serve/httpError';
import { encodeInferResponse } from '../../../src/core/serve/inferResponse';
import type { TensorData } from '../../../src/core/ort/ortTypes';
import type { ProtocolDatatype } from '../../../src/core/serve/datatypes';

const is400 = (re: RegExp) => (e: unknown) => e instanceof HttpError && e.status === 400 && re.test(e.message);

test('splitBody: the Inference-Header-Content-Length header splits JSON from binary data', () => {
  const body = Buffer.from('{"a":1}\x01\x02\x03', 'latin1');
  const { json, binary } = splitBody(body, '7');
  assert.equal(json.toString(), '{"a":1}');
  assert.deepEqual([...binary], [1, 2, 3]);
  const whole = splitBody(body, undefined);
  assert.equal(whole.json.length, body.length);
  assert.equal(whole.binary.length, 0);
  assert.throws(() => splitBody(body, '11'), is400(/exceeds the body size 10/));
  assert.throws(() => splitBody(body, '-1'), is400(/non-negative integer/));
  assert.throws(() => splitBody(body, '7abc'), is400(/non-negative integer/));
});

test('binary tensors of every fixed-size datatype round trip little-endian', () => {
  const cases: [ProtocolDatatype, TensorData][] = [
    ['BOOL', new Uint8Array([1, 0, 1])],
    ['UINT8', new Uint8Array([0, 200, 255])],
    ['UINT16', new Uint16Array([0, 1, 65535])],
    ['UINT32', new Uint32Array([0, 1, 4294967295])],
    ['UINT64', new BigUint64Array([0n, 1n, 18446744073709551615n])],
    ['INT8', new Int8Array([-128, 0, 127])],
    ['INT16', new Int16Array([-32768, 0, 32767])],
    ['INT32', new Int32Array([-5, 0, 5])],
    ['INT64', new BigInt64Array([-9223372036854775808n, 0n, 9223372036854775807n])],
    ['FP16', new Uint16Array([0x3c00, 0x7c00, 0x7e00])],
    ['FP32', new Float32Array([1.5, NaN, -Infinity])],
    ['FP64', new Float64Array([0.1, 1e300, -0])],
  ];
  for (const [datatype, data] of cases) {
    const bytes = encodeBinaryTensor(datatype, data);
    assert.equal(bytes.length, (data as Uint8Array).byteLength, datatype);
    // Decode from an odd offset: typed arrays need aligned memory, the decoder must copy.
    const shifted = Buffer.concat([Buffer.from([9]), bytes]).subarray(1);
    const back = decodeBinaryTensor(datatype, 3, shifted, 'x');
    assert.equal(back.constructor, data.constructor, datatype);
    assert.deepEqual(back, data, datatype);
  }
  assert.equal(encodeBinaryTensor('FP32', new Float32Array([1])).readFloatLE(0), 1);
  assert.equal(encodeBinaryTensor('INT64', new BigInt64Array([-2n])).readBigInt64LE(0), -2n);
  // Non-zero BOOL bytes mean true.
  assert.deepEqual([...(decodeBinaryTensor('BOOL', 2, Buffer.from([0, 7]), 'x') as Uint8Array)], [0, 1]);
});

test('binary size must match shape x element size', () => {
  assert.throws(
    () => decodeBinaryTensor('FP32', 3, Buffer.alloc(8), 'input x'),
    is400(/input x: binary_data_size is 8 bytes but shape and datatype FP32 need 12/),
  );
});

test('BYTES binary elements are 4-byte little-endian lengths followed by bytes', () => {
  const bytes = encodeBinaryTensor('BYTES', ['ab', '', 'é']);
  assert.deepEqual([...bytes], [2, 0, 0, 0, 0x61, 0x62, 0, 0, 0, 0, 2, 0, 0, 0, 0xc3, 0xa9]);
  assert.deepEqual(decodeBinaryTensor('BYTES', 3, bytes, 'x'), ['ab', '', 'é']);
  assert.throws(() => decodeBinaryTensor('BYTES', 2, bytes, 'x'), is400(/needs 2 BYTES elements but the binary data holds 3/));
  assert.throws(() => decodeBinaryTensor('BYTES', 1, Buffer.from([5, 0, 0, 0, 1]), 'x'), is400(/runs past/));
  assert.throws(() => decodeBinaryTensor('BYTES', 1, Buffer.from([5, 0]), 'x'), is400(/truncated BYTES length prefix/));
});

test('responses: JSON, and a JSON header plus binary outputs', () => {
  const y = { datatype: 'FP32' as const, shape: [1, 2], data: new Float32Array([1, 2]) };
  const s = { datatype: 'BYTES' as const, shape: [1], data: ['hi'] };
  const plain = encodeInferResponse('m', '1', 'r1', [{ name: 'y', tensor: y, binary: false }]);
  assert.equal(plain.contentType, 'application/json');
  assert.equal(plain.headerLength, undefined);
  assert.deepEqual(JSON.parse(plain.body.toString()), {
    model_name: 'm',
    model_version: '1',
    id: 'r1',
    outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 2], data: [1, 2] }],
  });
  const noId = encodeInferResponse('m', '1', undefined, []);
  assert.deepEqual(JSON.parse(noId.body.toString()), { model_name: 'm', model_version: '1', outputs: [] });

  const mixed = encodeInferResponse('m', '1', undefined, [
    { name: 'y', tensor: y, binary: true },
    { name: 's', tensor: s, binary: false },
  ]);
  assert.equal(mixed.contentType, 'application/octet-stream');
  assert.equal(typeof plain.body, 'string', 'JSON responses are strings: one write with the headers');
  assert.ok(Buffer.isBuffer(mixed.body));
  const mb = mixed.body as Buffer;
  const header = JSON.parse(mb.subarray(0, mixed.headerLength).toString());
  assert.deepEqual(header.outputs[0], { name: 'y', datatype: 'FP32', shape: [1, 2], parameters: { binary_data_size: 8 } });
  assert.deepEqual(header.outputs[1].data, ['hi']);
  const bin = mb.subarray(mixed.headerLength);
  assert.equal(bin.length, 8);
  assert.deepEqual([bin.readFloatLE(0), bin.readFloatLE(4)], [1, 2]);
});
