/**
 * Example Open Inference Protocol v2 requests built from a model's metadata (GET /v2/models/{name}):
 * dynamic dims (-1) become 1; the data is zeros (for a copyable curl) or random values (for a test request).
 * Plain functions, no I/O: the extension and tests use them.
 */

export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

export interface InferInput {
  name: string;
  datatype: string;
  shape: number[];
  data: (number | boolean | string)[];
}

export interface InferRequestBody {
  inputs: InferInput[];
}

export type ExampleData = 'zeros' | 'random';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseTensor(raw: unknown): TensorMetadata | undefined {
  if (!isObj(raw) || typeof raw.name !== 'string' || typeof raw.datatype !== 'string' || !Array.isArray(raw.shape)) return undefined;
  if (!raw.shape.every((d) => typeof d === 'number' && Number.isInteger(d))) return undefined;
  return { name: raw.name, datatype: raw.datatype, shape: raw.shape as number[] };
}

/** Validates a metadata answer; throws with a readable message when it is not one. */
export function parseModelMetadata(raw: unknown): ModelMetadata {
  if (!isObj(raw) || typeof raw.name !== 'string' || !Array.isArray(raw.inputs))
    throw new Error('the server answered with something that is not model metadata');
  const inputs = raw.inputs.map(parseTensor);
  const outputs = (Array.isArray(raw.outputs) ? raw.outputs : []).map(parseTensor);
  if (inputs.some((t) => !t) || outputs.some((t) => !t))
    throw new Error(`model metadata of "${raw.name}" has a malformed tensor description`);
  return { name: raw.name, inputs: inputs as TensorMetadata[], outputs: outputs as TensorMetadata[] };
}

/** The concrete shape used for an example: every dynamic (negative) dim becomes 1. */
export function concreteShape(shape: readonly number[]): number[] {
  return shape.map((d) => (d < 0 ? 1 : d));
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

function randomInt(lo: number, hi: number, random: () => number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}

function exampleValue(datatype: string, data: ExampleData, random: () => number): number | boolean | string {
  switch (datatype) {
    case 'BOOL':
      return data === 'random' ? random() < 0.5 : false;
    case 'BYTES':
      return data === 'random' ? `sample-${randomInt(0, 999, random)}` : '';
    case 'FP16':
    case 'FP32':
    case 'FP64':
    case 'BF16':
      return data === 'random' ? Math.round((random() * 2 - 1) * 1e4) / 1e4 : 0;
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
    case 'UINT64':
      return data === 'random' ? randomInt(0, 9, random) : 0;
    default:
      // signed integers: small values stay valid as indices for most models
      return data === 'random' ? randomInt(0, 9, random) : 0;
  }
}

/** An infer request with one input per model input, shaped after the metadata. */
export function buildInferRequest(meta: ModelMetadata, data: ExampleData, random: () => number = Math.random): InferRequestBody {
  return {
    inputs: meta.inputs.map((t) => {
      const shape = concreteShape(t.shape);
      const n = elementCount(shape);
      return { name: t.name, datatype: t.datatype, shape, data: Array.from({ length: n }, () => exampleValue(t.datatype, data, random)) };
    }),
  };
}

export function inferPath(modelName: string): string {
  return `/v2/models/${encodeURIComponent(modelName)}/infer`;
}

/** Quotes a string for a POSIX shell: single quotes, with embedded quotes closed, escaped and reopened. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A curl command that POSTs a zero-filled infer request to the model. */
export function curlExample(baseUrl: string, meta: ModelMetadata): string {
  const body = JSON.stringify(buildInferRequest(meta, 'zeros'));
  const url = `${baseUrl.replace(/\/+$/, '')}${inferPath(meta.name)}`;
  return `curl -sS -X POST ${shellQuote(url)} \\\n  -H 'Content-Type: application/json' \\\n  -d ${shellQuote(body)}`;
}
