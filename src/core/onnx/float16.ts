/** IEEE 754 half precision and bfloat16 bit patterns to numbers. */

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
