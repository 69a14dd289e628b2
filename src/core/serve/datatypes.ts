/**
 * Open Inference Protocol datatypes and the ORT tensor types they travel as (the type table itself is
 * src/core/ort/ortTypes.ts). FP16 data are half bits in a Uint16Array, converted by src/core/onnx/float16.ts.
 */
import type { OrtType, TensorData } from '../ort/ortTypes';

export type ProtocolDatatype =
  'BOOL' | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64' | 'INT8' | 'INT16' | 'INT32' | 'INT64' | 'FP16' | 'FP32' | 'FP64' | 'BYTES';

/** A tensor in ORT layout: row-major data plus its shape and protocol datatype. */
export interface HostTensor {
  datatype: ProtocolDatatype;
  shape: number[];
  data: TensorData;
}

interface DatatypeInfo {
  ort: OrtType;
  /** Bytes per element in the binary extension; 0 for BYTES (length-prefixed). */
  size: number;
}

const INFO: Record<ProtocolDatatype, DatatypeInfo> = {
  BOOL: { ort: 'bool', size: 1 },
  UINT8: { ort: 'uint8', size: 1 },
  UINT16: { ort: 'uint16', size: 2 },
  UINT32: { ort: 'uint32', size: 4 },
  UINT64: { ort: 'uint64', size: 8 },
  INT8: { ort: 'int8', size: 1 },
  INT16: { ort: 'int16', size: 2 },
  INT32: { ort: 'int32', size: 4 },
  INT64: { ort: 'int64', size: 8 },
  FP16: { ort: 'float16', size: 2 },
  FP32: { ort: 'float32', size: 4 },
  FP64: { ort: 'float64', size: 8 },
  BYTES: { ort: 'string', size: 0 },
};

const BY_ORT = new Map<string, ProtocolDatatype>(Object.entries(INFO).map(([k, v]) => [v.ort, k as ProtocolDatatype]));

export const PROTOCOL_DATATYPES = Object.keys(INFO) as ProtocolDatatype[];

export function isProtocolDatatype(value: unknown): value is ProtocolDatatype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(INFO, value);
}

/** The ORT tensor type a protocol datatype travels as. */
export function ortTypeOfDatatype(datatype: ProtocolDatatype): OrtType {
  return INFO[datatype].ort;
}

/** The protocol datatype of an ORT element type, or undefined when the server cannot exchange it. */
export function datatypeOfOrt(type: string): ProtocolDatatype | undefined {
  return BY_ORT.get(type);
}

/** Bytes per element in binary tensor data; 0 for BYTES. */
export function elementSize(datatype: ProtocolDatatype): number {
  return INFO[datatype].size;
}

export function isFloat(datatype: ProtocolDatatype): boolean {
  return datatype === 'FP16' || datatype === 'FP32' || datatype === 'FP64';
}

/** Integer range of each integer datatype, as bigint bounds. */
export const INTEGER_RANGE: Partial<Record<ProtocolDatatype, readonly [bigint, bigint]>> = {
  UINT8: [0n, 255n],
  UINT16: [0n, 65535n],
  UINT32: [0n, 4294967295n],
  UINT64: [0n, 18446744073709551615n],
  INT8: [-128n, 127n],
  INT16: [-32768n, 32767n],
  INT32: [-2147483648n, 2147483647n],
  INT64: [-9223372036854775808n, 9223372036854775807n],
};

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
