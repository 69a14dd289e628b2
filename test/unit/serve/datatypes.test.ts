import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFloat16, encodeFloat16 } from '../../../src/core/onnx/float16';
import { datatypeOfOrt, elementSize, isProtocolDatatype, ortTypeOfDatatype, PROTOCOL_DATATYPES } from '../../../src/core/serve/datatypes';

test('every protocol datatype maps to an ORT type and back', () => {
  assert.equal(PROTOCOL_DATATYPES.length, 13);
  for (const d of PROTOCOL_DATATYPES) assert.equal(datatypeOfOrt(ortTypeOfDatatype(d)), d);
  assert.equal(ortTypeOfDatatype('FP16'), 'float16');
  assert.equal(ortTypeOfDatatype('BYTES'), 'string');
  assert.equal(ortTypeOfDatatype('BOOL'), 'bool');
  assert.equal(datatypeOfOrt('bfloat16'), undefined);
  assert.equal(datatypeOfOrt('int4'), undefined);
  assert.equal(isProtocolDatatype('FP32'), true);
  assert.equal(isProtocolDatatype('fp32'), false);
  assert.equal(isProtocolDatatype('toString'), false);
  assert.deepEqual(
    PROTOCOL_DATATYPES.map((d) => elementSize(d)),
    [1, 1, 2, 4, 8, 1, 2, 4, 8, 2, 4, 8, 0],
  );
});

test('FP16 conversion: known bit patterns', () => {
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // max half
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [0.1, 0x2e66], // 0.0999755859375
    [1 / 3, 0x3555],
  ];
  for (const [v, bits] of cases) {
    assert.equal(encodeFloat16(v), bits, `encodeFloat16(${v})`);
    if (v !== 0.1 && v !== 1 / 3) assert.ok(Object.is(decodeFloat16(bits), v), `decodeFloat16(0x${bits.toString(16)})`);
  }
  assert.equal(decodeFloat16(0x2e66), 0.0999755859375);
  assert.ok(Number.isNaN(decodeFloat16(encodeFloat16(NaN))));
});

test('FP16 conversion rounds to nearest even, overflows to Infinity, underflows to zero', () => {
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (1).
  assert.equal(encodeFloat16(1 + 2 ** -11), 0x3c00);
  // 1 + 3 * 2^-11 is halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even).
  assert.equal(encodeFloat16(1 + 3 * 2 ** -11), 0x3c02);
  // Just above the halfway point rounds up: no double rounding through float32.
  assert.equal(encodeFloat16(1 + 2 ** -11 + 2 ** -40), 0x3c01);
  assert.equal(encodeFloat16(65519), 0x7bff);
  assert.equal(encodeFloat16(65520), 0x7c00);
  assert.equal(encodeFloat16(1e10), 0x7c00);
  assert.equal(encodeFloat16(2 ** -26), 0x0000); // below half the smallest subnormal
  assert.equal(encodeFloat16(3 * 2 ** -26), 0x0001);
  assert.equal(encodeFloat16(2 ** -14 - 2 ** -25), 0x0400); // rounds up into the smallest normal
});

test('FP16 round trip is exact for every finite half value', () => {
  for (let bits = 0; bits < 0x10000; bits++) {
    const exp = (bits >> 10) & 0x1f;
    if (exp === 0x1f) continue;
    assert.equal(encodeFloat16(decodeFloat16(bits)), bits);
  }
});
