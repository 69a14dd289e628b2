/**
 * A decoded image as a model input: alpha dropped, converted to 3 channels (RGB, or BGR) or 1 (gray, ITU-R 601
 * luma 0.299 R + 0.587 G + 0.114 B), resized bilinearly to the input's spatial size, normalised, and laid out
 * NCHW or NHWC (rank 4, batch 1) or CHW / HWC (rank 3) as the input's shape says.
 */
import type { DecodedImage } from './decodedImage';
import type { ImageNormalization } from './imageNormalization';
import { resizeBilinear } from './resizeBilinear';

export type ImageLayout = 'nchw' | 'nhwc';

export interface ImageInputSpec {
  /** The input's declared shape: numbers, or null/strings for free dims. */
  shape: readonly (number | string | null)[];
  /** Forced layout; otherwise from where a 1 or 3 sits in the shape (the 3 when both ends hold one, NCHW when neither). */
  layout?: ImageLayout;
  /** Sizes for free spatial dims (e.g. given with --dim); the image's own size otherwise. */
  height?: number;
  width?: number;
  /** Feed 0..255 values as they are, rounded (for integer inputs); otherwise normalised. */
  normalization?: ImageNormalization;
}

export interface ImageTensor {
  data: Float32Array;
  shape: number[];
  layout: ImageLayout;
  channels: 1 | 3;
  height: number;
  width: number;
}

const fixed = (d: number | string | null | undefined): d is number => typeof d === 'number' && d >= 0;
const isChannels = (d: number | string | null | undefined) => d === 1 || d === 3;

/** The layout an image input has, or a reason it is not an image input. */
export function imageLayoutOf(shape: readonly (number | string | null)[], forced?: ImageLayout): ImageLayout | string {
  if (shape.length !== 4 && shape.length !== 3) return `it is rank ${shape.length}; an image input is rank 4 (NCHW/NHWC) or 3 (CHW/HWC)`;
  const c0 = shape.length === 4 ? 1 : 0;
  const c1 = shape.length - 1;
  if (forced) {
    const c = shape[forced === 'nchw' ? c0 : c1];
    if (fixed(c) && !isChannels(c)) return `its channel axis ${forced === 'nchw' ? c0 : c1} is ${c}, not 1 or 3, for layout ${forced}`;
    return forced;
  }
  // Both ends may hold 1 or 3 ([N,1,H,3]): the one with 3 wins, else channels first.
  if (isChannels(shape[c0]) && isChannels(shape[c1])) return shape[c1] === 3 && shape[c0] === 1 ? 'nhwc' : 'nchw';
  if (isChannels(shape[c0])) return 'nchw';
  if (isChannels(shape[c1])) return 'nhwc';
  if (!fixed(shape[c0])) return 'nchw';
  if (!fixed(shape[c1])) return 'nhwc';
  return `neither axis ${c0} (${shape[c0]}) nor axis ${c1} (${shape[c1]}) holds 1 or 3 channels`;
}

/** Pixels as float HWC in 0..255, with `channels` channels (RGB order). */
function toChannels(image: DecodedImage, channels: 1 | 3): Float32Array {
  const { width, height, data } = image;
  const n = width * height;
  const step = image.channels;
  const k = 255 / image.maxValue;
  const out = new Float32Array(n * channels);
  const colour = step >= 3;
  for (let i = 0; i < n; i++) {
    const s = i * step;
    if (channels === 3) {
      out[i * 3] = data[s] * k;
      out[i * 3 + 1] = data[colour ? s + 1 : s] * k;
      out[i * 3 + 2] = data[colour ? s + 2 : s] * k;
    } else out[i] = colour ? (0.299 * data[s] + 0.587 * data[s + 1] + 0.114 * data[s + 2]) * k : data[s] * k;
  }
  return out;
}

/** Builds the input tensor's values; throws with a reason when the shape is not an image's. */
export function imageToTensor(image: DecodedImage, spec: ImageInputSpec, what = 'input'): ImageTensor {
  const layout = imageLayoutOf(spec.shape, spec.layout);
  if (layout !== 'nchw' && layout !== 'nhwc') throw new Error(`${what} cannot take an image: ${layout}`);
  const rank = spec.shape.length;
  const batchAxis = rank === 4 ? 0 : -1;
  if (batchAxis === 0 && fixed(spec.shape[0]) && spec.shape[0] !== 1)
    throw new Error(`${what} has a fixed batch of ${spec.shape[0]}; an image fills a batch of 1`);
  const off = rank === 4 ? 1 : 0;
  const [cAxis, hAxis, wAxis] = layout === 'nchw' ? [off, off + 1, off + 2] : [off + 2, off, off + 1];
  const c = spec.shape[cAxis];
  const channels: 1 | 3 = c === 1 ? 1 : 3;
  const h = spec.shape[hAxis];
  const w = spec.shape[wAxis];
  const height = fixed(h) ? h : (spec.height ?? image.height);
  const width = fixed(w) ? w : (spec.width ?? image.width);
  if (height < 1 || width < 1) throw new Error(`${what}: cannot resize an image to ${height}x${width}`);
  let pixels = toChannels(image, channels);
  if (height !== image.height || width !== image.width) pixels = resizeBilinear(pixels, image.height, image.width, channels, height, width);
  const norm = spec.normalization;
  const plane = height * width;
  const data = new Float32Array(plane * channels);
  for (let ch = 0; ch < channels; ch++) {
    // Feed channel ch from source channel src (BGR reverses the order).
    const src = norm?.bgr && channels === 3 ? 2 - ch : ch;
    const mean = norm ? (norm.mean.length === 1 ? norm.mean[0] : norm.mean[ch]) : 0;
    const std = norm ? (norm.std.length === 1 ? norm.std[0] : norm.std[ch]) : 1;
    if (mean === undefined || std === undefined)
      throw new Error(`${what}: normalisation has ${norm?.mean.length} means for ${channels} channels`);
    for (let i = 0; i < plane; i++) {
      const x = pixels[i * channels + src];
      const v = norm ? (x * norm.scale - mean) / std : Math.round(x);
      data[layout === 'nchw' ? ch * plane + i : i * channels + ch] = v;
    }
  }
  const dims = layout === 'nchw' ? [channels, height, width] : [height, width, channels];
  return { data, shape: rank === 4 ? [1, ...dims] : dims, layout, channels, height, width };
}
