/**
 * JSON tensor data <-> typed arrays.
 *
 * Decisions (documented in README.md next to this file):
 * - `data` may be flat (row-major) or nested to any depth up to 32; only the element count must match the shape.
 * - FP16/FP32/FP64 accept JSON numbers and the strings "NaN", "Infinity", "-Infinity" (JSON has no such literals);
 *   outputs encode non-finite values as those same strings.
 * - INT64/UINT64 accept JSON numbers only within ±(2^53-1) (beyond that JSON.parse has already lost precision, so the
 *   request is rejected), and decimal strings such as "9007199254740993" for the full range. Outputs are written as
 *   exact integer literals (a bigint-aware JSON parser reads them exactly; the binary extension is exact too).
 * - BOOL accepts true/false only; BYTES accepts strings only.
 */
import { HttpError, badRequest } from './httpError';
import { decodeFloat16, encodeFloat16 } from '../onnx/float16';
import { allocate, type TensorData } from '../ort/ortTypes';
import { INTEGER_RANGE, ortTypeOfDatatype, type ProtocolDatatype } from './datatypes';

const MAX_DEPTH = 32;

/** Flattens nested JSON arrays in row-major order. */
export function flattenData(data: unknown, what: string): unknown[] {
  if (!Array.isArray(data)) throw badRequest(`${what}: "data" must be an array`);
  let nested = false;
  for (let i = 0; i < data.length; i++) {
    if (Array.isArray(data[i])) {
      nested = true;
      break;
    }
  }
  if (!nested) return data;
  const out: unknown[] = [];
  const walk = (value: unknown[], depth: number): void => {
    if (depth > MAX_DEPTH) throw badRequest(`${what}: "data" is nested deeper than ${MAX_DEPTH} levels`);
    for (const v of value) {
      if (Array.isArray(v)) walk(v, depth + 1);
      else out.push(v);
    }
  };
  walk(data, 1);
  return out;
}

/** Parses a float element: a number or one of the non-finite strings. */
function floatOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return undefined;
}

const INT_STRING = /^-?(0|[1-9][0-9]{0,19})$/;

/** Parses a 64-bit integer element: a safe-integer JSON number or a decimal string. */
function bigintOf(v: unknown): bigint | string {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return `${v} is not an integer`;
    if (!Number.isSafeInteger(v))
      return `${v} is beyond ±(2^53-1) and lost precision as a JSON number; send it as a decimal string or as binary data`;
    return BigInt(v);
  }
  if (typeof v === 'string' && INT_STRING.test(v)) return BigInt(v);
  return `${JSON.stringify(v)} is not an integer`;
}

/**
 * Converts flattened JSON elements to the typed storage of `datatype`. Throws a 400 HttpError naming the first bad
 * element.
 */
export function decodeJsonElements(datatype: ProtocolDatatype, values: unknown[], what: string): TensorData {
  const n = values.length;
  const bad = (i: number, why: string): HttpError => badRequest(`${what}: element ${i} ${why} (datatype ${datatype})`);
  switch (datatype) {
    case 'FP32':
    case 'FP64': {
      const out = allocate(ortTypeOfDatatype(datatype), n) as Float32Array | Float64Array;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v === 'number') out[i] = v;
        else {
          const f = floatOf(v);
          if (f === undefined) throw bad(i, `${JSON.stringify(v)} is not a number`);
          out[i] = f;
        }
      }
      return out;
    }
    case 'FP16': {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        const f = floatOf(values[i]);
        if (f === undefined) throw bad(i, `${JSON.stringify(values[i])} is not a number`);
        out[i] = encodeFloat16(f);
      }
      return out;
    }
    case 'BOOL': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v === true) out[i] = 1;
        else if (v !== false) throw bad(i, `${JSON.stringify(v)} is not a boolean`);
      }
      return out;
    }
    case 'BYTES': {
      const out = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'string') throw bad(i, `${JSON.stringify(v)} is not a string`);
        out[i] = v;
      }
      return out;
    }
    case 'INT64':
    case 'UINT64': {
      const [lo, hi] = INTEGER_RANGE[datatype]!;
      const out = allocate(ortTypeOfDatatype(datatype), n) as BigInt64Array | BigUint64Array;
      for (let i = 0; i < n; i++) {
        const b = bigintOf(values[i]);
        if (typeof b === 'string') throw bad(i, b);
        if (b < lo || b > hi) throw bad(i, `${b} is out of range [${lo}, ${hi}]`);
        out[i] = b;
      }
      return out;
    }
    default: {
      const [lo, hi] = INTEGER_RANGE[datatype]!.map(Number);
      const out = allocate(ortTypeOfDatatype(datatype), n) as Exclude<TensorData, string[] | BigInt64Array | BigUint64Array>;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(i, `${JSON.stringify(v)} is not an integer`);
        if (v < lo || v > hi) throw bad(i, `${v} is out of range [${lo}, ${hi}]`);
        out[i] = v;
      }
      return out;
    }
  }
}

/** Flattens and converts an input's JSON `data`, checking the element count against the shape. */
export function decodeJsonData(datatype: ProtocolDatatype, shape: readonly number[], data: unknown, what: string): TensorData {
  const flat = flattenData(data, what);
  let expected = 1;
  for (const d of shape) expected *= d;
  if (flat.length !== expected) {
    throw badRequest(`${what}: shape [${shape.join(',')}] needs ${expected} elements but "data" has ${flat.length}`);
  }
  return decodeJsonElements(datatype, flat, what);
}

function nonFinite(v: number): string {
  return Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
}

function floatArrayText(values: ArrayLike<number> & { join(sep: string): string }): string {
  const n = values.length;
  let finite = true;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v - v !== 0) {
      finite = false;
      break;
    }
  }
  if (finite) return `[${values.join(',')}]`;
  const parts = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    parts[i] = v - v === 0 ? String(v) : nonFinite(v);
  }
  return `[${parts.join(',')}]`;
}

/** Writes tensor data as the text of a flat JSON array (row-major). */
export function encodeJsonData(datatype: ProtocolDatatype, data: TensorData): string {
  switch (datatype) {
    case 'FP32':
    case 'FP64':
      return floatArrayText(data as Float32Array | Float64Array);
    case 'FP16': {
      const bits = data as Uint16Array;
      const values = new Float64Array(bits.length);
      for (let i = 0; i < bits.length; i++) values[i] = decodeFloat16(bits[i]);
      return floatArrayText(values);
    }
    case 'BOOL': {
      const b = data as Uint8Array;
      const parts = new Array<string>(b.length);
      for (let i = 0; i < b.length; i++) parts[i] = b[i] ? 'true' : 'false';
      return `[${parts.join(',')}]`;
    }
    case 'BYTES':
      return JSON.stringify(data);
    default:
      // Integer typed arrays, bigint ones included: join writes exact decimal digits.
      return `[${(data as Int32Array).join(',')}]`;
  }
}

/**
 * Reads a flat or nested JSON data array back into numbers (client side and tests): the non-finite strings become
 * numbers again; other values are returned as they are.
 */
export function jsonValuesToNumbers(data: unknown[]): unknown[] {
  return flattenData(data, 'data').map((v) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v));
}
