/** A decoded raster image: rows top to bottom, pixels left to right, channels interleaved. */
export interface DecodedImage {
  width: number;
  height: number;
  /** 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  /** 255 for 8-bit samples (Uint8Array), 65535 for 16-bit ones (Uint16Array). */
  maxValue: 255 | 65535;
  data: Uint8Array | Uint16Array;
}

/** An image file that cannot be decoded; the message is one line naming the file and the reason. */
export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}
