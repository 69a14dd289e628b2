/**
 * Which files an input can take (pure: no runtime), for loadInputs and for the editor's input picks: the file kind by
 * extension, whether an input's type and shape fit an image, audio or a CSV row, and the sample rate audio gets.
 */
import { extname } from 'node:path';
import { imageLayoutOf } from '../media/imageToTensor';
import type { ModelSummary, ValueSummary } from '../onnx/modelSummary';
import { ortTypeOf, type OrtType } from './ortTypes';

type Summary = Pick<ModelSummary, 'inputs'> & Partial<Pick<ModelSummary, 'metadataProps'>>;

export type InputFileKind = 'image' | 'audio' | 'csv' | 'json' | 'npy';

export const INPUT_FILE_EXTENSIONS: Record<string, InputFileKind> = {
  '.png': 'image',
  '.jpg': 'image',
  '.jpeg': 'image',
  '.wav': 'audio',
  '.wave': 'audio',
  '.csv': 'csv',
  '.tsv': 'csv',
  '.json': 'json',
  '.npy': 'npy',
};

export const DEFAULT_SAMPLE_RATE = 16000;
export const RATE_KEYS = ['sample_rate', 'sr', 'sampling_rate', 'samplerate'];

export function inputFileKind(path: string): InputFileKind | undefined {
  return INPUT_FILE_EXTENSIONS[extname(path).toLowerCase()];
}

export function inputType(input: ValueSummary): OrtType | undefined {
  return input.kind === 'tensor' && input.elemType !== undefined ? ortTypeOf(input.elemType) : undefined;
}

export const isFloat = (t: OrtType | undefined) => t === 'float32' || t === 'float64' || t === 'float16';
const isFree = (d: unknown) => !(typeof d === 'number' && d >= 0);

/** Whether an input can take a file of `kind` (used to pick an unnamed file's input and to offer choices). */
export function inputAccepts(input: ValueSummary, kind: InputFileKind): boolean {
  const type = inputType(input);
  if (type === undefined || type === 'string') return false;
  const shape = input.shape;
  if (kind === 'json' || kind === 'npy') return true;
  if (!shape) return kind === 'csv' || kind === 'audio';
  if (kind === 'image') {
    const layout = imageLayoutOf(shape);
    return (layout === 'nchw' || layout === 'nhwc') && type !== 'bool';
  }
  const last = shape[shape.length - 1];
  const leadOk = shape.slice(0, -1).every((d) => d === 1 || isFree(d));
  if (kind === 'audio') return isFloat(type) && shape.length >= 1 && shape.length <= 3 && leadOk && (isFree(last) || Number(last) > 1);
  return shape.length >= 1 && shape.length <= 2 && leadOk && type !== 'bool';
}

/** The sample rate audio inputs get, and why. */
export function sampleRateFor(
  summary: Summary,
  options: { rate?: number; scalars?: Record<string, number> } = {},
): { rate: number; source: string } {
  if (options.rate !== undefined) return { rate: options.rate, source: 'given' };
  for (const key of RATE_KEYS) {
    const hit = summary.metadataProps?.find((p) => p.key.toLowerCase() === key);
    const n = hit ? Number(hit.value.trim()) : Number.NaN;
    if (Number.isFinite(n) && n > 0) return { rate: n, source: `metadata ${hit!.key}` };
  }
  for (const input of summary.inputs) {
    const given = options.scalars?.[input.name];
    if (RATE_KEYS.includes(input.name.toLowerCase()) && given !== undefined && given > 0)
      return { rate: given, source: `--scalar ${input.name}` };
  }
  return { rate: DEFAULT_SAMPLE_RATE, source: 'default' };
}
