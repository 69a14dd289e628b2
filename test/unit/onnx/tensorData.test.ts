import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataType } from '../../../src/core/onnx/dataTypes';
import { decodeBfloat16, decodeFloat16, float16ToNumber } from '../../../src/core/onnx/float16';
import { OnnxFormatError } from '../../../src/core/onnx/onnxFormatError';
import { readModel } from '../../../src/core/onnx/readModel';
import { readTensorData } from '../../../src/core/onnx/readTensorData';
import { tensorStatistics } from '../../../src/core/onnx/tensorStatistics';
import type { TensorRef } from '../../../src/core/onnx/tensorRef';
import { f32, model, type TensorSpec } from './protoWriter';
import { tempDir, type TempDir } from './tempFiles';

let dir: TempDir;
before(async () => {
  dir = await tempDir('mlw-onnx-data-');
});
after(async () => {
  await dir.remove();
});

let serial = 0;
async function refsOf(specs: TensorSpec[]): Promise<TensorRef[]> {
  const path = await dir.write(`t${serial++}.onnx`, model({ graph: { initializers: specs } }));
  return (await readModel(path)).graph.initializers;
}
async function valuesOf(spec: TensorSpec): Promise<unknown[]> {
  const [ref] = await refsOf([spec]);
  return Array.from((await readTensorData(ref)).values as ArrayLike<unknown>);
}

describe('float16 and bfloat16', () => {
  it('decodes normal, subnormal, zero, infinity and NaN', () => {
    assert.equal(decodeFloat16(0x3c00), 1);
    assert.equal(decodeFloat16(0xc000), -2);
    assert.equal(decodeFloat16(0x7bff), 65504);
    assert.equal(decodeFloat16(0x0001), 2 ** -24);
    assert.equal(decodeFloat16(0x3555), float16ToNumber(0x3555));
    assert.ok(Object.is(decodeFloat16(0x8000), -0));
    assert.equal(decodeFloat16(0x7c00), Infinity);
    assert.equal(decodeFloat16(0xfc00), -Infinity);
    assert.ok(Number.isNaN(decodeFloat16(0x7e00)));
    assert.equal(decodeBfloat16(0x3f80), 1);
    assert.equal(decodeBfloat16(0xc040), -3);
    assert.equal(decodeBfloat16(0x7f80), Infinity);
  });
});

describe('readTensorData', () => {
  it('reads raw_data and every typed field, packed and unpacked', async () => {
    assert.deepEqual(await valuesOf({ name: 'r', dataType: DataType.FLOAT, dims: [3], raw: f32([1, -2, 0.5]) }), [1, -2, 0.5]);
    assert.deepEqual(await valuesOf({ name: 'f', dataType: DataType.FLOAT, dims: [2, 2], floatData: [1, 2, 3, 4] }), [1, 2, 3, 4]);
    assert.deepEqual(await valuesOf({ name: 'fu', dataType: DataType.FLOAT, dims: [3], floatData: [1, 2, 3], unpacked: true }), [1, 2, 3]);
    assert.deepEqual(await valuesOf({ name: 'i8', dataType: DataType.INT8, dims: [3], int32Data: [-1, 127, -128] }), [-1, 127, -128]);
    assert.deepEqual(
      await valuesOf({ name: 'u16', dataType: DataType.UINT16, dims: [2], int32Data: [65535, 7], unpacked: true }),
      [65535, 7],
    );
    assert.deepEqual(await valuesOf({ name: 'b', dataType: DataType.BOOL, dims: [3], int32Data: [1, 0, 1] }), [1, 0, 1]);
    assert.deepEqual(await valuesOf({ name: 'h', dataType: DataType.FLOAT16, dims: [2], int32Data: [0x3c00, 0xc000] }), [0x3c00, 0xc000]);
    assert.deepEqual(await valuesOf({ name: 'i64', dataType: DataType.INT64, dims: [3], int64Data: [-1, 2n ** 62n, 5] }), [
      -1n,
      2n ** 62n,
      5n,
    ]);
    assert.deepEqual(await valuesOf({ name: 'i64u', dataType: DataType.INT64, dims: [2], int64Data: [-7, 8], unpacked: true }), [-7n, 8n]);
    assert.deepEqual(await valuesOf({ name: 'd', dataType: DataType.DOUBLE, dims: [2], doubleData: [0.1, -1e300] }), [0.1, -1e300]);
    assert.deepEqual(await valuesOf({ name: 'du', dataType: DataType.DOUBLE, dims: [2], doubleData: [0.1, 2], unpacked: true }), [0.1, 2]);
    assert.deepEqual(await valuesOf({ name: 'u32', dataType: DataType.UINT32, dims: [2], uint64Data: [4294967295, 1] }), [4294967295, 1]);
    assert.deepEqual(await valuesOf({ name: 'u64', dataType: DataType.UINT64, dims: [1], uint64Data: [2n ** 64n - 1n] }), [2n ** 64n - 1n]);
    assert.deepEqual(await valuesOf({ name: 'c', dataType: DataType.COMPLEX64, dims: [2], floatData: [1, 2, 3, 4] }), [1, 2, 3, 4]);
    assert.deepEqual(await valuesOf({ name: 's', dataType: DataType.STRING, dims: [3], stringData: ['a', 'héllo', ''] }), [
      'a',
      'héllo',
      '',
    ]);
    assert.deepEqual(await valuesOf({ name: 'i4', dataType: DataType.INT4, dims: [3], int32Data: [0x21, 0x03] }), [0x21, 0x03]);
    assert.deepEqual(await valuesOf({ name: 'e', dataType: DataType.FLOAT, dims: [0] }), []);
  });

  it('rejects values that do not match the dims, invalid dims, unknown types and the size limit', async () => {
    const cases: [TensorSpec, RegExp][] = [
      [{ name: 'a', dataType: DataType.FLOAT, dims: [3], raw: f32([1, 2]) }, /raw_data holds 8 bytes but dims and type need 12/],
      [{ name: 'b', dataType: DataType.FLOAT, dims: [3], floatData: [1, 2] }, /stores at most 2 values but its dims need 3/],
      [{ name: 'b2', dataType: DataType.INT32, dims: [3], int32Data: [1, 300] }, /has 2 values but its dims need 3/],
      [
        { name: 'b3', dataType: DataType.FLOAT, dims: [200_000_000], floatData: [1] },
        /stores at most 1 values but its dims need 200000000/,
      ],
      [{ name: 'c', dataType: DataType.FLOAT, dims: [1], floatData: [1, 2] }, /has more values than its dims \(1\) allow/],
      [{ name: 'd', dataType: DataType.FLOAT, dims: [4] }, /has no values \(dims need 4\)/],
      [{ name: 'e', dataType: DataType.FLOAT, dims: [-1], floatData: [] }, /invalid dims \[-1\]/],
      [{ name: 'f', dataType: 99, dims: [1], raw: new Uint8Array(1) }, /unknown data type 99/],
      [{ name: 'g', dataType: DataType.STRING, dims: [1], raw: new Uint8Array(1) }, /of type string cannot use raw_data/],
    ];
    const refs = await refsOf(cases.map(([spec]) => spec));
    for (let i = 0; i < cases.length; i++) {
      await readTensorData(refs[i]).then(
        () => assert.fail(`${cases[i][0].name}: no error`),
        (error: unknown) => {
          assert.ok(error instanceof OnnxFormatError, String(error));
          assert.match(error.message, cases[i][1]);
        },
      );
    }
    const [big] = await refsOf([{ name: 'big', dataType: DataType.FLOAT, dims: [1000], raw: new Uint8Array(4000) }]);
    await assert.rejects(readTensorData(big, { maxBytes: 1000 }), /holds 4000 bytes, more than the read limit of 1000/);
  });
});

describe('tensorStatistics', () => {
  it('computes min/max/mean/std and counts NaN, Inf and zeros', async () => {
    const [ref] = await refsOf([{ name: 'x', dataType: DataType.FLOAT, dims: [6], raw: f32([1, 2, 3, 4, NaN, Infinity]) }]);
    const s = await tensorStatistics(ref, { maxValues: 3 });
    assert.equal(s.supported, true);
    assert.equal(s.count, 6);
    assert.equal(s.min, 1);
    assert.equal(s.max, 4);
    assert.equal(s.mean, 2.5);
    assert.ok(Math.abs((s.std ?? 0) - Math.sqrt(1.25)) < 1e-12);
    assert.equal(s.nanCount, 1);
    assert.equal(s.infCount, 1);
    assert.equal(s.zeroCount, 0);
    assert.deepEqual(s.first, [1, 2, 3]);
  });

  it('decodes float16 and bfloat16, shows bools and big int64', async () => {
    const refs = await refsOf([
      { name: 'h', dataType: DataType.FLOAT16, dims: [3], raw: Uint8Array.from([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x00]) },
      { name: 'bf', dataType: DataType.BFLOAT16, dims: [2], int32Data: [0x3f80, 0x4040] },
      { name: 'b', dataType: DataType.BOOL, dims: [3], raw: Uint8Array.from([1, 0, 1]) },
      { name: 'i', dataType: DataType.INT64, dims: [2], int64Data: [2n ** 62n + 1n, -3] },
    ]);
    const [h, bf, b, i] = await Promise.all(refs.map((r) => tensorStatistics(r)));
    assert.deepEqual([h.min, h.max, h.first, h.zeroCount], [-2, 1, [1, -2, 0], 1]);
    assert.deepEqual([bf.min, bf.max, bf.mean], [1, 3, 2]);
    assert.deepEqual([b.first, b.mean], [[true, false, true], 2 / 3]);
    assert.deepEqual(i.first, [(2n ** 62n + 1n).toString(), -3]);
  });

  it('reports float8, int4 and complex as unsupported, strings without numbers', async () => {
    const refs = await refsOf([
      { name: 'f8', dataType: DataType.FLOAT8E4M3FN, dims: [2], raw: Uint8Array.from([1, 2]) },
      { name: 'i4', dataType: DataType.INT4, dims: [4], raw: Uint8Array.from([0x12, 0x34]) },
      { name: 'c', dataType: DataType.COMPLEX64, dims: [1], floatData: [1, 2] },
      { name: 's', dataType: DataType.STRING, dims: [2], stringData: ['x', 'y'] },
    ]);
    const [f8, i4, c, s] = await Promise.all(refs.map((r) => tensorStatistics(r)));
    for (const st of [f8, i4, c]) {
      assert.equal(st.supported, false);
      assert.match(st.reason ?? '', /statistics are not supported for (float8e4m3fn|int4|complex64) tensors/);
    }
    assert.equal(f8.count, 2);
    assert.equal(i4.count, 4);
    assert.deepEqual([s.supported, s.first, s.min], [true, ['x', 'y'], undefined]);
  });

  it('streams raw data larger than one chunk', async () => {
    const n = 3 * 1024 * 1024; // 12 MiB of float32: two 8 MiB chunks
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = (i % 1000) - 500;
    const [ref] = await refsOf([{ name: 'w', dataType: DataType.FLOAT, dims: [n], raw: new Uint8Array(values.buffer) }]);
    const s = await tensorStatistics(ref);
    assert.equal(s.min, -500);
    assert.equal(s.max, 499);
    assert.equal(s.count, n);
    assert.equal(s.zeroCount, Math.ceil(n / 1000));
  });
});
