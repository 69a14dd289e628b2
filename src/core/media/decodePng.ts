/**
 * A PNG decoder (the PNG specification, ISO/IEC 15948): every colour type and bit depth, Adam7 interlacing,
 * palettes with tRNS alpha, CRC-checked chunks. Gray and palette samples under 8 bits are scaled to 0..255
 * (v * 255 / (2^depth - 1)); 16-bit samples stay 16-bit. A gray or RGB tRNS colour key is ignored.
 */
import { inflateSync } from 'node:zlib';
import { crc32 } from './crc32';
import { ImageDecodeError, type DecodedImage } from './decodedImage';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Samples per pixel of each colour type. */
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

/** Adam7 passes: first column, first row, column step, row step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlace: number;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Undoes the scanline filters of one (sub)image in place; returns the offset after it. */
function unfilter(raw: Uint8Array, offset: number, rowBytes: number, rows: number, bpp: number, what: string): number {
  for (let y = 0; y < rows; y++) {
    const filter = raw[offset];
    const row = offset + 1;
    const prev = y === 0 ? -1 : row - rowBytes - 1;
    for (let i = 0; i < rowBytes; i++) {
      const a = i >= bpp ? raw[row + i - bpp] : 0;
      const b = prev >= 0 ? raw[prev + i] : 0;
      const c = prev >= 0 && i >= bpp ? raw[prev + i - bpp] : 0;
      let v = raw[row + i];
      switch (filter) {
        case 0:
          break;
        case 1:
          v += a;
          break;
        case 2:
          v += b;
          break;
        case 3:
          v += (a + b) >> 1;
          break;
        case 4:
          v += paeth(a, b, c);
          break;
        default:
          throw new ImageDecodeError(`${what}: corrupt PNG: unknown scanline filter ${filter} in row ${y}`);
      }
      raw[row + i] = v & 0xff;
    }
    offset = row + rowBytes;
  }
  return offset;
}

/** Decodes a PNG file; throws ImageDecodeError naming `what` (the file) and the reason. */
export function decodePng(bytes: Uint8Array, what = 'image'): DecodedImage {
  if (!isPng(bytes)) throw new ImageDecodeError(`${what}: not a PNG file (no PNG signature)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: Header | undefined;
  let palette: Uint8Array | undefined;
  let alpha: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  for (let at = 8; at < bytes.length && !ended;) {
    if (at + 12 > bytes.length) throw new ImageDecodeError(`${what}: corrupt PNG: truncated chunk header at byte ${at}`);
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + length > bytes.length) throw new ImageDecodeError(`${what}: corrupt PNG: chunk ${type} is truncated (file ends early)`);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length))
      throw new ImageDecodeError(`${what}: corrupt PNG: CRC mismatch in chunk ${type}`);
    at += 12 + length;
    if (type === 'IHDR') {
      if (length !== 13) throw new ImageDecodeError(`${what}: corrupt PNG: IHDR is ${length} bytes, not 13`);
      const d = new DataView(data.buffer, data.byteOffset, 13);
      header = { width: d.getUint32(0), height: d.getUint32(4), depth: data[8], colorType: data[9], interlace: data[12] };
      if (data[10] !== 0 || data[11] !== 0) throw new ImageDecodeError(`${what}: unsupported PNG compression or filter method`);
    } else if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') alpha = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') ended = true;
    else if ((type.charCodeAt(0) & 0x20) === 0) throw new ImageDecodeError(`${what}: unsupported PNG: unknown critical chunk ${type}`);
  }
  if (!header) throw new ImageDecodeError(`${what}: corrupt PNG: no IHDR chunk`);
  const { width, height, depth, colorType, interlace } = header;
  const samples = SAMPLES[colorType];
  if (samples === undefined || !DEPTHS[colorType].includes(depth))
    throw new ImageDecodeError(`${what}: unsupported PNG colour type ${colorType} with bit depth ${depth}`);
  if (width === 0 || height === 0) throw new ImageDecodeError(`${what}: corrupt PNG: image is ${width}x${height}`);
  if (width * height > 1e8) throw new ImageDecodeError(`${what}: PNG of ${width}x${height} pixels is too large (over 100 megapixels)`);
  if (colorType === 3 && !palette) throw new ImageDecodeError(`${what}: corrupt PNG: palette image without a PLTE chunk`);
  if (idat.length === 0) throw new ImageDecodeError(`${what}: corrupt PNG: no image data (IDAT)`);
  let raw: Uint8Array;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch (e) {
    throw new ImageDecodeError(`${what}: corrupt PNG: image data does not inflate (${(e as Error).message})`);
  }

  const bitsPerPixel = samples * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const passes = interlace === 1 ? ADAM7 : [[0, 0, 1, 1]];
  const outChannels = (colorType === 3 ? (alpha ? 4 : 3) : samples) as DecodedImage['channels'];
  const sixteen = depth === 16;
  const out = sixteen ? new Uint16Array(width * height * outChannels) : new Uint8Array(width * height * outChannels);
  const scale = depth < 8 && colorType === 0 ? 255 / ((1 << depth) - 1) : 1;
  let offset = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const rowBytes = Math.ceil((pw * bitsPerPixel) / 8);
    if (offset + ph * (rowBytes + 1) > raw.length)
      throw new ImageDecodeError(`${what}: corrupt PNG: image data is ${raw.length} bytes, too short for ${width}x${height}`);
    const start = offset;
    offset = unfilter(raw, offset, rowBytes, ph, bpp, what);
    for (let y = 0; y < ph; y++) {
      const row = start + y * (rowBytes + 1) + 1;
      const outRow = (y0 + y * dy) * width;
      for (let x = 0; x < pw; x++) {
        const o = (outRow + x0 + x * dx) * outChannels;
        if (sixteen) {
          for (let s = 0; s < samples; s++) out[o + s] = (raw[row + (x * samples + s) * 2] << 8) | raw[row + (x * samples + s) * 2 + 1];
        } else if (depth === 8 && colorType !== 3) {
          for (let s = 0; s < samples; s++) out[o + s] = raw[row + x * samples + s];
        } else {
          // One sample per pixel (gray or palette index), packed at 1, 2, 4 or 8 bits, most significant first.
          const bit = x * depth;
          const v = depth === 8 ? raw[row + x] : (raw[row + (bit >> 3)] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
          if (colorType === 3) {
            if (v * 3 + 2 >= palette!.length)
              throw new ImageDecodeError(`${what}: corrupt PNG: palette index ${v} past the ${palette!.length / 3}-entry palette`);
            out[o] = palette![v * 3];
            out[o + 1] = palette![v * 3 + 1];
            out[o + 2] = palette![v * 3 + 2];
            if (alpha) out[o + 3] = v < alpha.length ? alpha[v] : 255;
          } else out[o] = Math.round(v * scale);
        }
      }
    }
  }
  return { width, height, channels: outChannels, maxValue: sixteen ? 65535 : 255, data: out };
}
