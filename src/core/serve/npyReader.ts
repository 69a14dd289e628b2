/**
 * NumPy .npy files as numbers, for drift profiles and sample files: the one .npy reader
 * (src/core/tensors/parseNpy.ts), every dtype widened to Float64, plus a small writer.
 */
import { npyToFloat64, parseNpy } from '../tensors/parseNpy';

export interface NpyArray {
  /** NumPy's descr, e.g. "<f4". */
  descr: string;
  shape: number[];
  /** The values as numbers (64-bit integers beyond 2^53 lose precision). */
  data: Float64Array;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/** Reads a .npy held in memory (versions 1-3; bool, int, uint and float dtypes; C order). */
export function readNpy(buf: Buffer): NpyArray {
  const array = parseNpy(buf);
  return { descr: array.descr, shape: array.shape, data: npyToFloat64(array) };
}

/** Writes a C-order float64 or float32 .npy (v1): used by tests and to export samples. */
export function writeNpy(data: Float64Array | Float32Array, shape: number[]): Buffer {
  const descr = data instanceof Float32Array ? '<f4' : '<f8';
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
