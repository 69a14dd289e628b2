/**
 * Model inputs for benchmarks and trial runs: seeded random tensors shaped from the ModelSummary (free dims as
 * chooseDims says: `dims`, metadata, an image's other side, batchSize for a leading dim, else 16; scalar inputs
 * from `scalars`, a metadata key or a sample-rate name, else random), or values read from a JSON or .npy file.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { ModelSummary, ValueSummary } from '../onnx/modelSummary';
import { chooseDims, chooseScalars, dimKey } from './inputDims';
import { makeTensor, type OrtTensor } from './ortTensor';
import { allocate, ortTypeOf, type OrtType, type TensorData } from './ortTypes';
import { parseNpy } from './parseNpy';
import { seededRandom } from '../random/seededRandom';

export type Feeds = Record<string, OrtTensor>;

export interface InputOptions {
  /** Size of a leading symbolic (or unknown) dim not named in `dims`. Default 1. */
  batchSize?: number;
  /** Values for symbolic dims by their name (dim_param), e.g. `{ sequence: 128 }`, or `input:axis` for unnamed ones. */
  dims?: Record<string, number>;
  /** Values of scalar inputs (rank 0 or shape [1]) by input name, e.g. `{ sr: 16000 }`. */
  scalars?: Record<string, number>;
  /** PRNG seed; the same seed gives the same values. Default 1. */
  seed?: number;
  /** Inputs already at hand (e.g. from loadFeeds): kept as they are, only the others are generated. */
  provided?: Feeds;
}

export interface InputPlan {
  name: string;
  type: OrtType;
  shape: number[];
  /** Symbolic dims and the value each got. */
  resolved: Record<string, number>;
}

function checkCount(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${what} must be a non-negative integer, got ${value}`);
  return value;
}

/** The type and concrete shape each tensor input gets. Throws for inputs that are not tensors ORT can hold. */
export function planInputs(
  summary: Pick<ModelSummary, 'inputs' | 'path'> & Partial<Pick<ModelSummary, 'metadataProps'>>,
  options: InputOptions = {},
): InputPlan[] {
  const batch = checkCount(options.batchSize ?? 1, 'batch size');
  for (const [k, v] of Object.entries(options.dims ?? {})) checkCount(v, `dim '${k}'`);
  const chosen = new Map(chooseDims(summary, { batchSize: batch, dims: options.dims }).map((c) => [c.key, c.value]));
  return summary.inputs.map((input) => planInput(input, chosen, summary.path));
}

function planInput(input: ValueSummary, chosen: ReadonlyMap<string, number>, model: string): InputPlan {
  if (input.kind !== 'tensor' || input.elemType === undefined) {
    throw new Error(`model ${model}: input '${input.name}' is ${input.type}, not a tensor: cannot generate it`);
  }
  const type = ortTypeOf(input.elemType);
  if (type === undefined) {
    throw new Error(
      `model ${model}: input '${input.name}' has element type ${input.elemTypeName ?? input.elemType}, which onnxruntime-node cannot feed`,
    );
  }
  const resolved: Record<string, number> = {};
  // Unknown rank: a 1-D tensor of the batch size is the most common guess that runs.
  const declared = input.shape ?? [null];
  const shape = declared.map((d, i) => {
    if (typeof d === 'number' && d >= 0) return d;
    const key = dimKey(input.name, i, d);
    const value = chosen.get(key) ?? 1;
    resolved[key] = value;
    return value;
  });
  return { name: input.name, type, shape, resolved };
}

/** Fills a tensor with seeded random values suited to its type. */
export function randomTensor(type: OrtType, shape: readonly number[], random: () => number): OrtTensor {
  const count = shape.reduce((a, b) => a * b, 1);
  const data = allocate(type, count);
  switch (type) {
    case 'float32':
    case 'float64': {
      const d = data as Float32Array | Float64Array;
      for (let i = 0; i < count; i++) d[i] = random();
      break;
    }
    case 'float16': {
      // Half bits of a value in [0, 1): exponent 0x3800 (0.5) .. mantissa random, i.e. [0.5, 1).
      const d = data as Uint16Array;
      for (let i = 0; i < count; i++) d[i] = 0x3800 | Math.floor(random() * 1024);
      break;
    }
    case 'bool': {
      const d = data as Uint8Array;
      for (let i = 0; i < count; i++) d[i] = random() < 0.5 ? 0 : 1;
      break;
    }
    case 'int64':
    case 'uint64': {
      // Small non-negative values: int64 inputs are mostly indices (token ids, positions).
      const d = data as BigInt64Array | BigUint64Array;
      for (let i = 0; i < count; i++) d[i] = BigInt(Math.floor(random() * 10));
      break;
    }
    case 'string': {
      const d = data as string[];
      for (let i = 0; i < count; i++) d[i] = String.fromCharCode(97 + Math.floor(random() * 26));
      break;
    }
    default: {
      const d = data as Int32Array;
      for (let i = 0; i < count; i++) d[i] = Math.floor(random() * 10);
    }
  }
  return makeTensor(type, data, shape);
}

/** Random feeds for every input not already `provided`; scalar inputs with a chosen value hold it. */
export function makeInputs(
  summary: Pick<ModelSummary, 'inputs' | 'path'> & Partial<Pick<ModelSummary, 'metadataProps'>>,
  options: InputOptions = {},
): Feeds {
  const random = seededRandom(options.seed ?? 1);
  const feeds: Feeds = { ...(options.provided ?? {}) };
  const rest = { ...summary, inputs: summary.inputs.filter((i) => !(i.name in feeds)) };
  const scalars = new Map(
    chooseScalars(rest, options.scalars).flatMap((s) => (s.source === 'random' ? [] : [[s.input, s.value] as const])),
  );
  for (const plan of planInputs(rest, options)) {
    const value = scalars.get(plan.name);
    feeds[plan.name] =
      value === undefined
        ? randomTensor(plan.type, plan.shape, random)
        : makeTensor(plan.type, castValues(new Array<number>(plan.shape.reduce((a, b) => a * b, 1)).fill(value), plan.type), plan.shape);
  }
  return feeds;
}

/** Copies numbers/bigints/booleans/strings into a typed array of `type`. */
export function castValues(values: ArrayLike<unknown>, type: OrtType): TensorData {
  const out = allocate(type, values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (type === 'string') (out as string[])[i] = String(v);
    else if (type === 'int64' || type === 'uint64') (out as BigInt64Array)[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
    else if (type === 'bool') (out as Uint8Array)[i] = v ? 1 : 0;
    else if (type === 'float16') throw new Error('float16 inputs cannot be read from JSON; use a .npy file with dtype f2');
    else (out as Float32Array)[i] = typeof v === 'boolean' ? Number(v) : Number(v);
  }
  return out;
}

/** Shape and flat values of a nested JSON array; throws when it is ragged. */
export function flattenNested(value: unknown, what: string): { shape: number[]; values: unknown[] } {
  const shape: number[] = [];
  for (let v = value; Array.isArray(v); v = v[0]) shape.push(v.length);
  const values: unknown[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(v) || (v !== null && typeof v === 'object')) throw new Error(`${what}: ragged nested array`);
      values.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) throw new Error(`${what}: ragged nested array at depth ${depth}`);
    for (const x of v) walk(x, depth + 1);
  };
  walk(value, 0);
  return { shape, values };
}

function expectedType(summary: Pick<ModelSummary, 'inputs'>, name: string, source: string): OrtType {
  const input = summary.inputs.find((i) => i.name === name);
  if (!input)
    throw new Error(`${source}: the model has no input named '${name}' (inputs: ${summary.inputs.map((i) => i.name).join(', ')})`);
  const type = input.elemType === undefined ? undefined : ortTypeOf(input.elemType);
  if (type === undefined) throw new Error(`${source}: input '${name}' (${input.type}) cannot be fed from a file`);
  return type;
}

/**
 * Feeds read from files: a `.json` file holding `{ inputName: nestedArray, ... }`, or `.npy` files named after
 * their input (`input_ids.npy`), or `name=path.npy`. A single .npy file feeds a model's single input whatever its
 * name. Values are converted to the input's element type.
 */
export async function loadFeeds(summary: Pick<ModelSummary, 'inputs'>, paths: readonly string[]): Promise<Feeds> {
  const feeds: Feeds = {};
  for (const spec of paths) {
    const eq = spec.indexOf('=');
    const named = eq > 0 && !spec.slice(0, eq).includes('/') ? spec.slice(0, eq) : undefined;
    const path = named !== undefined ? spec.slice(eq + 1) : spec;
    const ext = extname(path).toLowerCase();
    if (ext === '.json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readFile(path, 'utf8'));
      } catch (e) {
        throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new Error(`${path}: expected an object { inputName: nested array }`);
      for (const [name, value] of Object.entries(parsed)) {
        const type = expectedType(summary, name, path);
        const { shape, values } = flattenNested(value, `${path} '${name}'`);
        feeds[name] = makeTensor(type, castValues(values, type), shape);
      }
    } else if (ext === '.npy') {
      const single = paths.length === 1 && summary.inputs.length === 1 ? summary.inputs[0].name : undefined;
      const name = named ?? (summary.inputs.some((i) => i.name === basename(path, extname(path))) ? basename(path, extname(path)) : single);
      if (name === undefined) throw new Error(`${path}: no input named '${basename(path, extname(path))}'; name it as input=${path}`);
      const type = expectedType(summary, name, path);
      const array = parseNpy(await readFile(path), path);
      const values = array.type === type ? array.values : castValues(array.values as ArrayLike<unknown>, type);
      feeds[name] = makeTensor(type, values, array.shape);
    } else {
      throw new Error(`${path}: input files must be .json or .npy`);
    }
  }
  return feeds;
}
