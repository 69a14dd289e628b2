/**
 * Request and answer bodies shared by the platform adapters: JSON (an OIP v2 body, TF Serving's row or columnar
 * format, or Azure's {"data": rows}), CSV rows and .npy arrays in; JSON, CSV or .npy out, as the Accept header asks.
 */
import { datatypeOfOrt, ortTypeOfDatatype, type HostTensor } from '../datatypes';
import { encodeInferResponse } from '../inferResponse';
import { badRequest, HttpError } from '../httpError';
import { parseInferRequest, type InferRequest, type ModelSignature } from '../inferRequest';
import { parseCsvRecords } from '../csvReader';
import { parseTfPredict, predictionRows } from '../tfServing';
import { parseNpy, type NpyType } from '../../ort/parseNpy';
import { writeNpyOf } from '../../ort/writeNpy';
import type { ServedModel } from '../servedModel';

export type AnswerStyle = 'oip' | 'predictions';

export interface ParsedBody {
  request: InferRequest;
  /** How a JSON answer looks: the OIP response for an OIP request, else {"predictions": [...]}. */
  style: AnswerStyle;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const NO_BINARY = Buffer.alloc(0);

export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

export function parseJsonBody(signature: ModelSignature, bytes: Buffer): ParsedBody {
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw badRequest(`invalid JSON: ${(e as Error).message}`);
  }
  if (!isObject(body)) throw badRequest('the request body must be a JSON object');
  if (Array.isArray(body.inputs) && body.inputs.every(isObject) && body.inputs.length > 0 && 'datatype' in body.inputs[0])
    return { request: parseInferRequest(signature, body, NO_BINARY), style: 'oip' };
  if (body.instances !== undefined || body.inputs !== undefined) {
    const { instances, inputs, signature_name } = body;
    return { request: parseTfPredict(signature, { instances, inputs, signature_name }).request, style: 'predictions' };
  }
  if (Array.isArray(body.data)) return { request: parseTfPredict(signature, { instances: body.data }).request, style: 'predictions' };
  throw badRequest('the JSON body needs "inputs" (Open Inference Protocol v2), "instances" (rows) or "data" (rows)');
}

/** The only input's non-batch dims when they are all static (rows of a CSV fill them in order). */
function rowShape(signature: ModelSignature, width: number): number[] {
  const spec = signature.inputs[0];
  const inner = spec.shape.slice(1);
  if (inner.length > 0 && inner.every((d) => d >= 0) && inner.reduce((a, b) => a * b, 1) === width) return inner;
  return [width];
}

export function parseCsvBody(signature: ModelSignature, bytes: Buffer): ParsedBody {
  if (signature.inputs.length !== 1) throw badRequest(`text/csv needs a model with one input; this one takes ${signature.inputs.length}`);
  const records = parseCsvRecords(bytes.toString('utf8')).filter((r) => !(r.length === 1 && r[0].trim() === ''));
  if (records.length === 0) throw badRequest('the CSV body has no rows');
  const width = records[0].length;
  const values: number[] = [];
  records.forEach((r, i) => {
    if (r.length !== width) throw badRequest(`CSV row ${i + 1} has ${r.length} fields; row 1 has ${width}`);
    for (const f of r) {
      const v = Number(f);
      if (f.trim() === '' || Number.isNaN(v)) throw badRequest(`CSV row ${i + 1}: "${f}" is not a number`);
      values.push(v);
    }
  });
  const spec = signature.inputs[0];
  const input = { name: spec.name, datatype: spec.datatype, shape: [records.length, ...rowShape(signature, width)], data: values };
  return { request: parseInferRequest(signature, { inputs: [input] }, NO_BINARY), style: 'predictions' };
}

export function parseNpyBody(signature: ModelSignature, bytes: Buffer): ParsedBody {
  if (signature.inputs.length !== 1)
    throw badRequest(`application/x-npy needs a model with one input; this one takes ${signature.inputs.length}`);
  let array;
  try {
    array = parseNpy(bytes);
  } catch (e) {
    throw badRequest(`bad .npy body: ${(e as Error).message}`);
  }
  const spec = signature.inputs[0];
  const datatype = datatypeOfOrt(array.type);
  if (datatype !== spec.datatype)
    throw badRequest(`the .npy array is ${array.descr} (${datatype ?? array.type}) but input '${spec.name}' is ${spec.datatype}`);
  const v = array.values;
  const data = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  const input = { name: spec.name, datatype, shape: array.shape, parameters: { binary_data_size: data.length } };
  return { request: parseInferRequest(signature, { inputs: [input] }, data), style: 'predictions' };
}

/** The request body by Content-Type (JSON when absent). */
export function parseBody(signature: ModelSignature, contentType: string | undefined, bytes: Buffer): ParsedBody {
  const type = mediaType(contentType);
  if (type === '' || type === 'application/json') return parseJsonBody(signature, bytes);
  if (type === 'text/csv') return parseCsvBody(signature, bytes);
  if (type === 'application/x-npy') return parseNpyBody(signature, bytes);
  throw new HttpError(415, `unsupported Content-Type "${type}": use application/json, text/csv or application/x-npy`);
}

export type Outputs = { name: string; tensor: HostTensor }[];

/** The answer type for an Accept header (first acceptable one); 406 when none is. */
export function answerType(accept: string | undefined): 'application/json' | 'text/csv' | 'application/x-npy' {
  if (!accept) return 'application/json';
  for (const part of accept.split(',')) {
    const t = mediaType(part);
    if (t === 'application/json' || t === '*/*' || t === 'application/*') return 'application/json';
    if (t === 'text/csv' || t === 'text/*') return 'text/csv';
    if (t === 'application/x-npy') return 'application/x-npy';
  }
  throw new HttpError(406, `cannot answer in "${accept}": use application/json, text/csv or application/x-npy`);
}

function csvRows(t: HostTensor): string {
  const rows = t.shape.length === 0 ? 1 : t.shape[0];
  const width = rows === 0 ? 0 : t.data.length / rows;
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const fields: string[] = [];
    for (let i = r * width; i < (r + 1) * width; i++) fields.push(String(t.data[i]));
    lines.push(fields.join(','));
  }
  return lines.join('\n') + '\n';
}

/** Encodes the answer: JSON (OIP or predictions), or the first output as CSV rows or a .npy array. */
export function encodeAnswer(
  type: ReturnType<typeof answerType>,
  style: AnswerStyle,
  model: ServedModel,
  request: InferRequest,
  outputs: Outputs,
): { body: string | Buffer; contentType: string } {
  if (type === 'application/json') {
    if (style === 'oip') {
      const encoded = encodeInferResponse(
        model.name,
        model.version,
        request.id,
        outputs.map((o) => ({ ...o, binary: false })),
      );
      return { body: encoded.body, contentType: 'application/json' };
    }
    return { body: `{"predictions":${predictionRows(outputs)}}`, contentType: 'application/json' };
  }
  const first = outputs[0].tensor;
  if (type === 'text/csv') {
    if (first.datatype === 'FP16') throw new HttpError(406, 'FP16 outputs cannot be answered as text/csv; use application/json');
    return { body: csvRows(first), contentType: 'text/csv' };
  }
  if (first.datatype === 'BYTES') throw new HttpError(406, 'string outputs cannot be answered as application/x-npy');
  const npy = writeNpyOf(ortTypeOfDatatype(first.datatype) as NpyType, first.data as ArrayBufferView, first.shape);
  return { body: npy, contentType: 'application/x-npy' };
}
