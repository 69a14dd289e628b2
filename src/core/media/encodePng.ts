/** Writes 8-bit gray, gray + alpha, RGB or RGBA pixels as a PNG file (no interlace, filter Up on every row). */
import { deflateSync } from 'node:zlib';
import { crc32 } from './crc32';
import type { DecodedImage } from './decodedImage';

const COLOR_TYPE: Record<DecodedImage['channels'], number> = { 1: 0, 2: 4, 3: 2, 4: 6 };

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

export function encodePng(image: Pick<DecodedImage, 'width' | 'height' | 'channels'> & { data: Uint8Array }): Buffer {
  const { width, height, channels, data } = image;
  if (data.length !== width * height * channels)
    throw new Error(`encodePng: ${data.length} samples for a ${width}x${height}x${channels} image`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = COLOR_TYPE[channels];
  const rowBytes = width * channels;
  const raw = Buffer.alloc((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    const o = y * (rowBytes + 1);
    raw[o] = y === 0 ? 0 : 2;
    for (let i = 0; i < rowBytes; i++) {
      const v = data[y * rowBytes + i];
      raw[o + 1 + i] = y === 0 ? v : (v - data[(y - 1) * rowBytes + i]) & 0xff;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}
