/**
 * TensorProto.DataType: every value 0..26 (IR 14), with the facts the reader needs about each.
 * `text` is the lower-case ONNX name used in type strings such as `tensor(float)`.
 */

/** How the element values can be turned into numbers for statistics. */
export type NumericKind = 'float' | 'int' | 'uint' | 'bool' | 'complex' | 'string' | 'unsupported' | 'undefined';

export interface DataTypeInfo {
  readonly code: number;
  /** The TensorProto.DataType enum name, e.g. `FLOAT8E4M3FN`. */
  readonly name: string;
  /** Lower-case name used in type text, e.g. `float`, `float16`, `int4`. */
  readonly text: string;
  /** Bits per element; 0 for STRING and UNDEFINED (variable or none). */
  readonly bits: number;
  /** TensorProto field holding the values when raw_data is not used (4 float_data, 5 int32_data, ...). */
  readonly field: number;
  readonly numeric: NumericKind;
}

export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
  FLOAT4E2M1: 23,
  FLOAT8E8M0: 24,
  UINT2: 25,
  INT2: 26,
} as const;

const FLOAT_DATA = 4;
const INT32_DATA = 5;
const STRING_DATA = 6;
const INT64_DATA = 7;
const DOUBLE_DATA = 10;
const UINT64_DATA = 11;

const TABLE: readonly DataTypeInfo[] = [
  { code: 0, name: 'UNDEFINED', text: 'undefined', bits: 0, field: 0, numeric: 'undefined' },
  { code: 1, name: 'FLOAT', text: 'float', bits: 32, field: FLOAT_DATA, numeric: 'float' },
  { code: 2, name: 'UINT8', text: 'uint8', bits: 8, field: INT32_DATA, numeric: 'uint' },
  { code: 3, name: 'INT8', text: 'int8', bits: 8, field: INT32_DATA, numeric: 'int' },
  { code: 4, name: 'UINT16', text: 'uint16', bits: 16, field: INT32_DATA, numeric: 'uint' },
  { code: 5, name: 'INT16', text: 'int16', bits: 16, field: INT32_DATA, numeric: 'int' },
  { code: 6, name: 'INT32', text: 'int32', bits: 32, field: INT32_DATA, numeric: 'int' },
  { code: 7, name: 'INT64', text: 'int64', bits: 64, field: INT64_DATA, numeric: 'int' },
  { code: 8, name: 'STRING', text: 'string', bits: 0, field: STRING_DATA, numeric: 'string' },
  { code: 9, name: 'BOOL', text: 'bool', bits: 8, field: INT32_DATA, numeric: 'bool' },
  { code: 10, name: 'FLOAT16', text: 'float16', bits: 16, field: INT32_DATA, numeric: 'float' },
  { code: 11, name: 'DOUBLE', text: 'double', bits: 64, field: DOUBLE_DATA, numeric: 'float' },
  { code: 12, name: 'UINT32', text: 'uint32', bits: 32, field: UINT64_DATA, numeric: 'uint' },
  { code: 13, name: 'UINT64', text: 'uint64', bits: 64, field: UINT64_DATA, numeric: 'uint' },
  { code: 14, name: 'COMPLEX64', text: 'complex64', bits: 64, field: FLOAT_DATA, numeric: 'complex' },
  { code: 15, name: 'COMPLEX128', text: 'complex128', bits: 128, field: DOUBLE_DATA, numeric: 'complex' },
  { code: 16, name: 'BFLOAT16', text: 'bfloat16', bits: 16, field: INT32_DATA, numeric: 'float' },
  { code: 17, name: 'FLOAT8E4M3FN', text: 'float8e4m3fn', bits: 8, field: INT32_DATA, numeric: 'unsupported' },
  { code: 18, name: 'FLOAT8E4M3FNUZ', text: 'float8e4m3fnuz', bits: 8, field: INT32_DATA, numeric: 'unsupported' },
  { code: 19, name: 'FLOAT8E5M2', text: 'float8e5m2', bits: 8, field: INT32_DATA, numeric: 'unsupported' },
  { code: 20, name: 'FLOAT8E5M2FNUZ', text: 'float8e5m2fnuz', bits: 8, field: INT32_DATA, numeric: 'unsupported' },
  { code: 21, name: 'UINT4', text: 'uint4', bits: 4, field: INT32_DATA, numeric: 'unsupported' },
  { code: 22, name: 'INT4', text: 'int4', bits: 4, field: INT32_DATA, numeric: 'unsupported' },
  { code: 23, name: 'FLOAT4E2M1', text: 'float4e2m1', bits: 4, field: INT32_DATA, numeric: 'unsupported' },
  { code: 24, name: 'FLOAT8E8M0', text: 'float8e8m0', bits: 8, field: INT32_DATA, numeric: 'unsupported' },
  { code: 25, name: 'UINT2', text: 'uint2', bits: 2, field: INT32_DATA, numeric: 'unsupported' },
  { code: 26, name: 'INT2', text: 'int2', bits: 2, field: INT32_DATA, numeric: 'unsupported' },
];

export const ALL_DATA_TYPES: readonly DataTypeInfo[] = TABLE;

/** Facts about a data type code, or undefined for codes no ONNX version defines. */
export function dataTypeInfo(code: number): DataTypeInfo | undefined {
  return Number.isInteger(code) && code >= 0 && code < TABLE.length ? TABLE[code] : undefined;
}

/** `float`, `int64`, `float8e4m3fn`, ...; `unknown(99)` for codes outside 0..26. */
export function dataTypeName(code: number): string {
  return dataTypeInfo(code)?.text ?? `unknown(${code})`;
}

/**
 * Bytes that `elements` values of this type occupy, packed (4-bit and 2-bit types round up).
 * Undefined for STRING, UNDEFINED and unknown codes, whose size the type alone does not tell.
 */
export function byteSizeOf(code: number, elements: number): number | undefined {
  const info = dataTypeInfo(code);
  if (info === undefined || info.bits === 0) return undefined;
  return Math.ceil((elements * info.bits) / 8);
}
