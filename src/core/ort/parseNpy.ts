/**
 * The one reader of NumPy `.npy` files (format versions 1.0, 2.0 and 3.0): exact typed arrays ready for ORT
 * tensors (int64 stays BigInt64Array, float16 stays bits), or every element as a number (npyToFloat64) for the
 * model server's drift profiles and sample files.
 *
 * Layout: the magic "\x93NUMPY", major and minor version bytes, the header length (uint16 LE in v1, uint32 LE in
 * v2/v3), a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } (latin-1; UTF-8 in
 * v3) padded with spaces and a newline, then the raw data.
 * Read: little-endian or byte-order-free bool, int8/16/32/64, uint8/16/32/64, float16/32/64 in C order.
 */
import { readFile } from 'node:fs/promises';
import { decodeFloat16 } from '../onnx/float16';
import type { OrtType } from './ortTypes';

/** The element types a .npy file can hold here: ORT tensor types. */
export type NpyType = Exclude<OrtType, 'string'>;

/** float16 stays as its bits (Uint16Array), int64/uint64 as BigInt arrays, bool as 0/1 bytes. */
export type NpyValues =
  | Uint16Array
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint32Array
  | BigUint64Array;

export interface NpyArray {
  /** NumPy's descr as written, e.g. "<f4". */
  descr: string;
  type: NpyType;
  shape: number[];
  /** The elements in C order, in a buffer of their own (aligned, not a view of the file). */
  values: NpyValues;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

const TYPES: Record<string, { type: NpyType; size: number; make: (b: ArrayBuffer) => NpyValues }> = {
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

/** One value of the header dict: a tuple, a quoted string, or a bare word (True/False). */
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

/**
 * Parses a whole .npy file held in memory. `name` (a path, say) prefixes error messages. Throws on what it does
 * not read: bad magic, unknown version, truncated header or data, Fortran order, big-endian or other dtypes.
 */
export function parseNpy(bytes: Uint8Array, name?: string): NpyArray {
  const fail = (message: string): Error => new Error(name ? `${name}: ${message}` : message);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw fail('not a .npy file (bad magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  let start: number;
  let headerLength: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw fail('truncated .npy header');
    headerLength = view.getUint32(8, true);
    start = 12;
  } else throw fail(`unsupported .npy format version ${major}.${bytes[7]}`);
  if (start + headerLength > bytes.length) throw fail('truncated .npy header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLength));
  const descr = headerValue(header, 'descr');
  const fortran = headerValue(header, 'fortran_order');
  const shapeText = headerValue(header, 'shape');
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw fail(`bad .npy header: ${header.trim()}`);
  if (fortran !== 'False') throw fail('Fortran-ordered .npy arrays are not supported; save with np.ascontiguousarray');
  const shape = shapeText
    .slice(1, -1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isSafeInteger(n) || n < 0) throw fail(`bad .npy shape ${shapeText}`);
      return n;
    });
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  const spec = m ? TYPES[`${m[2]}${m[3]}`] : undefined;
  if (!m || !spec) throw fail(`unsupported .npy dtype ${descr} (read: f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1)`);
  if (m[1] === '>' && spec.size > 1) throw fail(`big-endian .npy data (${descr}) is not supported`);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLength;
  const need = count * spec.size;
  if (!Number.isSafeInteger(need) || dataStart + need > bytes.length) {
    throw fail(`truncated .npy data: needs ${need} bytes, has ${bytes.length - dataStart}`);
  }
  // Copy into a fresh, aligned buffer: the data offset need not be a multiple of the element size.
  const buffer = new ArrayBuffer(need);
  new Uint8Array(buffer).set(bytes.subarray(dataStart, dataStart + need));
  return { descr, type: spec.type, shape, values: spec.make(buffer) };
}

/** Reads and parses a .npy file; errors name the file. */
export async function readNpy(path: string): Promise<NpyArray> {
  return parseNpy(await readFile(path), path);
}

/** The elements as numbers: float16 decoded, bool as 0/1; 64-bit integers beyond 2^53 lose precision. */
export function npyToFloat64(array: Pick<NpyArray, 'type' | 'values'>): Float64Array {
  const { values } = array;
  if (values instanceof Float64Array) return values;
  const out = new Float64Array(values.length);
  if (array.type === 'float16') {
    for (let i = 0; i < values.length; i++) out[i] = decodeFloat16(values[i] as number);
  } else if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    for (let i = 0; i < values.length; i++) out[i] = Number(values[i]);
  } else if (array.type === 'bool') {
    for (let i = 0; i < values.length; i++) out[i] = values[i] ? 1 : 0;
  } else {
    out.set(values);
  }
  return out;
}
