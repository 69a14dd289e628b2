/**
 * The arithmetic of weight quantisation, shared by int8-dynamic, int8-weights and int4-weights: pure functions
 * over typed arrays, no I/O.
 *
 * - int8 (int8-dynamic): symmetric, zero point 0, codes in [-127, 127], scale = max|w| / 127, per tensor or per
 *   output column of the [K, N] MatMul weight. -128 is left unused so that negating a code never overflows and the
 *   range is symmetric, as ONNX Runtime's own quantizer does for signed weights.
 * - blocks (MatMulNBits): the weight as [N, K] (transposed from MatMul's [K, N]), each row cut into blocks of
 *   `blockSize` along K, each block asymmetric with unsigned codes in [0, 2^bits - 1]: its range widened to hold
 *   0 (so zero is exact), scale = (max - min) / (2^bits - 1), zero point = round(-min / scale). A last partial
 *   block is padded with its zero point (dequantised to exactly 0). 4-bit codes are packed two to a byte, the
 *   first (lower k) in the low nibble; the zero points of a row likewise, ceil(n_blocks * bits / 8) bytes per row.
 *
 * Rounding is half to even (numpy's rint, what ONNX Runtime's Python quantizer uses).
 */

/** Round half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; step back to the even neighbour on an exact tie.
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export interface Int8Weights {
  /** Codes in the layout of the input, [K, N] row-major. */
  codes: Int8Array;
  /** One scale (per tensor) or N (per output column). */
  scales: Float32Array;
}

/** The symmetric int8 scale of a range whose largest magnitude is `maxAbs` (1 for an all-zero range). */
export function int8Scale(maxAbs: number): number {
  return maxAbs > 0 && Number.isFinite(maxAbs) ? maxAbs / 127 : 1;
}

/**
 * Quantises a [K, N] float weight (row-major) to symmetric int8: per tensor, or with `perChannel` per output
 * column n (what MatMulInteger's and DynamicQuantizeMatMul's per-column b scales mean).
 */
export function quantizeInt8(w: Float32Array, k: number, n: number, perChannel: boolean): Int8Weights {
  if (w.length !== k * n) throw new Error(`weight has ${w.length} values, [${k}, ${n}] needs ${k * n}`);
  const maxAbs = new Float64Array(perChannel ? n : 1);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < n; j++) {
      const a = Math.abs(w[i * n + j]);
      const c = perChannel ? j : 0;
      if (a > maxAbs[c]) maxAbs[c] = a;
    }
  const scales = Float32Array.from(maxAbs, int8Scale);
  const codes = new Int8Array(k * n);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < n; j++) {
      const s = scales[perChannel ? j : 0];
      codes[i * n + j] = Math.max(-127, Math.min(127, roundHalfEven(w[i * n + j] / s)));
    }
  return { codes, scales };
}

/** [rows, cols] row-major to [cols, rows]. */
export function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c];
  return out;
}

export interface BlockLayout {
  k: number;
  n: number;
  bits: 4 | 8;
  blockSize: number;
  /** ceil(K / blockSize). */
  blocks: number;
  /** Bytes a block's codes take: blockSize * bits / 8. */
  blobSize: number;
  /** Bytes of one row's zero points: ceil(blocks * bits / 8). */
  zeroPointBytesPerRow: number;
}

export function blockLayout(k: number, n: number, bits: 4 | 8, blockSize: number): BlockLayout {
  const blocks = Math.ceil(k / blockSize);
  return { k, n, bits, blockSize, blocks, blobSize: (blockSize * bits) / 8, zeroPointBytesPerRow: Math.ceil((blocks * bits) / 8) };
}

export interface BlockWeights {
  layout: BlockLayout;
  /** MatMulNBits input B: uint8 [N, blocks, blobSize]. */
  packed: Uint8Array;
  /** MatMulNBits input scales: float [N * blocks]. */
  scales: Float32Array;
  /** MatMulNBits input zero_points: uint8 [N * zeroPointBytesPerRow], packed like the codes. */
  zeroPoints: Uint8Array;
}

/** One block's asymmetric scale and zero point for values in [min, max], codes in [0, qmax]. */
export function blockScale(min: number, max: number, qmax: number): { scale: number; zeroPoint: number } {
  const lo = Math.min(0, min);
  const hi = Math.max(0, max);
  const range = hi - lo;
  if (!(range > 0) || !Number.isFinite(range)) return { scale: 1, zeroPoint: lo < 0 ? qmax : 0 };
  const scale = range / qmax;
  return { scale, zeroPoint: Math.max(0, Math.min(qmax, roundHalfEven(-lo / scale))) };
}

/** Writes `code` (bits wide) as element `index` of a low-first packed byte array. */
function putCode(into: Uint8Array, base: number, index: number, code: number, bits: 4 | 8): void {
  if (bits === 8) into[base + index] = code;
  else into[base + (index >> 1)] |= (index & 1) === 0 ? code : code << 4;
}

/**
 * Block-quantises a weight given as [N, K] row-major (MatMul's B transposed; Gemm's B with transB=1 as it is) into
 * MatMulNBits' inputs.
 */
export function quantizeBlocks(wT: Float32Array, k: number, n: number, bits: 4 | 8, blockSize: number): BlockWeights {
  if (wT.length !== k * n) throw new Error(`weight has ${wT.length} values, [${n}, ${k}] needs ${k * n}`);
  const layout = blockLayout(k, n, bits, blockSize);
  const { blocks, blobSize, zeroPointBytesPerRow } = layout;
  const qmax = (1 << bits) - 1;
  const packed = new Uint8Array(n * blocks * blobSize);
  const scales = new Float32Array(n * blocks);
  const zeroPoints = new Uint8Array(n * zeroPointBytesPerRow);
  for (let row = 0; row < n; row++) {
    for (let b = 0; b < blocks; b++) {
      const start = row * k + b * blockSize;
      const end = row * k + Math.min(k, (b + 1) * blockSize);
      let min = Infinity;
      let max = -Infinity;
      for (let i = start; i < end; i++) {
        if (wT[i] < min) min = wT[i];
        if (wT[i] > max) max = wT[i];
      }
      const { scale, zeroPoint } = blockScale(min, max, qmax);
      // What the kernel multiplies by is the float32 scale: quantise against that, not the float64 one.
      const s = Math.fround(scale);
      scales[row * blocks + b] = s;
      putCode(zeroPoints, row * zeroPointBytesPerRow, b, zeroPoint, bits);
      const base = (row * blocks + b) * blobSize;
      for (let j = 0; j < blockSize; j++) {
        const i = start + j;
        const code = i < end ? Math.max(0, Math.min(qmax, roundHalfEven(wT[i] / s) + zeroPoint)) : zeroPoint;
        putCode(packed, base, j, code, bits);
      }
    }
  }
  return { layout, packed, scales, zeroPoints };
}

/** The weight MatMulNBits computes with, [N, K] row-major: (code - zero point) * scale. For tests and checks. */
export function dequantizeBlocks(q: BlockWeights): Float32Array {
  const { k, n, bits, blockSize, blocks, blobSize, zeroPointBytesPerRow } = q.layout;
  const code = (bytes: Uint8Array, base: number, index: number): number =>
    bits === 8 ? bytes[base + index] : (bytes[base + (index >> 1)] >> ((index & 1) * 4)) & 15;
  const out = new Float32Array(n * k);
  for (let row = 0; row < n; row++)
    for (let i = 0; i < k; i++) {
      const b = Math.floor(i / blockSize);
      const zp = code(q.zeroPoints, row * zeroPointBytesPerRow, b);
      out[row * k + i] = (code(q.packed, (row * blocks + b) * blobSize, i % blockSize) - zp) * q.scales[row * blocks + b];
    }
  return out;
}
