/**
 * A small reader for NumPy `.npy` files, giving typed arrays ready for ORT tensors (int64 stays BigInt64Array).
 * Format versions 1.0 (uint16 header length) and 2.0/3.0 (uint32); little-endian or byte-order-free dtypes
 * f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1; C order only.
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import type { OrtType } from './ortTypes';

export interface NpyArray {
  /** NumPy descr as written, e.g. `<f4`. */
  descr: string;
  type: OrtType;
  shape: number[];
  values: ort.Tensor.DataType;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

const TYPES: Record<string, { type: OrtType; size: number; make: (b: ArrayBuffer) => ort.Tensor.DataType }> = {
  f2: { type: 'float16', size: 2, make: (b) => new Uint16Array(b) },
  f4: { type: 'float32', size: 4, make: (b) => new Float32Array(b) },
  f8: { type: 'float64', size: 8, make: (b) => new Float64Array(b) },
  i1: { type: 'int8', size: 1, make: (b) => new Int8Array(b) },
  i2: { type: 'int16', size: 2, make: (b) => new Int16Array(b) },
  i4: { type: 'int32', size: 4, make: (b) => new Int32Array(b) },
  i8: { type: 'int64', size: 8, make: (b) => new BigInt64Array(b) },
  u1: { type: 'uint8', size: 1, make: (b) => new Uint8Array(b) },
  u2: { type: 'uint16', size: 2, make: (b) => new Uint16Array(b) },
  u4: { type: 'uint32', size: 4, make: (b) => new Uint32Array(b) },
  u8: { type: 'uint64', size: 8, make: (b) => new BigUint64Array(b) },
  b1: { type: 'bool', size: 1, make: (b) => new Uint8Array(b) },
};

/** One value of the header dict: a quoted string, a tuple, or a bare word (True/False). */
function headerValue(header: string, key: string): string | undefined {
  const m = new RegExp(`['"]${key}['"]\\s*:\\s*`).exec(header);
  if (!m) return undefined;
  const rest = header.slice(m.index + m[0].length);
  if (rest.startsWith('(')) {
    const end = rest.indexOf(')');
    return end < 0 ? undefined : rest.slice(0, end + 1);
  }
  if (rest[0] === "'" || rest[0] === '"') {
    const end = rest.indexOf(rest[0], 1);
    return end < 0 ? undefined : rest.slice(1, end);
  }
  return /^[A-Za-z]+/.exec(rest)?.[0];
}

/** Parses a whole .npy file held in memory. `name` is used in error messages. */
export function parseNpy(bytes: Uint8Array, name = '.npy data'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error(`${name}: not a .npy file (bad magic)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  let start: number;
  let headerLength: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new Error(`${name}: truncated .npy header`);
    headerLength = view.getUint32(8, true);
    start = 12;
  } else throw new Error(`${name}: unsupported .npy version ${major}.${bytes[7]}`);
  if (start + headerLength > bytes.length) throw new Error(`${name}: truncated .npy header`);
  const header = Buffer.from(bytes.buffer, bytes.byteOffset + start, headerLength).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = headerValue(header, 'descr');
  const fortran = headerValue(header, 'fortran_order');
  const shapeText = headerValue(header, 'shape');
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new Error(`${name}: bad .npy header ${header.trim()}`);
  if (fortran !== 'False') throw new Error(`${name}: Fortran-order arrays are not supported (save with np.ascontiguousarray)`);
  const shape = shapeText
    .slice(1, -1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}: bad .npy shape ${shapeText}`);
      return n;
    });
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  const spec = m ? TYPES[`${m[2]}${m[3]}`] : undefined;
  if (!m || !spec) throw new Error(`${name}: unsupported .npy dtype ${descr} (supported: f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1)`);
  if (m[1] === '>' && spec.size > 1) throw new Error(`${name}: big-endian .npy data (${descr}) is not supported`);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLength;
  const need = count * spec.size;
  if (!Number.isSafeInteger(need) || dataStart + need > bytes.length) {
    throw new Error(`${name}: truncated .npy data: needs ${need} bytes, has ${bytes.length - dataStart}`);
  }
  // Copy into a fresh, aligned buffer: the data offset need not be a multiple of the element size.
  const buffer = new ArrayBuffer(need);
  new Uint8Array(buffer).set(bytes.subarray(dataStart, dataStart + need));
  return { descr, type: spec.type, shape, values: spec.make(buffer) };
}

export async function readNpy(path: string): Promise<NpyArray> {
  return parseNpy(await readFile(path), path);
}
