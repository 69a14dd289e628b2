/** Decodes a PNG or JPEG file by its first bytes (not its name). */
import { readFile } from 'node:fs/promises';
import { ImageDecodeError, type DecodedImage } from './decodedImage';
import { decodeJpeg, isJpeg } from './decodeJpeg';
import { decodePng, isPng } from './decodePng';

export function decodeImage(bytes: Uint8Array, what = 'image'): DecodedImage {
  if (isPng(bytes)) return decodePng(bytes, what);
  if (isJpeg(bytes)) return decodeJpeg(bytes, what);
  throw new ImageDecodeError(`${what}: not a PNG or JPEG image (unrecognised first bytes)`);
}

export async function readImage(path: string): Promise<DecodedImage> {
  return decodeImage(await readFile(path), path);
}
