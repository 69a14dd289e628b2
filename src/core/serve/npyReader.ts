/**
 * A reader for NumPy .npy files (format versions 1, 2 and 3).
 *
 * Layout: the magic "\x93NUMPY", major and minor version bytes, the header length (uint16 LE in v1, uint32 LE in v2/v3),
 * an ASCII (v3: UTF-8) Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } padded with
 * spaces and a newline, then the raw data.
 * Supported: little-endian (or byte-order-free) bool, int8/16/32/64, uint8/16/32/64, float16/32/64 in C order.
 */
import { fromHalfBits } from './datatypes';

export interface NpyArray {
  /** NumPy's descr, e.g. "<f4". */
  descr: string;
  shape: number[];
  /** The values as numbers (64-bit integers beyond 2^53 lose precision). */
  data: Float64Array;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

function headerField(header: string, key: string): string | undefined {
  const m = new RegExp(`['"]${key}['"]\\s*:\\s*`).exec(header);
  if (!m) return undefined;
  const rest = header.slice(m.index + m[0].length);
  if (rest.startsWith('(')) return rest.slice(0, rest.indexOf(')') + 1);
  const q = rest[0];
  if (q === "'" || q === '"') return rest.slice(1, rest.indexOf(q, 1));
  return /^[A-Za-z]+/.exec(rest)?.[0];
}

export function readNpy(buf: Buffer): NpyArray {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw new Error('not a .npy file (bad magic)');
  const major = buf[6];
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new Error('truncated .npy header');
    headerLen = buf.readUInt32LE(8);
    start = 12;
  } else throw new Error(`unsupported .npy format version ${major}.${buf[7]}`);
  if (start + headerLen > buf.length) throw new Error('truncated .npy header');
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', start, start + headerLen);
  const descr = headerField(header, 'descr');
  const fortran = headerField(header, 'fortran_order');
  const shapeText = headerField(header, 'shape');
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new Error(`bad .npy header: ${header.trim()}`);
  if (fortran !== 'False') throw new Error('Fortran-ordered .npy arrays are not supported; save with np.ascontiguousarray');
  const shape = shapeText
    .slice(1, -1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`bad .npy shape ${shapeText}`);
      return n;
    });
  const m = /^([<>|=])([biuf])([0-9]+)$/.exec(descr);
  if (!m) throw new Error(`unsupported .npy dtype ${descr}`);
  const [, order, kind, sizeText] = m;
  const size = Number(sizeText);
  if (order === '>' && size > 1) throw new Error(`big-endian .npy data (${descr}) is not supported`);
  let count = 1;
  for (const d of shape) count *= d;
  const dataStart = start + headerLen;
  if (dataStart + count * size > buf.length) throw new Error(`truncated .npy data: need ${count * size} bytes, have ${buf.length - dataStart}`);
  const data = new Float64Array(count);
  const read = reader(kind, size, descr);
  for (let i = 0; i < count; i++) data[i] = read(buf, dataStart + i * size);
  return { descr, shape, data };
}

function reader(kind: string, size: number, descr: string): (b: Buffer, off: number) => number {
  const key = `${kind}${size}`;
  switch (key) {
    case 'b1':
      return (b, o) => (b[o] ? 1 : 0);
    case 'i1':
      return (b, o) => b.readInt8(o);
    case 'u1':
      return (b, o) => b[o];
    case 'i2':
      return (b, o) => b.readInt16LE(o);
    case 'u2':
      return (b, o) => b.readUInt16LE(o);
    case 'i4':
      return (b, o) => b.readInt32LE(o);
    case 'u4':
      return (b, o) => b.readUInt32LE(o);
    case 'i8':
      return (b, o) => Number(b.readBigInt64LE(o));
    case 'u8':
      return (b, o) => Number(b.readBigUInt64LE(o));
    case 'f2':
      return (b, o) => fromHalfBits(b.readUInt16LE(o));
    case 'f4':
      return (b, o) => b.readFloatLE(o);
    case 'f8':
      return (b, o) => b.readDoubleLE(o);
    default:
      throw new Error(`unsupported .npy dtype ${descr}`);
  }
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
