/** The .npy reader on hand-built files: versions 1 and 2, the supported dtypes, and clear errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNpy } from '../../../src/core/ort';
import { npy } from './npyFixture';

const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

test('reads v1 float32 and v2 int64 in C order', () => {
  const f = parseNpy(npy('<f4', [2, 3], bytes(new Float32Array([1, 2, 3, 4, 5, 6.5]))));
  assert.equal(f.type, 'float32');
  assert.deepEqual(f.shape, [2, 3]);
  assert.deepEqual(Array.from(f.values as Float32Array), [1, 2, 3, 4, 5, 6.5]);
  const big = 2n ** 60n + 1n;
  const i = parseNpy(npy('<i8', [2], bytes(new BigInt64Array([big, -3n])), 2));
  assert.equal(i.type, 'int64');
  assert.deepEqual(Array.from(i.values as BigInt64Array), [big, -3n]);
});

test('reads f8, i4, u1, b1 and a scalar; data at an odd offset is realigned', () => {
  assert.deepEqual(Array.from(parseNpy(npy('<f8', [1], bytes(new Float64Array([0.1])))).values as Float64Array), [0.1]);
  assert.deepEqual(Array.from(parseNpy(npy('<i4', [2], bytes(new Int32Array([-7, 9])))).values as Int32Array), [-7, 9]);
  const u = parseNpy(npy('|u1', [3], new Uint8Array([0, 128, 255])));
  assert.equal(u.type, 'uint8');
  const b = parseNpy(npy('|b1', [2], new Uint8Array([1, 0])));
  assert.equal(b.type, 'bool');
  assert.deepEqual(Array.from(b.values as Uint8Array), [1, 0]);
  const scalar = parseNpy(npy('<f4', [], bytes(new Float32Array([3]))));
  assert.deepEqual(scalar.shape, []);
  assert.equal((scalar.values as Float32Array)[0], 3);
  const file = npy('<f4', [1], bytes(new Float32Array([2.5])));
  const shifted = new Uint8Array(file.length + 1).subarray(1);
  shifted.set(file);
  assert.equal((parseNpy(shifted).values as Float32Array)[0], 2.5);
});

test('refuses what it cannot read, saying why', () => {
  assert.throws(() => parseNpy(new Uint8Array(20)), /bad magic/);
  assert.throws(() => parseNpy(npy('>f4', [1], new Uint8Array(4))), /big-endian/);
  assert.throws(() => parseNpy(npy('<f4', [2], new Uint8Array(4), 1, true)), /Fortran/);
  assert.throws(() => parseNpy(npy('<c8', [1], new Uint8Array(8))), /unsupported .npy dtype/);
  assert.throws(() => parseNpy(npy('<f4', [4], new Uint8Array(8))), /truncated/);
  const v9 = npy('<f4', [1], new Uint8Array(4));
  v9[6] = 9;
  assert.throws(() => parseNpy(v9), /version 9/);
});
