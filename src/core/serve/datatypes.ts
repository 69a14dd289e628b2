/**
 * Open Inference Protocol datatypes and their onnxruntime-node counterparts.
 *
 * FP16: onnxruntime-node 1.30 on Node 20 has no Float16Array, so a 'float16' tensor holds the raw
 * IEEE 754 half bits in a Uint16Array. JSON numbers are converted to and from those bits here.
 */

export type ProtocolDatatype =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP16'
  | 'FP32'
  | 'FP64'
  | 'BYTES';

/** The ORT tensor element types the server can exchange (int4/uint4 and bfloat16 are not exposed by ORT node). */
export type OrtType =
  | 'bool'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float16'
  | 'float32'
  | 'float64'
  | 'string';

/** Element storage of a decoded tensor: typed arrays for numbers, string[] for BYTES. */
export type TensorData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array
  | string[];

/** A tensor in ORT layout: row-major data plus its shape and protocol datatype. */
export interface HostTensor {
  datatype: ProtocolDatatype;
  shape: number[];
  data: TensorData;
}

interface DatatypeInfo {
  ort: OrtType;
  /** Bytes per element in the binary extension; 0 for BYTES (length-prefixed). */
  size: number;
  make: (length: number) => TensorData;
}

const INFO: Record<ProtocolDatatype, DatatypeInfo> = {
  BOOL: { ort: 'bool', size: 1, make: (n) => new Uint8Array(n) },
  UINT8: { ort: 'uint8', size: 1, make: (n) => new Uint8Array(n) },
  UINT16: { ort: 'uint16', size: 2, make: (n) => new Uint16Array(n) },
  UINT32: { ort: 'uint32', size: 4, make: (n) => new Uint32Array(n) },
  UINT64: { ort: 'uint64', size: 8, make: (n) => new BigUint64Array(n) },
  INT8: { ort: 'int8', size: 1, make: (n) => new Int8Array(n) },
  INT16: { ort: 'int16', size: 2, make: (n) => new Int16Array(n) },
  INT32: { ort: 'int32', size: 4, make: (n) => new Int32Array(n) },
  INT64: { ort: 'int64', size: 8, make: (n) => new BigInt64Array(n) },
  FP16: { ort: 'float16', size: 2, make: (n) => new Uint16Array(n) },
  FP32: { ort: 'float32', size: 4, make: (n) => new Float32Array(n) },
  FP64: { ort: 'float64', size: 8, make: (n) => new Float64Array(n) },
  BYTES: { ort: 'string', size: 0, make: (n) => new Array<string>(n).fill('') },
};

const BY_ORT = new Map<string, ProtocolDatatype>(Object.entries(INFO).map(([k, v]) => [v.ort, k as ProtocolDatatype]));

export const PROTOCOL_DATATYPES = Object.keys(INFO) as ProtocolDatatype[];

export function isProtocolDatatype(value: unknown): value is ProtocolDatatype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(INFO, value);
}

export function ortTypeOf(datatype: ProtocolDatatype): OrtType {
  return INFO[datatype].ort;
}

/** The protocol datatype of an ORT element type, or undefined when the server cannot exchange it. */
export function datatypeOfOrt(type: string): ProtocolDatatype | undefined {
  return BY_ORT.get(type);
}

/** Bytes per element in binary tensor data; 0 for BYTES. */
export function elementSize(datatype: ProtocolDatatype): number {
  return INFO[datatype].size;
}

export function allocate(datatype: ProtocolDatatype, length: number): TensorData {
  return INFO[datatype].make(length);
}

export function isFloat(datatype: ProtocolDatatype): boolean {
  return datatype === 'FP16' || datatype === 'FP32' || datatype === 'FP64';
}

/** Integer range of each integer datatype, as bigint bounds. */
export const INTEGER_RANGE: Partial<Record<ProtocolDatatype, readonly [bigint, bigint]>> = {
  UINT8: [0n, 255n],
  UINT16: [0n, 65535n],
  UINT32: [0n, 4294967295n],
  UINT64: [0n, 18446744073709551615n],
  INT8: [-128n, 127n],
  INT16: [-32768n, 32767n],
  INT32: [-2147483648n, 2147483647n],
  INT64: [-9223372036854775808n, 9223372036854775807n],
};

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

// ---- IEEE 754 half precision ----

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Converts a number to FP16 bits, rounding to nearest even straight from the double (no double rounding). */
export function toHalfBits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  if (a >= 65520) return sign | 0x7c00; // 65520 is halfway between 65504 (max half) and 2^16: ties go to even = Inf
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24); // subnormal; 1024 is the smallest normal, bits 0x400
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--; // log2 may be off by one near powers of two
  else if (2 ** (e + 1) <= a) e++;
  let m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | m;
}

/** Converts FP16 bits to a number (exact). */
export function fromHalfBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
