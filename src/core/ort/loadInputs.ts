/**
 * Model inputs from the files users have: a PNG or JPEG image (resized, normalised and laid out as the input's shape
 * says), a WAV file (mono float32 at the model's sample rate), a CSV row (numeric columns), or .json / .npy values
 * (loadFeeds). Each spec is `FILE` or `NAME=FILE`; a file without a name feeds the model's only input, the input
 * named like the file, or the one input that can take that kind of file. Every input made says how, for the result.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { ModelSummary, ValueSummary } from '../onnx/modelSummary';
import { encodeFloat16 } from '../onnx/float16';
import {
  channelOrderFromMetadata,
  decodeImage,
  decodeWav,
  imageLayoutOf,
  imageToTensor,
  mixToMono,
  normalizationFromMetadata,
  presetNormalization,
  readCsvRow,
  resampleAudio,
  type ImageLayout,
  type ImageNormalization,
  type ImagePreset,
} from '../media';
import { inputAccepts, inputType, isFloat, RATE_KEYS, sampleRateFor, type InputFileKind, inputFileKind } from './inputAccepts';
import { chooseDims } from './inputDims';
import { castValues, loadFeeds, type Feeds } from './makeInputs';
import { makeTensor } from './ortTensor';
import type { OrtType, TensorData } from './ortTypes';

export interface FileInputOptions {
  /** Image normalisation; default: the model's metadata when it states one, else imagenet. */
  preset?: ImagePreset;
  /** Image channel order; default: the metadata's, else RGB. */
  order?: 'rgb' | 'bgr';
  /** Image layout; default: from the input's shape. */
  layout?: ImageLayout;
  /** Audio sample rate; default: metadata (sample_rate, sr, sampling_rate), a given sample-rate scalar, else 16000. */
  rate?: number;
  /** CSV data row, 1-based (default 1). */
  row?: number;
  /** Given dims (--dim), for free spatial sizes of image inputs. */
  dims?: Record<string, number>;
  /** Given scalar inputs (--scalar). */
  scalars?: Record<string, number>;
}

export interface InputSource {
  input: string;
  file: string;
  kind: InputFileKind;
  /** How the tensor was made, e.g. "PNG 640x480 RGB -> resized 224x224, NCHW, preset imagenet". */
  detail: string;
}

export interface LoadedInputs {
  feeds: Feeds;
  sources: InputSource[];
  /** Scalar inputs set to match a file (a sample-rate input to the WAV's rate). */
  scalars: Record<string, number>;
}

type Summary = Pick<ModelSummary, 'inputs'> & Partial<Pick<ModelSummary, 'metadataProps' | 'path'>>;

function toType(values: Float32Array, type: OrtType, what: string): TensorData {
  if (type === 'float32') return values;
  if (type === 'float64') return Float64Array.from(values);
  if (type === 'float16') return Uint16Array.from(values, encodeFloat16);
  if (type === 'string' || type === 'bool') throw new Error(`${what}: a ${type} input cannot be fed from this file`);
  return castValues(Array.from(values, Math.round), type);
}

function describeShape(input: ValueSummary): string {
  return `${input.elemTypeName ?? input.type}[${(input.shape ?? []).map((d) => d ?? '?').join(',')}]`;
}

async function imageInput(
  summary: Summary,
  input: ValueSummary,
  path: string,
  options: FileInputOptions,
): Promise<{ data: TensorData; shape: number[]; detail: string }> {
  const image = decodeImage(await readFile(path), path);
  const type = inputType(input)!;
  const shape = input.shape ?? [];
  const what = `input '${input.name}' (${describeShape(input)})`;
  const layout = imageLayoutOf(shape, options.layout);
  if (layout !== 'nchw' && layout !== 'nhwc') throw new Error(`${path}: ${what} cannot take an image: ${layout}`);
  // Free spatial sizes: given (--dim) or from the metadata; otherwise the image's own.
  const spatial = (shape.length === 4 ? 1 : 0) + (layout === 'nchw' ? 1 : 0);
  const chosen = new Map(
    chooseDims({ ...summary, inputs: [input] }, { dims: options.dims })
      .filter((c) => c.source === 'given' || c.source === 'metadata')
      .flatMap((c) => c.uses.map((u) => [u.axis, c.value] as const)),
  );
  let normalization: ImageNormalization | undefined;
  if (isFloat(type)) {
    const fromMeta = options.preset ? undefined : normalizationFromMetadata(summary.metadataProps ?? []);
    const order = options.order ?? channelOrderFromMetadata(summary.metadataProps ?? []) ?? 'rgb';
    normalization = fromMeta ?? presetNormalization(options.preset ?? 'imagenet', order === 'bgr');
    if (fromMeta && options.order) normalization = { ...fromMeta, bgr: options.order === 'bgr' };
    if (!options.preset && !fromMeta) normalization = { ...normalization, source: 'preset imagenet (default; --preset to change)' };
  }
  let t;
  try {
    t = imageToTensor(image, { shape, layout, height: chosen.get(spatial), width: chosen.get(spatial + 1), normalization }, what);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  const format = image.channels >= 3 ? (image.channels === 4 ? 'RGBA' : 'RGB') : image.channels === 2 ? 'gray+alpha' : 'gray';
  const kind = path.toLowerCase().endsWith('.png') ? 'PNG' : 'image';
  const steps = [
    `${kind} ${image.width}x${image.height} ${format}${image.maxValue === 65535 ? ' 16-bit' : ''}`,
    t.width !== image.width || t.height !== image.height ? `resized to ${t.width}x${t.height} (bilinear)` : `${t.width}x${t.height} as is`,
    `${t.channels === 3 ? (normalization?.bgr ? 'BGR' : 'RGB') : 'gray'} ${t.layout.toUpperCase()}`,
    normalization
      ? `${normalization.source}: (x*${+normalization.scale.toPrecision(6)} - mean [${normalization.mean.join(', ')}]) / std [${normalization.std.join(', ')}]`
      : `0..255 integers (${type} input)`,
  ];
  return { data: toType(t.data, type, `${path}: ${what}`), shape: t.shape, detail: steps.join(', ') };
}

async function audioInput(
  summary: Summary,
  input: ValueSummary,
  path: string,
  options: FileInputOptions,
): Promise<{ data: TensorData; shape: number[]; detail: string }> {
  const audio = decodeWav(await readFile(path), path);
  const type = inputType(input)!;
  const what = `input '${input.name}' (${describeShape(input)})`;
  if (!inputAccepts(input, 'audio')) throw new Error(`${path}: ${what} cannot take audio: it takes a float [N], [1,N] or [1,1,N] tensor`);
  const { rate, source } = sampleRateFor(summary, options);
  const mono = mixToMono(audio.channels);
  let samples = resampleAudio(mono, audio.sampleRate, rate);
  const shape = input.shape ?? [null];
  const last = shape[shape.length - 1];
  const steps = [
    `WAV ${audio.encoding}, ${audio.channels.length} channel${audio.channels.length === 1 ? '' : 's'}${audio.channels.length > 1 ? ' mixed to mono' : ''}, ${audio.sampleRate} Hz`,
    audio.sampleRate === rate ? `${rate} Hz (${source})` : `resampled to ${rate} Hz (${source})`,
    `${samples.length} samples (${(samples.length / rate).toFixed(3)} s)`,
  ];
  if (typeof last === 'number' && last >= 0 && last !== samples.length) {
    steps.push(samples.length > last ? `cut to the input's ${last}` : `zero-padded to the input's ${last}`);
    const fitted = new Float32Array(last);
    fitted.set(samples.subarray(0, last));
    samples = fitted;
  }
  const dims = shape.map((_, i) => (i === shape.length - 1 ? samples.length : 1));
  return { data: toType(samples, type, `${path}: ${what}`), shape: dims, detail: steps.join(', ') };
}

async function csvInput(
  input: ValueSummary,
  path: string,
  options: FileInputOptions,
): Promise<{ data: TensorData; shape: number[]; detail: string }> {
  const row = readCsvRow(await readFile(path, 'utf8'), options.row ?? 1, path);
  const type = inputType(input)!;
  const what = `input '${input.name}' (${describeShape(input)})`;
  if (!inputAccepts(input, 'csv')) throw new Error(`${path}: ${what} cannot take a CSV row: it takes [F] or [1,F]`);
  const shape = input.shape ?? [null];
  const last = shape[shape.length - 1];
  if (typeof last === 'number' && last >= 0 && last !== row.values.length)
    throw new Error(`${path} line ${row.line}: ${row.values.length} numeric columns, but ${what} takes ${last}`);
  const dims = shape.map((_, i) => (i === shape.length - 1 ? row.values.length : 1));
  const detail =
    `CSV data row ${row.row} of ${row.rows} (line ${row.line}), ${row.values.length} columns: ${row.columns.join(', ')}` +
    (row.dropped.length ? `; text columns left out: ${row.dropped.join(', ')}` : '');
  return { data: castValues(row.values, type), shape: dims, detail };
}

function splitSpec(spec: string): { name?: string; path: string } {
  const eq = spec.indexOf('=');
  const named = eq > 0 && !spec.slice(0, eq).includes('/') ? spec.slice(0, eq) : undefined;
  return { name: named, path: named !== undefined ? spec.slice(eq + 1) : spec };
}

function inputFor(summary: Summary, name: string | undefined, path: string, kind: InputFileKind): ValueSummary {
  const names = summary.inputs.map((i) => i.name).join(', ');
  if (name !== undefined) {
    const input = summary.inputs.find((i) => i.name === name);
    if (!input) throw new Error(`${path}: the model has no input named '${name}' (inputs: ${names})`);
    return input;
  }
  if (summary.inputs.length === 1) return summary.inputs[0];
  const stem = basename(path, extname(path));
  const same = summary.inputs.find((i) => i.name === stem);
  if (same) return same;
  const fit = summary.inputs.filter((i) => inputAccepts(i, kind));
  if (fit.length === 1) return fit[0];
  throw new Error(`${path}: name the input it feeds, as NAME=${path} (inputs: ${names})`);
}

/** Reads every spec into a tensor for its input; throws one line naming the file and what is wrong. */
export async function loadInputs(summary: Summary, specs: readonly string[], options: FileInputOptions = {}): Promise<LoadedInputs> {
  const feeds: Feeds = {};
  const sources: InputSource[] = [];
  const scalars: Record<string, number> = {};
  const valueFiles: string[] = [];
  for (const spec of specs) {
    const { name, path } = splitSpec(spec);
    const kind = inputFileKind(path);
    if (kind === undefined)
      throw new Error(`${path}: input files must be .png, .jpg, .wav, .csv, .json or .npy (got '${extname(path) || 'no extension'}')`);
    if (kind === 'json' || kind === 'npy') {
      valueFiles.push(spec);
      continue;
    }
    const input = inputFor(summary, name, path, kind);
    if (input.name in feeds) throw new Error(`${path}: input '${input.name}' is fed twice`);
    const made =
      kind === 'image'
        ? await imageInput(summary, input, path, options)
        : kind === 'audio'
          ? await audioInput(summary, input, path, options)
          : await csvInput(input, path, options);
    feeds[input.name] = makeTensor(inputType(input)!, made.data, made.shape);
    sources.push({ input: input.name, file: path, kind, detail: made.detail });
    if (kind === 'audio') {
      const { rate } = sampleRateFor(summary, options);
      for (const i of summary.inputs)
        if (RATE_KEYS.includes(i.name.toLowerCase()) && options.scalars?.[i.name] === undefined && !(i.name in feeds))
          scalars[i.name] = rate;
    }
  }
  if (valueFiles.length) {
    const values = await loadFeeds(summary, valueFiles);
    for (const [name, tensor] of Object.entries(values)) {
      if (name in feeds) throw new Error(`input '${name}' is fed twice`);
      feeds[name] = tensor;
      const file = valueFiles.map(splitSpec).find((s) => s.name === name)?.path ?? valueFiles.map((s) => splitSpec(s).path).join(', ');
      sources.push({
        input: name,
        file,
        kind: extname(file).toLowerCase() === '.npy' ? 'npy' : 'json',
        detail: `values ${tensor.type}[${tensor.dims.join(',')}]`,
      });
    }
  }
  return { feeds, sources, scalars };
}
