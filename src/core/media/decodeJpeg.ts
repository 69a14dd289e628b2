/**
 * JPEG decoding through jpeg-js (pure JavaScript: baseline and progressive, 1 or 3 components, Adobe CMYK), strict:
 * a truncated or corrupt file is an error rather than a half-grey image.
 */
import { decode } from 'jpeg-js';
import { ImageDecodeError, type DecodedImage } from './decodedImage';

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** Decodes a JPEG file to 8-bit RGB; throws ImageDecodeError naming `what` (the file) and the reason. */
export function decodeJpeg(bytes: Uint8Array, what = 'image'): DecodedImage {
  if (!isJpeg(bytes)) throw new ImageDecodeError(`${what}: not a JPEG file (no SOI marker)`);
  try {
    const image = decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false, maxResolutionInMP: 100 });
    return { width: image.width, height: image.height, channels: 3, maxValue: 255, data: image.data };
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new ImageDecodeError(`${what}: corrupt or unsupported JPEG (${reason})`);
  }
}
