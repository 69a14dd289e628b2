/**
 * How pixel values become model values: out = (x * scale - mean[c]) / std[c], x in 0..255, per channel c in the
 * order fed (RGB, or BGR when `bgr`; mean and std are in feed order). Presets, or the model's metadata_props when it names them.
 *
 * Metadata keys read (case-insensitive; values as a JSON array, a comma/space list or one number):
 *   mean:  mean, image_mean, norm_mean, mean_values, pixel_mean
 *   std:   std, image_std, norm_std, std_values, scale_values, pixel_std
 *   scale: rescale_factor, pixel_scale (otherwise 1/255 when every mean and std is at most 1, else 1: values in 0..255)
 *   preset: normalization, normalisation, preprocessing (imagenet | 0-1 | -1-1 | 0-255)
 *   order: color_order, channel_order, color_format, colorspace (RGB | BGR), reverse_input_channels (true = BGR)
 */
export const IMAGE_PRESETS = ['imagenet', '0-1', '-1-1', '0-255'] as const;
export type ImagePreset = (typeof IMAGE_PRESETS)[number];

export interface ImageNormalization {
  scale: number;
  /** Per channel in feed order, or one value for all. */
  mean: number[];
  std: number[];
  bgr: boolean;
  /** Where it came from, for the result: "preset imagenet", "metadata mean/std". */
  source: string;
}

export function isImagePreset(value: string): value is ImagePreset {
  return (IMAGE_PRESETS as readonly string[]).includes(value);
}

export function presetNormalization(preset: ImagePreset, bgr = false): ImageNormalization {
  const source = `preset ${preset}`;
  switch (preset) {
    case 'imagenet':
      // Stated for R, G, B; fed in BGR order they are reversed with the channels.
      return bgr
        ? { scale: 1 / 255, mean: [0.406, 0.456, 0.485], std: [0.225, 0.224, 0.229], bgr, source }
        : { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], bgr, source };
    case '0-1':
      return { scale: 1 / 255, mean: [0], std: [1], bgr, source };
    case '-1-1':
      return { scale: 1 / 255, mean: [0.5], std: [0.5], bgr, source };
    case '0-255':
      return { scale: 1, mean: [0], std: [1], bgr, source };
  }
}

const MEAN_KEYS = ['mean', 'image_mean', 'norm_mean', 'mean_values', 'pixel_mean'];
const STD_KEYS = ['std', 'image_std', 'norm_std', 'std_values', 'scale_values', 'pixel_std'];
const SCALE_KEYS = ['rescale_factor', 'pixel_scale'];
const PRESET_KEYS = ['normalization', 'normalisation', 'preprocessing'];
const ORDER_KEYS = ['color_order', 'channel_order', 'color_format', 'colorspace'];

type Props = readonly { key: string; value: string }[];

function find(props: Props, keys: readonly string[]): { key: string; value: string } | undefined {
  for (const k of keys) {
    const hit = props.find((p) => p.key.toLowerCase() === k);
    if (hit) return hit;
  }
  return undefined;
}

/** Numbers from "[0.5, 0.5, 0.5]", "0.5,0.5,0.5", "0.5 0.5 0.5" or "0.5"; undefined when it is anything else. */
export function parseNumberList(text: string): number[] | undefined {
  const t = text.trim().replace(/^[[(]|[\])]$/g, '');
  if (t === '') return undefined;
  const parts = t.split(/[\s,;]+/).filter((p) => p !== '');
  const values = parts.map(Number);
  return values.length > 0 && values.every(Number.isFinite) ? values : undefined;
}

/** The colour order the metadata states, if it does. */
export function channelOrderFromMetadata(props: Props): 'rgb' | 'bgr' | undefined {
  const order = find(props, ORDER_KEYS)?.value.trim().toLowerCase();
  if (order === 'bgr') return 'bgr';
  if (order === 'rgb') return 'rgb';
  const reverse = find(props, ['reverse_input_channels'])?.value.trim().toLowerCase();
  if (reverse === 'true' || reverse === '1') return 'bgr';
  return undefined;
}

/** The normalisation the model's metadata states, or undefined when it states none. */
export function normalizationFromMetadata(props: Props): ImageNormalization | undefined {
  const order = channelOrderFromMetadata(props);
  const bgr = order === 'bgr';
  const preset = find(props, PRESET_KEYS);
  if (preset && isImagePreset(preset.value.trim().toLowerCase())) {
    const n = presetNormalization(preset.value.trim().toLowerCase() as ImagePreset, bgr);
    return { ...n, source: `metadata ${preset.key}=${preset.value.trim()}` };
  }
  const meanProp = find(props, MEAN_KEYS);
  const stdProp = find(props, STD_KEYS);
  const mean = meanProp && parseNumberList(meanProp.value);
  const std = stdProp && parseNumberList(stdProp.value);
  if (!mean && !std) return undefined;
  const m = mean ?? [0];
  const s = std ?? [1];
  if (s.some((v) => v === 0)) return undefined;
  const scaleProp = find(props, SCALE_KEYS);
  const given = scaleProp && parseNumberList(scaleProp.value);
  const unitRange = [...(mean ?? []), ...(std ?? [])].every((v) => Math.abs(v) <= 1);
  const scale = given?.length === 1 && given[0] > 0 ? given[0] : unitRange ? 1 / 255 : 1;
  const keys = [meanProp?.key, stdProp?.key, given ? scaleProp?.key : undefined].filter(Boolean).join('/');
  return { scale, mean: m, std: s, bgr, source: `metadata ${keys}` };
}
