/**
 * Parses and validates an inference request (JSON header + optional binary section) against a model's signature.
 * Every problem is a 400 HttpError with a message that names the input and what was expected.
 */
import { badRequest } from './httpError';
import { decodeBinaryTensor } from './binaryExtension';
import { decodeJsonData } from './tensorCodec';
import { isProtocolDatatype, type HostTensor, type ProtocolDatatype } from './datatypes';

/** A model input or output as the protocol's metadata shows it: -1 marks a dynamic dimension. */
export interface TensorSpec {
  name: string;
  datatype: ProtocolDatatype;
  shape: number[];
}

export interface ModelSignature {
  name: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

export interface RequestedOutput {
  name: string;
  /** Return this output through the binary extension. */
  binary: boolean;
}

export interface InferRequest {
  id?: string;
  /** Inputs in the model's input order. */
  inputs: HostTensor[];
  /** Requested outputs, in request order; every model output when the request names none. */
  outputs: RequestedOutput[];
  /** Rows along dim 0 (1 for rank-0 inputs); used by the batcher. */
  rows: number;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function parametersOf(v: unknown, what: string): Json {
  if (v === undefined) return {};
  if (!isObject(v)) throw badRequest(`${what}: "parameters" must be an object`);
  return v;
}

function checkShape(spec: TensorSpec, shape: unknown, what: string): number[] {
  if (!Array.isArray(shape)) throw badRequest(`${what}: "shape" must be an array of non-negative integers`);
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw badRequest(
        `${what}: "shape" must be an array of non-negative integers, got [${shape.map((x) => JSON.stringify(x)).join(',')}]`,
      );
    }
  }
  const dims = shape as number[];
  // An empty model shape is a scalar or an unknown rank: ORT checks those at run time.
  if (spec.shape.length > 0) {
    const fits = dims.length === spec.shape.length && spec.shape.every((d, i) => d < 0 || d === dims[i]);
    if (!fits) throw badRequest(`${what}: shape [${dims.join(',')}] does not match the model's [${spec.shape.join(',')}]`);
  }
  let count = 1;
  for (const d of dims) count *= d;
  if (count > 2 ** 31) throw badRequest(`${what}: shape [${dims.join(',')}] has more than 2^31 elements`);
  return dims;
}

/**
 * Builds an InferRequest from a parsed JSON header and the binary section that followed it.
 * `body` is the result of JSON.parse; it is untrusted.
 */
export function parseInferRequest(model: ModelSignature, body: unknown, binary: Buffer): InferRequest {
  if (!isObject(body)) throw badRequest('the request body must be a JSON object');
  const m = `model '${model.name}'`;
  let id: string | undefined;
  if (body.id !== undefined) {
    if (typeof body.id !== 'string') throw badRequest('"id" must be a string');
    id = body.id;
  }
  const params = parametersOf(body.parameters, 'request');
  const binaryOutput = params.binary_data_output === true;
  if (!Array.isArray(body.inputs)) throw badRequest('"inputs" must be an array');

  const byName = new Map<string, HostTensor>();
  let offset = 0;
  for (const raw of body.inputs as unknown[]) {
    if (!isObject(raw)) throw badRequest('every element of "inputs" must be an object');
    const name = raw.name;
    if (typeof name !== 'string') throw badRequest('every input needs a string "name"');
    const what = `input '${name}'`;
    const spec = model.inputs.find((s) => s.name === name);
    if (!spec)
      throw badRequest(`unexpected ${what} for ${m}; it expects ${model.inputs.map((s) => `'${s.name}'`).join(', ') || 'no inputs'}`);
    if (byName.has(name)) throw badRequest(`${what} appears more than once`);
    if (!isProtocolDatatype(raw.datatype)) throw badRequest(`${what}: unknown datatype ${JSON.stringify(raw.datatype)}`);
    if (raw.datatype !== spec.datatype) throw badRequest(`${what}: datatype is ${raw.datatype} but ${m} expects ${spec.datatype}`);
    const shape = checkShape(spec, raw.shape, what);
    const p = parametersOf(raw.parameters, what);
    let count = 1;
    for (const d of shape) count *= d;
    let data;
    if (p.binary_data_size !== undefined) {
      const size = p.binary_data_size;
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
        throw badRequest(`${what}: binary_data_size must be a non-negative integer`);
      if (raw.data !== undefined) throw badRequest(`${what}: has both "data" and binary_data_size`);
      if (offset + size > binary.length) {
        throw badRequest(`${what}: binary_data_size ${size} runs past the ${binary.length} bytes after the JSON header`);
      }
      data = decodeBinaryTensor(spec.datatype, count, binary.subarray(offset, offset + size), what);
      offset += size;
    } else {
      if (raw.data === undefined) throw badRequest(`${what}: needs "data" or parameters.binary_data_size`);
      data = decodeJsonData(spec.datatype, shape, raw.data, what);
    }
    byName.set(name, { datatype: spec.datatype, shape, data });
  }
  if (offset !== binary.length) {
    throw badRequest(`the body has ${binary.length - offset} bytes of binary data that no input's binary_data_size accounts for`);
  }
  const missing = model.inputs.filter((s) => !byName.has(s.name));
  if (missing.length)
    throw badRequest(`${m} expects ${model.inputs.length} inputs; missing ${missing.map((s) => `'${s.name}'`).join(', ')}`);
  const inputs = model.inputs.map((s) => byName.get(s.name)!);

  let outputs: RequestedOutput[];
  if (body.outputs === undefined) {
    outputs = model.outputs.map((o) => ({ name: o.name, binary: binaryOutput }));
  } else {
    if (!Array.isArray(body.outputs)) throw badRequest('"outputs" must be an array');
    outputs = [];
    for (const raw of body.outputs as unknown[]) {
      if (!isObject(raw) || typeof raw.name !== 'string') throw badRequest('every element of "outputs" needs a string "name"');
      const name = raw.name;
      if (!model.outputs.some((o) => o.name === name)) {
        throw badRequest(`unexpected output '${name}' for ${m}; it has ${model.outputs.map((o) => `'${o.name}'`).join(', ')}`);
      }
      if (outputs.some((o) => o.name === name)) throw badRequest(`output '${name}' is requested more than once`);
      const p = parametersOf(raw.parameters, `output '${name}'`);
      if (p.binary_data !== undefined && typeof p.binary_data !== 'boolean')
        throw badRequest(`output '${name}': binary_data must be a boolean`);
      outputs.push({ name, binary: typeof p.binary_data === 'boolean' ? p.binary_data : binaryOutput });
    }
  }
  const first = inputs[0];
  const rows = first && first.shape.length > 0 ? first.shape[0] : 1;
  return { id, inputs, outputs, rows };
}
