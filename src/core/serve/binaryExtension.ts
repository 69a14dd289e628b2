/**
 * The binary tensor data extension (as defined by Triton's `binary_tensor_data` extension):
 * - The body is a JSON header followed by raw tensor bytes; the `Inference-Header-Content-Length` header gives the
 *   JSON size. Without that header the whole body is JSON.
 * - An input whose `parameters.binary_data_size` is set has no `data`; its bytes follow the JSON header, in the order
 *   of the inputs that use binary data.
 * - Fixed-size datatypes are little-endian, row-major; BOOL is one byte per element; FP16 is the raw half bits;
 *   BYTES elements are each a 4-byte little-endian length followed by that many bytes.
 * - An output is returned as binary when its request `parameters.binary_data` is true, or when the request's
 *   `parameters.binary_data_output` is true and the output does not say otherwise. Its JSON has no `data` and
 *   `parameters.binary_data_size` instead.
 */
import { badRequest } from './httpError';
import type { TensorData } from '../ort/ortTypes';
import { elementSize, type ProtocolDatatype } from './datatypes';

export const HEADER_LENGTH = 'inference-header-content-length';

/** Splits a request body into its JSON header and the binary section. */
export function splitBody(body: Buffer, headerLength: string | string[] | undefined): { json: Buffer; binary: Buffer } {
  if (headerLength === undefined) return { json: body, binary: body.subarray(body.length) };
  const text = Array.isArray(headerLength) ? headerLength[0] : headerLength;
  if (!/^[0-9]+$/.test(text)) throw badRequest(`Inference-Header-Content-Length must be a non-negative integer, got "${text}"`);
  const n = Number(text);
  if (n > body.length) throw badRequest(`Inference-Header-Content-Length ${n} exceeds the body size ${body.length}`);
  return { json: body.subarray(0, n), binary: body.subarray(n) };
}

/** Reads one tensor from its binary bytes. The result never aliases `bytes` (typed arrays need alignment anyway). */
export function decodeBinaryTensor(datatype: ProtocolDatatype, count: number, bytes: Buffer, what: string): TensorData {
  if (datatype === 'BYTES') {
    const out: string[] = [];
    let off = 0;
    while (off < bytes.length) {
      if (off + 4 > bytes.length) throw badRequest(`${what}: truncated BYTES length prefix at byte ${off}`);
      const len = bytes.readUInt32LE(off);
      off += 4;
      if (off + len > bytes.length) throw badRequest(`${what}: BYTES element ${out.length} of ${len} bytes runs past binary_data_size`);
      out.push(bytes.toString('utf8', off, off + len));
      off += len;
    }
    if (out.length !== count) throw badRequest(`${what}: shape needs ${count} BYTES elements but the binary data holds ${out.length}`);
    return out;
  }
  const size = elementSize(datatype);
  if (bytes.length !== count * size) {
    throw badRequest(`${what}: binary_data_size is ${bytes.length} bytes but shape and datatype ${datatype} need ${count * size}`);
  }
  const copy = new ArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  switch (datatype) {
    case 'BOOL': {
      const b = new Uint8Array(copy);
      for (let i = 0; i < b.length; i++) if (b[i] > 1) b[i] = 1;
      return b;
    }
    case 'UINT8':
      return new Uint8Array(copy);
    case 'INT8':
      return new Int8Array(copy);
    case 'UINT16':
    case 'FP16':
      return new Uint16Array(copy);
    case 'INT16':
      return new Int16Array(copy);
    case 'UINT32':
      return new Uint32Array(copy);
    case 'INT32':
      return new Int32Array(copy);
    case 'UINT64':
      return new BigUint64Array(copy);
    case 'INT64':
      return new BigInt64Array(copy);
    case 'FP32':
      return new Float32Array(copy);
    case 'FP64':
      return new Float64Array(copy);
  }
}

/** The raw bytes of a tensor for a binary response (zero-copy for typed arrays). */
export function encodeBinaryTensor(datatype: ProtocolDatatype, data: TensorData): Buffer {
  if (datatype === 'BYTES') {
    const parts: Buffer[] = [];
    for (const s of data as string[]) {
      const b = Buffer.from(s, 'utf8');
      const len = Buffer.allocUnsafe(4);
      len.writeUInt32LE(b.length, 0);
      parts.push(len, b);
    }
    return Buffer.concat(parts);
  }
  const a = data as Exclude<TensorData, string[]>;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}
