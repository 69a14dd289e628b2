/**
 * IEEE 754 half precision and bfloat16 bit patterns to numbers, and numbers to half bits: the one float16
 * implementation, used by the reader's statistics, the .npy reader, tensor comparison and the model server.
 */

let halfTable: Float32Array | undefined;

/** float16 bits (as stored in a Uint16Array) to a number; a 64K-entry table is built on first use. */
export function decodeFloat16(bits: number): number {
  if (halfTable === undefined) {
    halfTable = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) halfTable[i] = float16ToNumber(i);
  }
  return halfTable[bits & 0xffff];
}

/** The arithmetic behind the table, readable. */
export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const word = new Uint32Array(1);
const asFloat = new Float32Array(word.buffer);

/** bfloat16 bits: the upper half of a float32. */
export function decodeBfloat16(bits: number): number {
  word[0] = (bits & 0xffff) << 16;
  return asFloat[0];
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** A number to float16 bits, rounding to nearest even straight from the double (no double rounding); NaN is 0x7e00. */
export function encodeFloat16(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  if (a >= 65520) return sign | 0x7c00; // 65520 is halfway between 65504 (max half) and 2^16: ties go to even = Inf
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24); // subnormal; 1024 is the smallest normal, bits 0x400
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a)
    e--; // log2 may be off by one near powers of two
  else if (2 ** (e + 1) <= a) e++;
  let m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | m;
}
