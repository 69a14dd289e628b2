/**
 * A reference to a tensor's data: everything about the tensor except its values, plus where the values are.
 * Plain JSON-able data, so a view can hold it and hand it back to `readTensorData` or `tensorStatistics`.
 */
import { byteSizeOf, dataTypeName } from './dataTypes';

/** TensorProto field numbers that can hold values. */
export const TensorField = {
  floatData: 4,
  int32Data: 5,
  stringData: 6,
  int64Data: 7,
  rawData: 9,
  doubleData: 10,
  uint64Data: 11,
} as const;

/**
 * One stretch of value bytes inside the model file.
 * - `packed: true`: the content of one length-delimited occurrence (raw_data, or a packed repeated field).
 * - `packed: false`: consecutive unpacked occurrences of a repeated field, tags included (string_data is
 *   always like this), so they can be walked again with the wire reader.
 */
export interface PayloadRun {
  field: number;
  packed: boolean;
  offset: number;
  length: number;
  /** Values in the run when known without reading it (unpacked runs, fixed-width packed runs). */
  count?: number;
}

export interface TensorRef {
  name: string;
  /** TensorProto.DataType code (see dataTypes.ts). */
  dataType: number;
  dims: number[];
  docString: string;
  /** `external` when data_location = EXTERNAL: the values live in `externalData.location`. */
  dataLocation: 'default' | 'external';
  /** external_data key/value entries (location, offset, length, checksum, ...), as written. */
  externalData: Record<string, string>;
  /** Where raw_data / typed values sit in the model file (empty for external data or empty tensors). */
  payload: PayloadRun[];
  segment?: { begin: number; end: number };
  /** The TensorProto message in the model file. */
  offset: number;
  length: number;
  /** Absolute path of the model file the offsets refer to; external locations resolve against its folder. */
  modelPath: string;
}

export interface SparseTensorRef {
  /** The name of the values tensor, which names the sparse tensor. */
  name: string;
  dims: number[];
  values?: TensorRef;
  indices?: TensorRef;
  offset: number;
  length: number;
}

/**
 * Number of elements the dims describe (1 for a scalar with no dims). NaN when a dim is negative or the
 * product is not a safe integer: a broken or hostile tensor whose size cannot be trusted.
 */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) return Number.NaN;
    n *= d;
  }
  return Number.isSafeInteger(n) ? n : Number.NaN;
}

/** Bytes of the tensor's values by dims and type; for STRING tensors, the bytes stored in the model. */
export function tensorByteSize(ref: TensorRef): number {
  const count = elementCount(ref.dims);
  if (Number.isNaN(count)) return Number.NaN;
  const fixed = byteSizeOf(ref.dataType, count);
  if (fixed !== undefined) return fixed;
  let stored = 0;
  for (const run of ref.payload) stored += run.length;
  const external = Number(ref.externalData.length);
  return ref.dataLocation === 'external' && Number.isSafeInteger(external) ? external : stored;
}

/** A short description such as `float[64,3,7,7] conv1.weight`. */
export function describeTensor(ref: Pick<TensorRef, 'name' | 'dataType' | 'dims'>): string {
  return `${dataTypeName(ref.dataType)}[${ref.dims.join(',')}] ${ref.name}`.trim();
}
