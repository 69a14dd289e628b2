import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { npyToFloat64, parseNpy } from '../../../src/core/ort/parseNpy';
import { writeNpy } from '../../../src/core/ort/writeNpy';
import { parseCsvRecords, readCsv } from '../../../src/core/serve/csvReader';
import { nestedToSamples, readSamplesFile } from '../../../src/core/serve/sampleReader';

/** A .npy file read as the model server reads it: every element as a number. */
function readNpy(bytes: Uint8Array): { descr: string; shape: number[]; data: Float64Array } {
  const a = parseNpy(bytes);
  return { descr: a.descr, shape: a.shape, data: npyToFloat64(a) };
}

/** Builds a .npy by hand: magic, version, header length, header dict padded to 64 bytes, data. */
function npy(major: number, descr: string, shape: string, data: Buffer, fortran = 'False'): Buffer {
  const pre = major === 1 ? 10 : 12;
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
  header += ' '.repeat((64 - ((pre + header.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.alloc(pre);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]).copy(head);
  head[6] = major;
  if (major === 1) head.writeUInt16LE(header.length, 8);
  else head.writeUInt32LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), data]);
}

test('npy: v1 and v2 headers, little-endian f4/f8/i4/i8, C order', () => {
  const f4 = Buffer.alloc(24);
  [1.5, -2, 3, 4, 5, 6].forEach((v, i) => f4.writeFloatLE(v, i * 4));
  const a = readNpy(npy(1, '<f4', '(2, 3)', f4));
  assert.deepEqual(a.shape, [2, 3]);
  assert.equal(a.descr, '<f4');
  assert.deepEqual(Array.from(a.data), [1.5, -2, 3, 4, 5, 6]);

  const f8 = Buffer.alloc(16);
  f8.writeDoubleLE(0.1, 0);
  f8.writeDoubleLE(-1e300, 8);
  assert.deepEqual(Array.from(readNpy(npy(2, '<f8', '(2,)', f8)).data), [0.1, -1e300]);

  const i4 = Buffer.alloc(8);
  i4.writeInt32LE(-7, 0);
  i4.writeInt32LE(7, 4);
  assert.deepEqual(Array.from(readNpy(npy(1, '<i4', '(2, 1)', i4)).data), [-7, 7]);

  const i8 = Buffer.alloc(8);
  i8.writeBigInt64LE(-(2n ** 40n), 0);
  assert.deepEqual(Array.from(readNpy(npy(3, '<i8', '(1,)', i8)).data), [-(2 ** 40)]);
  assert.deepEqual(Array.from(readNpy(npy(1, '|u1', '(3,)', Buffer.from([0, 128, 255]))).data), [0, 128, 255]);
  assert.deepEqual(Array.from(readNpy(npy(1, '|b1', '(2,)', Buffer.from([1, 0]))).data), [1, 0]);
  assert.deepEqual(readNpy(npy(1, '<f4', '()', Buffer.alloc(4))).shape, []);
});

test('npy: one reader gives exact typed arrays, and numbers (npyToFloat64) for the server', () => {
  // float16 bits of 1.5, -2 and 65504 (the largest half)
  const f2 = Buffer.alloc(6);
  [0x3e00, 0xc000, 0x7bff].forEach((bits, i) => f2.writeUInt16LE(bits, i * 2));
  const file = npy(1, '<f2', '(3,)', f2);
  const server = readNpy(file);
  const runtime = parseNpy(file);
  assert.deepEqual(Array.from(server.data), [1.5, -2, 65504]);
  assert.equal(runtime.type, 'float16');
  assert.deepEqual(Array.from(runtime.values as Uint16Array), [0x3e00, 0xc000, 0x7bff]);

  const u8 = Buffer.alloc(16);
  u8.writeBigUInt64LE(2n ** 53n, 0);
  u8.writeBigUInt64LE(7n, 8);
  assert.deepEqual(Array.from(readNpy(npy(2, '<u8', '(2,)', u8)).data), [2 ** 53, 7]);
  assert.deepEqual(Array.from(parseNpy(npy(2, '<u8', '(2,)', u8)).values as BigUint64Array), [2n ** 53n, 7n]);

  // Errors carry the file name in front when it is given.
  const bad = npy(1, '<f4', '(4,)', Buffer.alloc(8));
  assert.throws(() => readNpy(bad), /^Error: truncated .npy data: needs 16 bytes, has 8$/);
  assert.throws(() => parseNpy(bad, 'x.npy'), /^Error: x.npy: truncated .npy data: needs 16 bytes, has 8$/);
});

test('npy: errors for what it does not read', () => {
  assert.throws(() => readNpy(Buffer.from('not numpy at all')), /bad magic/);
  assert.throws(() => readNpy(npy(1, '<f4', '(2,)', Buffer.alloc(8), 'True')), /Fortran-ordered/);
  assert.throws(() => readNpy(npy(1, '>f4', '(2,)', Buffer.alloc(8))), /big-endian/);
  assert.throws(() => readNpy(npy(1, '<c8', '(2,)', Buffer.alloc(16))), /unsupported .npy dtype <c8/);
  assert.throws(() => readNpy(npy(1, '<f4', '(4,)', Buffer.alloc(8))), /truncated .npy data/);
  const v9 = npy(1, '<f4', '(1,)', Buffer.alloc(4));
  v9[6] = 9;
  assert.throws(() => readNpy(v9), /unsupported .npy format version 9/);
});

test('writeNpy output reads back', () => {
  const data = new Float32Array([1, 2, 3, 4, 5, 6]);
  const buf = writeNpy(data, [3, 2]);
  assert.equal((buf.readUInt16LE(8) + 10) % 64, 0, 'data starts 64-byte aligned');
  const back = readNpy(buf);
  assert.deepEqual(back.shape, [3, 2]);
  assert.deepEqual(Array.from(back.data), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(readNpy(writeNpy(new Float64Array([7]), [1])).shape, [1]);
});

test('CSV: header, quoted fields, CRLF, BOM; non-numeric columns skipped, empty cells NaN', () => {
  assert.deepEqual(parseCsvRecords('a,"b,c"\r\n"x ""y""",2\n\n'), [
    ['a', 'b,c'],
    ['x "y"', '2'],
  ]);
  const t = readCsv('\ufeffage,name,score,flag\n31,"Smith, J",0.5,1\n42,Doe,,0\n7,X,inf,1\n');
  assert.deepEqual(t.columns, ['age', 'score', 'flag']);
  assert.deepEqual(t.skipped, ['name']);
  assert.equal(t.rows, 3);
  assert.deepEqual(Array.from(t.data), [31, 0.5, 1, 42, NaN, 0, 7, Infinity, 1]);
  assert.throws(() => readCsv('a,b\n1\n'), /record 2 has 1 fields, the header has 2/);
  assert.throws(() => readCsv('a\n"open'), /unterminated/);
  assert.throws(() => readCsv(''), /empty CSV/);
  assert.deepEqual(readCsv('a;b\n1;2', ';').columns, ['a', 'b']);
});

test('sample files: .npy, .csv, .json rows and {input: rows}', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlw-samples-'));
  try {
    writeFileSync(path.join(dir, 'x.npy'), writeNpy(new Float32Array([1, 2, 3, 4]), [2, 2]));
    writeFileSync(path.join(dir, 'x.csv'), 'a,b\n1,2\n3,4\n');
    writeFileSync(
      path.join(dir, 'rows.json'),
      JSON.stringify([
        [1, 2],
        [3, 4],
      ]),
    );
    writeFileSync(path.join(dir, 'named.json'), JSON.stringify({ x: [[1, 2]], y: [[[1], [2]]] }));
    const npyS = await readSamplesFile(path.join(dir, 'x.npy'));
    assert.deepEqual(npyS['*'].shape, [2, 2]);
    const csvS = await readSamplesFile(path.join(dir, 'x.csv'), 'features');
    assert.deepEqual(csvS.features.featureNames, ['a', 'b']);
    assert.deepEqual(Array.from(csvS.features.data), [1, 2, 3, 4]);
    assert.deepEqual((await readSamplesFile(path.join(dir, 'rows.json')))['*'].shape, [2, 2]);
    const named = await readSamplesFile(path.join(dir, 'named.json'));
    assert.deepEqual(Object.keys(named), ['x', 'y']);
    assert.deepEqual(named.y.shape, [1, 2, 1]);
    await assert.rejects(readSamplesFile(path.join(dir, 'x.txt')), /unsupported sample file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => nestedToSamples([[1, 2], [3]], 'f'), /not rectangular/);
  assert.throws(() => nestedToSamples([['a']], 'f'), /"a" is not a number/);
  assert.ok(Number.isNaN(nestedToSamples([null], 'f').data[0] as number));
});
