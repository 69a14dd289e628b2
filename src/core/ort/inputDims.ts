/**
 * The value each symbolic or unknown input dimension gets when a model is run on generated inputs, and why: given
 * (--dim, by dim_param name or `input:axis`), the model's metadata (a key named like the dim), an image input's
 * other spatial size (224 when neither is known), the batch size for a leading dim, else 16 — never a silent 1,
 * so a Pad in reflect mode or a small convolution gets room. Scalar inputs get a value the same way (given, a
 * metadata key named like the input, 16000 for a sample rate). Try and Benchmark ask with these as prefills,
 * and the CLI prints them.
 */
import type { ModelSummary, ValueSummary } from '../onnx/modelSummary';

export type DimSource = 'given' | 'metadata' | 'image' | 'batch' | 'default';

export interface DimChoice {
  /** The dim_param name, or `input:axis` for a dimension without one. */
  key: string;
  /** Where it appears. */
  uses: { input: string; axis: number }[];
  value: number;
  source: DimSource;
}

export interface ScalarChoice {
  input: string;
  value: number;
  source: 'given' | 'metadata' | 'name' | 'random';
}

type Summary = Pick<ModelSummary, 'inputs'> & Partial<Pick<ModelSummary, 'metadataProps'>>;

export interface DimOptions {
  /** Size of a leading dim without a hint. Default 1. */
  batchSize?: number;
  /** By dim_param name or `input:axis`. */
  dims?: Record<string, number>;
}

const DEFAULT_SIZE = 16;
const IMAGE_SIZE = 224;
const CHANNELS = new Set([1, 3, 4]);

/** The --dim key of an input's axis. */
export function dimKey(input: string, axis: number, dim: number | string | null | undefined): string {
  return typeof dim === 'string' && dim.length > 0 ? dim : `${input}:${axis}`;
}

function isFree(d: number | string | null | undefined): boolean {
  return !(typeof d === 'number' && d >= 0);
}

function metadataNumber(summary: Summary, names: readonly string[]): number | undefined {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  for (const { key, value } of summary.metadataProps ?? []) {
    if (!wanted.has(key.toLowerCase())) continue;
    const n = Number(value.trim());
    if (Number.isSafeInteger(n) && n >= 0) return n;
  }
  return undefined;
}

/** For a rank-4 image input (channels 1, 3 or 4 first or last), the size an unknown spatial axis gets. */
function imageSize(input: ValueSummary, axis: number, summary: Summary): number | undefined {
  const shape = input.shape;
  if (!shape || shape.length !== 4 || input.elemType === undefined) return undefined;
  const channelsFirst = typeof shape[1] === 'number' && CHANNELS.has(shape[1]);
  const channelsLast = !channelsFirst && typeof shape[3] === 'number' && CHANNELS.has(shape[3]);
  const spatial = channelsFirst ? [2, 3] : channelsLast ? [1, 2] : [];
  if (!spatial.includes(axis)) return undefined;
  const fromMeta = metadataNumber(summary, [axis === spatial[0] ? 'height' : 'width', 'image_size', 'img_size', 'input_size']);
  if (fromMeta !== undefined) return fromMeta;
  const partner = shape[spatial[0] === axis ? spatial[1] : spatial[0]];
  return typeof partner === 'number' && partner > 0 ? partner : IMAGE_SIZE;
}

/** Every free dimension of the tensor inputs, in input order, with its value and where it came from. */
export function chooseDims(summary: Summary, options: DimOptions = {}): DimChoice[] {
  const dims = options.dims ?? {};
  const byKey = new Map<string, DimChoice>();
  for (const input of summary.inputs) {
    if (input.kind !== 'tensor') continue;
    const shape = input.shape ?? [null];
    shape.forEach((d, axis) => {
      if (!isFree(d)) return;
      const key = dimKey(input.name, axis, d);
      const known = byKey.get(key);
      if (known) {
        known.uses.push({ input: input.name, axis });
        return;
      }
      const named = typeof d === 'string' && d.length > 0;
      let value: number | undefined;
      let source: DimSource = 'given';
      if (Object.hasOwn(dims, key)) value = dims[key];
      else if (Object.hasOwn(dims, `${input.name}:${axis}`)) value = dims[`${input.name}:${axis}`];
      if (value === undefined && named) {
        value = metadataNumber(summary, [d]);
        source = 'metadata';
      }
      if (value === undefined) {
        value = imageSize(input, axis, summary);
        source = 'image';
      }
      if (value === undefined && axis === 0) {
        value = options.batchSize ?? 1;
        source = 'batch';
      }
      if (value === undefined) {
        value = DEFAULT_SIZE;
        source = 'default';
      }
      byKey.set(key, { key, uses: [{ input: input.name, axis }], value, source });
    });
  }
  return [...byKey.values()];
}

const SAMPLE_RATE_NAMES = new Set(['sr', 'sample_rate', 'sampling_rate', 'samplerate']);

/** Numeric inputs holding one value (rank 0, or shape [1]): the value each gets, and why. */
export function chooseScalars(summary: Summary, given: Record<string, number> = {}): ScalarChoice[] {
  const out: ScalarChoice[] = [];
  for (const input of summary.inputs) {
    const shape = input.shape;
    if (input.kind !== 'tensor' || !shape || !(shape.length === 0 || (shape.length === 1 && shape[0] === 1))) continue;
    if (input.elemTypeName === 'string') continue;
    if (Object.hasOwn(given, input.name)) out.push({ input: input.name, value: given[input.name], source: 'given' });
    else {
      const meta = metadataNumber(summary, [input.name]);
      if (meta !== undefined) out.push({ input: input.name, value: meta, source: 'metadata' });
      else if (SAMPLE_RATE_NAMES.has(input.name.toLowerCase())) out.push({ input: input.name, value: 16000, source: 'name' });
      else out.push({ input: input.name, value: Number.NaN, source: 'random' });
    }
  }
  return out;
}

/** One line per choice, for the CLI: `samples = 16 (no hint; --dim samples=N)`. */
export function describeChoices(dims: readonly DimChoice[], scalars: readonly ScalarChoice[] = []): string[] {
  const why: Record<DimSource, string> = {
    given: 'given',
    metadata: 'from the metadata',
    image: "the image's other side",
    batch: 'batch size',
    default: 'no hint',
  };
  const lines = dims.map((d) => {
    const where = d.key.includes(':') ? '' : ` (${d.uses.map((u) => `${u.input}[${u.axis}]`).join(', ')})`;
    return `dim ${d.key}${where} = ${d.value}: ${why[d.source]}${d.source === 'given' ? '' : `; --dim ${d.key}=N to change`}`;
  });
  for (const s of scalars) {
    if (s.source === 'random') lines.push(`scalar ${s.input} = random; --scalar ${s.input}=V to set it`);
    else
      lines.push(
        `scalar ${s.input} = ${s.value}: ${s.source === 'name' ? 'a sample rate' : s.source === 'metadata' ? 'from the metadata' : 'given'}`,
      );
  }
  return lines;
}
