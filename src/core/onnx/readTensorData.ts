/**
 * Reads a tensor's values on demand: raw_data or typed fields from the model file, or a range of an
 * external data file (resolved inside the model's folder). Values come back as a typed array of the
 * tensor's storage type (see TensorData), never more than `maxBytes`.
 */
import { open } from 'node:fs/promises';
import { fileSource, readExactly } from './byteSource';
import { dataTypeInfo, dataTypeName, DataType } from './dataTypes';
import { OnnxFormatError } from './onnxFormatError';
import { ProtobufReader, type Int64 } from './protobufReader';
import {
  checkedElementCount,
  rawByteRange,
  storageLength,
  typedView,
  viewElementBytes,
  type ByteRange,
  type TensorValues,
} from './tensorBytes';
import { TensorField, type PayloadRun, type TensorRef } from './tensorRef';

export type { TensorValues } from './tensorBytes';

/**
 * Values by type: FLOAT Float32Array; DOUBLE Float64Array; INT8/16/32 Int8/16/32Array; UINT8 and BOOL
 * Uint8Array; UINT16 Uint16Array; UINT32 Uint32Array; INT64 BigInt64Array; UINT64 BigUint64Array;
 * FLOAT16 and BFLOAT16 Uint16Array of the bits (see float16.ts); COMPLEX64/128 Float32/64Array of
 * interleaved (re, im); STRING string[]; float8 types Uint8Array of the bits; 4-bit and 2-bit types
 * Uint8Array of the packed bytes (first element in the low bits).
 */
export interface TensorData {
  name: string;
  dataType: number;
  dtype: string;
  dims: number[];
  values: TensorValues;
}

export interface ReadTensorOptions {
  signal?: AbortSignal;
  /** Refuse tensors whose values need more memory than this. Default 1 GiB. */
  maxBytes?: number;
}

export const DEFAULT_MAX_TENSOR_BYTES = 1024 * 1024 * 1024;
const READ_CHUNK = 16 * 1024 * 1024;

export async function readTensorData(ref: TensorRef, options: ReadTensorOptions = {}): Promise<TensorData> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_TENSOR_BYTES;
  const count = checkedElementCount(ref);
  const result = (values: TensorValues): TensorData => ({
    name: ref.name,
    dataType: ref.dataType,
    dtype: dataTypeName(ref.dataType),
    dims: ref.dims,
    values,
  });
  const range = await rawByteRange(ref);
  if (range !== undefined) {
    checkSize(ref, range.length, maxBytes);
    const buffer = new ArrayBuffer(range.length);
    await readByteRange(range, new Uint8Array(buffer), options.signal);
    return result(typedView(ref.dataType, buffer));
  }
  return result(await decodeTypedFields(ref, count, maxBytes, options.signal));
}

function checkSize(ref: TensorRef, bytes: number, maxBytes: number): void {
  if (bytes > maxBytes) {
    throw new OnnxFormatError(
      `tensor '${ref.name}' holds ${bytes} bytes, more than the read limit of ${maxBytes} (offset ${ref.offset})`,
      ref.offset,
    );
  }
}

/** Reads a whole byte range into `into` (its length), in chunks, checking the signal between chunks. */
export async function readByteRange(range: ByteRange, into: Uint8Array, signal?: AbortSignal): Promise<void> {
  const handle = await open(range.path, 'r');
  try {
    const source = fileSource(handle, (await handle.stat()).size);
    for (let done = 0; done < into.length; done += READ_CHUNK) {
      signal?.throwIfAborted();
      const n = Math.min(READ_CHUNK, into.length - done);
      await readExactly(source, into, done, n, range.offset + done);
    }
  } finally {
    await handle.close();
  }
}

async function decodeTypedFields(ref: TensorRef, count: number, maxBytes: number, signal?: AbortSignal): Promise<TensorValues> {
  const info = dataTypeInfo(ref.dataType);
  const field = info?.field ?? 0;
  const runs = ref.payload.filter((run) => run.field === field);
  const total = storageLength(ref.dataType, count);
  if (runs.length === 0) {
    if (total === 0) return ref.dataType === DataType.STRING ? [] : typedView(ref.dataType, new ArrayBuffer(0));
    throw new OnnxFormatError(`tensor '${ref.name}' has no values (dims need ${count}) at offset ${ref.offset}`, ref.offset);
  }
  const isString = ref.dataType === DataType.STRING;
  const stored = runs.reduce((sum, run) => sum + run.length, 0);
  // Never allocate by the dims before checking that the stored bytes can hold that many values.
  const available = runs.reduce((sum, run) => sum + (run.count ?? run.length), 0);
  if (total > available) {
    throw new OnnxFormatError(
      `tensor '${ref.name}' stores at most ${available} values but its dims need ${total} at offset ${ref.offset}`,
      ref.offset,
    );
  }
  checkSize(ref, isString ? stored : total * viewElementBytes(ref.dataType), maxBytes);
  const out: TensorValues = isString ? [] : typedView(ref.dataType, new ArrayBuffer(total * viewElementBytes(ref.dataType)));
  const big = out instanceof BigInt64Array || out instanceof BigUint64Array;
  let n = 0;
  const put = (value: Int64 | string, at: number): void => {
    if (n >= total) {
      throw new OnnxFormatError(`tensor '${ref.name}' has more values than its dims (${count}) allow at offset ${at}`, at);
    }
    if (Array.isArray(out)) out[n++] = value as string;
    else if (big) (out as BigInt64Array)[n++] = BigInt(value);
    else (out as Float32Array)[n++] = Number(value);
  };

  const handle = await open(ref.modelPath, 'r');
  try {
    const source = fileSource(handle, (await handle.stat()).size);
    for (const run of runs) {
      signal?.throwIfAborted();
      const bytes = new Uint8Array(run.length);
      await readExactly(source, bytes, 0, run.length, run.offset);
      decodeRun(run, new ProtobufReader(bytes, run.offset), put);
    }
  } finally {
    await handle.close();
  }
  if (n !== total) {
    throw new OnnxFormatError(`tensor '${ref.name}' has ${n} values but its dims need ${total} at offset ${ref.offset}`, ref.offset);
  }
  return out;
}

/** Walks one run of typed values: a packed list, or consecutive tagged values. */
function decodeRun(run: PayloadRun, r: ProtobufReader, put: (value: Int64 | string, at: number) => void): void {
  const one = (): Int64 | string => {
    switch (run.field) {
      case TensorField.floatData:
        return r.float();
      case TensorField.doubleData:
        return r.double();
      case TensorField.int32Data:
        return r.int32();
      case TensorField.int64Data:
        return r.int64();
      case TensorField.uint64Data:
        return r.uint64();
      default:
        return r.string();
    }
  };
  while (!r.atEnd()) {
    const at = r.pos;
    if (!run.packed) {
      const tag = r.tag();
      if ((tag - (tag & 7)) / 8 !== run.field) {
        throw new OnnxFormatError(`unexpected field ${(tag - (tag & 7)) / 8} in a run of field ${run.field} at offset ${at}`, at);
      }
    }
    put(one(), at);
  }
}
