/**
 * Outputs that look like images, and their pixels: rank 4 with 1 or 3 channels first ([N,C,H,W]) or last
 * ([N,H,W,C]) and both spatial sizes at least 8, or rank 3 ([N,H,W]: masks and heatmaps); the first item of the
 * batch is drawn. Values already in 0..1 are scaled by 255; any other range (logits, class ids, 0..255, -1..1) is
 * stretched from its min..max to 0..255, and a constant image is black.
 */
import type { DecodedImage } from './decodedImage';

export interface ImageLikeShape {
  layout: 'nchw' | 'nhwc' | 'nhw';
  channels: 1 | 3;
  height: number;
  width: number;
}

const MIN_SIDE = 8;

export function imageLikeShape(shape: readonly number[]): ImageLikeShape | undefined {
  if (shape.length === 4 && shape[0] >= 1) {
    const [, a, b, c] = shape;
    if ((a === 1 || a === 3) && b >= MIN_SIDE && c >= MIN_SIDE) return { layout: 'nchw', channels: a, height: b, width: c };
    if ((c === 1 || c === 3) && a >= MIN_SIDE && b >= MIN_SIDE) return { layout: 'nhwc', channels: c, height: a, width: b };
  }
  if (shape.length === 3 && shape[0] >= 1 && shape[1] >= MIN_SIDE && shape[2] >= MIN_SIDE)
    return { layout: 'nhw', channels: 1, height: shape[1], width: shape[2] };
  return undefined;
}

export interface RenderedImage {
  image: DecodedImage & { data: Uint8Array };
  /** How values became pixels, e.g. "0..1 x 255" or "min -3.2 .. max 4.1 stretched". */
  scaling: string;
}

/** The first image of an image-like output as 8-bit pixels; undefined when the shape is not image-like. */
export function tensorToImage(values: ArrayLike<number | bigint | boolean>, shape: readonly number[]): RenderedImage | undefined {
  const like = imageLikeShape(shape);
  if (!like) return undefined;
  const { channels, height, width } = like;
  const plane = height * width;
  const count = plane * channels;
  const pick = (pixel: number, ch: number): number => {
    const v = values[like.layout === 'nchw' ? ch * plane + pixel : pixel * channels + ch];
    return typeof v === 'number' ? v : Number(v);
  };
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let p = 0; p < plane; p++)
    for (let c = 0; c < channels; c++) {
      const v = pick(p, c);
      if (Number.isNaN(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  const unit = min >= 0 && max <= 1;
  const range = max - min;
  const data = new Uint8Array(count);
  for (let p = 0; p < plane; p++)
    for (let c = 0; c < channels; c++) {
      const v = pick(p, c);
      const scaled = Number.isNaN(v) ? 0 : unit ? v * 255 : range > 0 ? ((v - min) / range) * 255 : 0;
      data[p * channels + c] = Math.max(0, Math.min(255, Math.round(scaled)));
    }
  const scaling = unit ? 'values in 0..1 × 255' : range > 0 ? `min ${min} .. max ${max} stretched to 0..255` : `constant ${min}: black`;
  return { image: { width, height, channels, maxValue: 255, data }, scaling };
}
