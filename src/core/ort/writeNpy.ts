/** Writes NumPy .npy files (v1, C order) that parseNpy reads back: used by tests, to export samples and Try's outputs. */
import type { NpyType } from './parseNpy';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/** A C-order float64 or float32 .npy (v1), the data 64-byte aligned. */
export function writeNpy(data: Float64Array | Float32Array, shape: number[]): Buffer {
  return writeNpyOf(data instanceof Float32Array ? 'float32' : 'float64', data, shape);
}

const DESCR: Record<NpyType, string> = {
  bool: '|b1',
  uint8: '|u1',
  int8: '|i1',
  uint16: '<u2',
  int16: '<i2',
  uint32: '<u4',
  int32: '<i4',
  uint64: '<u8',
  int64: '<i8',
  float16: '<f2',
  float32: '<f4',
  float64: '<f8',
};

/** A C-order .npy (v1) of any numeric tensor type (float16 as its bits, bool as 0/1 bytes). */
export function writeNpyOf(type: NpyType, data: ArrayBufferView, shape: readonly number[]): Buffer {
  const descr = DESCR[type];
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  MAGIC.copy(head, 0);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}
