/**
 * TensorFlow Serving's REST API on top of the OIP server: routes, the row (`instances`) and columnar (`inputs`)
 * predict formats turned into an InferRequest, outputs turned into `predictions` / `outputs`, model status and
 * signature metadata. Pure functions: the handler in inferenceServer.ts does the I/O.
 */
import { badRequest, HttpError } from './httpError';
import { parseInferRequest, type InferRequest, type ModelSignature, type TensorSpec } from './inferRequest';
import type { HostTensor, ProtocolDatatype } from './datatypes';
import { decodeFloat16 } from '../onnx/float16';

export const DEFAULT_SIGNATURE = 'serving_default';
const PREDICT_METHOD = 'tensorflow/serving/predict';

export type TfRouteKind = 'tfStatus' | 'tfMetadata' | 'tfPredict';

export interface TfRoute {
  kind: TfRouteKind;
  methods: string[];
  model: string;
  version?: string;
  label?: string;
}

export type TfFormat = 'row' | 'columnar';

export interface TfPredictRequest {
  request: InferRequest;
  format: TfFormat;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`bad URL encoding in "${segment}"`);
  }
}

/**
 * `/v1/models/NAME[/versions/V|/labels/L]` (status), `.../metadata`, `...:predict`. Returns undefined for paths that
 * are not TF Serving's (the caller answers 404).
 */
export function tfRoute(pathname: string): TfRoute | undefined {
  if (!pathname.startsWith('/v1/models/')) return undefined;
  let rest = pathname.slice('/v1/models/'.length);
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  let verb: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0 && !rest.slice(colon).includes('/')) {
    verb = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  if (parts[0] === '') return undefined;
  const model = decode(parts[0]);
  let i = 1;
  let version: string | undefined;
  let label: string | undefined;
  if (parts[i] === 'versions' || parts[i] === 'labels') {
    const value = parts[i + 1];
    if (value === undefined || value === '') return undefined;
    if (parts[i] === 'versions') version = decode(value);
    else label = decode(value);
    i += 2;
  }
  const tail = parts.slice(i);
  if (verb !== undefined) {
    if (tail.length !== 0 || verb !== 'predict') return undefined;
    return { kind: 'tfPredict', methods: ['POST'], model, version, label };
  }
  if (tail.length === 0) return { kind: 'tfStatus', methods: ['GET'], model, version, label };
  if (tail.length === 1 && tail[0] === 'metadata') return { kind: 'tfMetadata', methods: ['GET'], model, version, label };
  return undefined;
}

/** The dims of a nested JSON array, read along the first elements (a scalar has none). */
function dimsOf(value: unknown): number[] {
  const dims: number[] = [];
  let v = value;
  while (Array.isArray(v)) {
    dims.push(v.length);
    if (dims.length > 32) throw badRequest('a value is nested deeper than 32 levels');
    v = v[0];
  }
  return dims;
}

function inputNames(signature: ModelSignature): string {
  return signature.inputs.map((s) => `'${s.name}'`).join(', ');
}

function checkSignatureName(body: Json): void {
  const name = body.signature_name;
  if (name === undefined || name === '' || name === DEFAULT_SIGNATURE) return;
  if (typeof name !== 'string') throw badRequest('"signature_name" must be a string');
  throw badRequest(`Serving signature name: "${name}" not found in signature def (this server has "${DEFAULT_SIGNATURE}")`);
}

/** A JSON value of one input (row data stacked, or a column) -> an OIP input, validated by parseInferRequest. */
function oipInput(spec: TensorSpec, value: unknown): Json {
  const shape = dimsOf(value);
  return { name: spec.name, datatype: spec.datatype, shape, data: shape.length === 0 ? [value] : value };
}

/** Row format: every instance is one row of the only input, or an object with one row of every input. */
function rowInputs(signature: ModelSignature, instances: unknown[]): Json[] {
  if (instances.length === 0) throw badRequest('"instances" is empty');
  const named = isObject(instances[0]);
  if (!named) {
    if (signature.inputs.length !== 1)
      throw badRequest(
        `the model takes ${signature.inputs.length} inputs (${inputNames(signature)}): give every instance as an object of them`,
      );
    const spec = signature.inputs[0];
    const rowDims = dimsOf(instances[0]).join(',');
    for (let i = 1; i < instances.length; i++) {
      if (isObject(instances[i]) || dimsOf(instances[i]).join(',') !== rowDims)
        throw badRequest(`instance ${i} has a different shape from instance 0: every instance must have the same shape`);
    }
    return [oipInput(spec, instances)];
  }
  const columns = new Map<string, unknown[]>();
  for (const spec of signature.inputs) columns.set(spec.name, []);
  instances.forEach((inst, i) => {
    if (!isObject(inst)) throw badRequest(`instance ${i} is not an object like instance 0`);
    for (const key of Object.keys(inst)) {
      if (key === 'b64') throw badRequest('base64 ("b64") values are not supported: this server takes numbers, booleans and strings');
      if (!columns.has(key)) throw badRequest(`instance ${i} has unexpected input '${key}'; the model takes ${inputNames(signature)}`);
    }
    for (const [name, col] of columns) {
      if (!(name in inst)) throw badRequest(`instance ${i} is missing input '${name}'`);
      col.push(inst[name]);
    }
  });
  return signature.inputs.map((spec) => {
    const col = columns.get(spec.name)!;
    const rowDims = dimsOf(col[0]).join(',');
    for (let i = 1; i < col.length; i++)
      if (dimsOf(col[i]).join(',') !== rowDims)
        throw badRequest(`input '${spec.name}' of instance ${i} has a different shape from instance 0`);
    return oipInput(spec, col);
  });
}

/** Columnar format: the only input's value, or an object of every input's value. */
function columnarInputs(signature: ModelSignature, inputs: unknown): Json[] {
  if (!isObject(inputs)) {
    if (signature.inputs.length !== 1)
      throw badRequest(`the model takes ${signature.inputs.length} inputs (${inputNames(signature)}): give "inputs" as an object of them`);
    return [oipInput(signature.inputs[0], inputs)];
  }
  for (const key of Object.keys(inputs))
    if (!signature.inputs.some((s) => s.name === key))
      throw badRequest(`unexpected input '${key}'; the model takes ${inputNames(signature)}`);
  return signature.inputs.map((spec) => {
    if (!(spec.name in inputs)) throw badRequest(`"inputs" is missing input '${spec.name}'`);
    return oipInput(spec, inputs[spec.name]);
  });
}

const NO_BINARY = Buffer.alloc(0);

/** A parsed TF Serving predict body -> an InferRequest for the shared prediction path. */
export function parseTfPredict(signature: ModelSignature, body: unknown): TfPredictRequest {
  if (!isObject(body)) throw badRequest('the request body must be a JSON object');
  checkSignatureName(body);
  const hasRows = body.instances !== undefined;
  const hasColumns = body.inputs !== undefined;
  if (hasRows === hasColumns)
    throw badRequest('the request must have either "instances" (row format) or "inputs" (columnar format), not both');
  let inputs: Json[];
  if (hasRows) {
    if (!Array.isArray(body.instances)) throw badRequest('"instances" must be a list');
    inputs = rowInputs(signature, body.instances);
  } else inputs = columnarInputs(signature, body.inputs);
  return { request: parseInferRequest(signature, { inputs }, NO_BINARY), format: hasRows ? 'row' : 'columnar' };
}

/** One JSON text per element; non-finite floats as the strings the OIP side writes too. */
function elementTexts(t: HostTensor): string[] {
  const n = t.data.length;
  const out = new Array<string>(n);
  const float = (v: number) => (v - v === 0 ? String(v) : Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"');
  switch (t.datatype) {
    case 'FP16': {
      const bits = t.data as Uint16Array;
      for (let i = 0; i < n; i++) out[i] = float(decodeFloat16(bits[i]));
      return out;
    }
    case 'FP32':
    case 'FP64': {
      const d = t.data as Float32Array;
      for (let i = 0; i < n; i++) out[i] = float(d[i]);
      return out;
    }
    case 'BOOL': {
      const d = t.data as Uint8Array;
      for (let i = 0; i < n; i++) out[i] = d[i] ? 'true' : 'false';
      return out;
    }
    case 'BYTES': {
      const d = t.data as string[];
      for (let i = 0; i < n; i++) out[i] = JSON.stringify(d[i]);
      return out;
    }
    default: {
      const d = t.data as Int32Array;
      for (let i = 0; i < n; i++) out[i] = String(d[i]);
      return out;
    }
  }
}

/** The JSON text of elements [offset, offset + product(shape)) nested by shape. */
function nested(texts: string[], shape: readonly number[], dim: number, offset: number): string {
  if (dim === shape.length) return texts[offset];
  const n = shape[dim];
  let stride = 1;
  for (let d = dim + 1; d < shape.length; d++) stride *= shape[d];
  if (dim === shape.length - 1) return `[${texts.slice(offset, offset + n).join(',')}]`;
  const parts = new Array<string>(n);
  for (let i = 0; i < n; i++) parts[i] = nested(texts, shape, dim + 1, offset + i * stride);
  return `[${parts.join(',')}]`;
}

/** The body of a predict answer: `{"predictions": [...]}` (row) or `{"outputs": ...}` (columnar). */
export function encodeTfPredict(format: TfFormat, outputs: readonly { name: string; tensor: HostTensor }[]): string {
  if (format === 'columnar') {
    const texts = outputs.map((o) => nested(elementTexts(o.tensor), o.tensor.shape, 0, 0));
    if (outputs.length === 1) return `{"outputs":${texts[0]}}`;
    return `{"outputs":{${outputs.map((o, i) => `${JSON.stringify(o.name)}:${texts[i]}`).join(',')}}}`;
  }
  return `{"predictions":${predictionRows(outputs)}}`;
}

/** Row format outputs: one entry per row (dim 0) of every output; an object per row when there are several outputs. */
export function predictionRows(outputs: readonly { name: string; tensor: HostTensor }[]): string {
  const rows = outputs[0].tensor.shape[0];
  for (const o of outputs) {
    if (o.tensor.shape.length === 0 || o.tensor.shape[0] !== rows)
      throw new HttpError(
        400,
        `output '${o.name}' has shape [${o.tensor.shape.join(',')}], which has not the ${rows} rows of '${outputs[0].name}': use the columnar format ("inputs")`,
      );
  }
  const perOutput = outputs.map((o) => {
    const texts = elementTexts(o.tensor);
    const inner = o.tensor.shape.slice(1);
    let stride = 1;
    for (const d of inner) stride *= d;
    const out = new Array<string>(rows);
    for (let r = 0; r < rows; r++) out[r] = nested(texts, inner, 0, r * stride);
    return out;
  });
  const parts = new Array<string>(rows);
  if (outputs.length === 1) return `[${perOutput[0].join(',')}]`;
  const keys = outputs.map((o) => JSON.stringify(o.name));
  for (let r = 0; r < rows; r++) parts[r] = `{${keys.map((k, i) => `${k}:${perOutput[i][r]}`).join(',')}}`;
  return `[${parts.join(',')}]`;
}

const TF_DTYPES: Record<ProtocolDatatype, string> = {
  BOOL: 'DT_BOOL',
  UINT8: 'DT_UINT8',
  UINT16: 'DT_UINT16',
  UINT32: 'DT_UINT32',
  UINT64: 'DT_UINT64',
  INT8: 'DT_INT8',
  INT16: 'DT_INT16',
  INT32: 'DT_INT32',
  INT64: 'DT_INT64',
  FP16: 'DT_HALF',
  FP32: 'DT_FLOAT',
  FP64: 'DT_DOUBLE',
  BYTES: 'DT_STRING',
};

function tensorInfo(spec: TensorSpec): object {
  return {
    dtype: TF_DTYPES[spec.datatype],
    tensor_shape: { dim: spec.shape.map((d) => ({ size: String(d), name: '' })), unknown_rank: false },
    name: spec.name,
  };
}

/** GetModelMetadataResponse as TF Serving writes it in JSON: the signature_def map with one serving_default entry. */
export function tfMetadata(signature: ModelSignature, version: string): object {
  const map = (specs: TensorSpec[]) => Object.fromEntries(specs.map((s) => [s.name, tensorInfo(s)]));
  return {
    model_spec: { name: signature.name, signature_name: '', version },
    metadata: {
      signature_def: {
        signature_def: {
          [DEFAULT_SIGNATURE]: { inputs: map(signature.inputs), outputs: map(signature.outputs), method_name: PREDICT_METHOD },
        },
      },
    },
  };
}

const STATES: Record<string, string> = { loading: 'LOADING', ready: 'AVAILABLE', failed: 'END', unloaded: 'END' };

/** GetModelStatusResponse: the one version's state. */
export function tfStatus(version: string, state: string, error?: string): object {
  return {
    model_version_status: [
      {
        version,
        state: STATES[state] ?? 'UNKNOWN',
        status: state === 'failed' ? { error_code: 'UNKNOWN', error_message: error ?? '' } : { error_code: 'OK', error_message: '' },
      },
    ],
  };
}
