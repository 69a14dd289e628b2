import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJsonData, encodeJsonData, flattenData, jsonValuesToNumbers } from '../../../src/core/serve/tensorCodec';
import { HttpError } from '../../../src/core/serve/httpError';
import type { ProtocolDatatype } from '../../../src/core/serve/datatypes';

const is400 = (re: RegExp) => (e: unknown) => e instanceof HttpError && e.status === 400 && re.test(e.message);

test('flat and nested data decode to the same row-major array', () => {
  const flat = decodeJsonData('FP32', [2, 3], [1, 2, 3, 4, 5, 6], 'x');
  const nested = decodeJsonData(
    'FP32',
    [2, 3],
    [
      [1, 2, 3],
      [4, 5, 6],
    ],
    'x',
  );
  const deep = decodeJsonData(
    'FP32',
    [1, 2, 3],
    [
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    ],
    'x',
  );
  assert.ok(flat instanceof Float32Array);
  assert.deepEqual(Array.from(flat as Float32Array), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(nested, flat);
  assert.deepEqual(deep, flat);
  assert.deepEqual(flattenData([[], [1]], 'x'), [1]);
  assert.throws(
    () =>
      decodeJsonData(
        'FP32',
        [2, 3],
        [
          [1, 2, 3],
          [4, 5],
        ],
        'x',
      ),
    is400(/needs 6 elements but "data" has 5/),
  );
  assert.throws(() => decodeJsonData('FP32', [1], 5, 'x'), is400(/must be an array/));
  let deepest: unknown = [1];
  for (let i = 0; i < 40; i++) deepest = [deepest];
  assert.throws(() => decodeJsonData('FP32', [1], deepest, 'x'), is400(/nested deeper/));
});

test('every datatype decodes JSON values into its typed storage', () => {
  const cases: [ProtocolDatatype, unknown[], unknown, string][] = [
    ['BOOL', [true, false, true], Uint8Array, '[true,false,true]'],
    ['UINT8', [0, 255, 7], Uint8Array, '[0,255,7]'],
    ['UINT16', [0, 65535, 7], Uint16Array, '[0,65535,7]'],
    ['UINT32', [0, 4294967295, 7], Uint32Array, '[0,4294967295,7]'],
    ['UINT64', [0, '18446744073709551615', 7], BigUint64Array, '[0,18446744073709551615,7]'],
    ['INT8', [-128, 127, 0], Int8Array, '[-128,127,0]'],
    ['INT16', [-32768, 32767, 0], Int16Array, '[-32768,32767,0]'],
    ['INT32', [-2147483648, 2147483647, 0], Int32Array, '[-2147483648,2147483647,0]'],
    [
      'INT64',
      ['-9223372036854775808', 9007199254740991, '9223372036854775807'],
      BigInt64Array,
      '[-9223372036854775808,9007199254740991,9223372036854775807]',
    ],
    ['FP16', [1, -2, 0.5], Uint16Array, '[1,-2,0.5]'],
    ['FP32', [1.5, -2, 0.25], Float32Array, '[1.5,-2,0.25]'],
    ['FP64', [0.1, -2, 1e300], Float64Array, '[0.1,-2,1e+300]'],
    ['BYTES', ['a', '', 'é"\n'], Array, '["a","","é\\"\\n"]'],
  ];
  for (const [datatype, values, kind, text] of cases) {
    const data = decodeJsonData(datatype, [3], values, 'x');
    assert.ok(data instanceof (kind as new () => unknown), `${datatype} storage`);
    assert.equal(data.length, 3);
    assert.equal(encodeJsonData(datatype, data), text, `${datatype} encoding`);
    // The encoding is valid JSON that reads back to the same values (64-bit ones beyond 2^53 aside).
    assert.equal(JSON.parse(text).length, 3);
  }
  assert.deepEqual(Array.from(decodeJsonData('FP16', [2], [1, 65504], 'x') as Uint16Array), [0x3c00, 0x7bff]);
});

test('non-finite floats: the strings "NaN", "Infinity", "-Infinity" in and out', () => {
  for (const dt of ['FP16', 'FP32', 'FP64'] as const) {
    const data = decodeJsonData(dt, [4], ['NaN', 'Infinity', '-Infinity', 1], 'x');
    const text = encodeJsonData(dt, data);
    assert.equal(text, '["NaN","Infinity","-Infinity",1]', dt);
    const back = jsonValuesToNumbers(JSON.parse(text) as unknown[]);
    assert.ok(Number.isNaN(back[0] as number));
    assert.deepEqual(back.slice(1), [Infinity, -Infinity, 1]);
  }
  assert.throws(() => decodeJsonData('FP32', [1], ['nan'], 'x'), is400(/element 0 "nan" is not a number/));
  assert.throws(() => decodeJsonData('FP32', [1], [null], 'x'), is400(/is not a number/));
  assert.throws(() => decodeJsonData('FP64', [1], [true], 'x'), is400(/is not a number/));
});

test('integers are range-checked; 64-bit ones must be safe JSON numbers or decimal strings', () => {
  assert.throws(() => decodeJsonData('UINT8', [1], [256], 'x'), is400(/256 is out of range \[0, 255\]/));
  assert.throws(() => decodeJsonData('INT8', [1], [-129], 'x'), is400(/out of range/));
  assert.throws(() => decodeJsonData('INT32', [1], [1.5], 'x'), is400(/1.5 is not an integer/));
  assert.throws(() => decodeJsonData('INT32', [1], ['1'], 'x'), is400(/is not an integer/));
  assert.throws(() => decodeJsonData('UINT32', [1], [-1], 'x'), is400(/out of range/));
  assert.throws(() => decodeJsonData('INT64', [1], [2 ** 53], 'x'), is400(/beyond ±\(2\^53-1\).*decimal string/));
  assert.throws(() => decodeJsonData('INT64', [1], ['9223372036854775808'], 'x'), is400(/out of range/));
  assert.throws(() => decodeJsonData('UINT64', [1], ['-1'], 'x'), is400(/out of range/));
  assert.throws(() => decodeJsonData('INT64', [1], ['01'], 'x'), is400(/is not an integer/));
  assert.throws(() => decodeJsonData('INT64', [1], ['1e3'], 'x'), is400(/is not an integer/));
  const big = decodeJsonData('INT64', [2], ['9007199254740993', -5], 'x') as BigInt64Array;
  assert.equal(big[0], 9007199254740993n);
  assert.equal(encodeJsonData('INT64', big), '[9007199254740993,-5]');
});

test('BOOL and BYTES are strict about element types', () => {
  assert.throws(() => decodeJsonData('BOOL', [2], [true, 1], 'x'), is400(/element 1 1 is not a boolean/));
  assert.throws(() => decodeJsonData('BYTES', [1], [5], 'x'), is400(/is not a string/));
  assert.equal(encodeJsonData('BOOL', new Uint8Array([0, 1, 2])), '[false,true,true]');
});

test('FP32 output encoding writes the exact value of each float32', () => {
  const text = encodeJsonData('FP32', new Float32Array([0.1, -0, 3]));
  assert.equal(text, '[0.10000000149011612,0,3]');
  assert.equal(Math.fround(JSON.parse(text)[0]), Math.fround(0.1));
});
