/**
 * Summarises a `.safetensors` file from its header alone: 8 bytes little-endian N, then N bytes of JSON mapping
 * each tensor name to {dtype, shape, data_offsets: [begin, end]} (offsets relative to the data after the header),
 * plus an optional `__metadata__` string map. Tensor data is never read.
 */
import { open } from 'node:fs/promises';
import { elementBytes, shapeElements, totals, type WeightTensor, type WeightsFileSummary } from './weightsSummary';
import { WeightsFormatError } from './weightsFormatError';

/** The format's own limit on the header. */
const MAX_HEADER = 100_000_000;

const DTYPES: Record<string, string> = {
  BOOL: 'bool',
  U8: 'uint8',
  I8: 'int8',
  F8_E5M2: 'float8_e5m2',
  F8_E4M3: 'float8_e4m3fn',
  I16: 'int16',
  U16: 'uint16',
  F16: 'float16',
  BF16: 'bfloat16',
  I32: 'int32',
  U32: 'uint32',
  F32: 'float32',
  F64: 'float64',
  I64: 'int64',
  U64: 'uint64',
  C64: 'complex64',
};

/** True when the first bytes look like a safetensors header (a plausible length, then `{`). */
export function looksLikeSafetensors(head: Uint8Array, fileSize: number): boolean {
  if (head.length < 9 || fileSize < 10) return false;
  const n = Number(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true));
  return n >= 2 && n <= MAX_HEADER && 8 + n <= fileSize && head[8] === 0x7b;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const isObject = (v: Json | undefined): v is { [key: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function readSafetensors(path: string): Promise<WeightsFileSummary> {
  const handle = await open(path, 'r');
  let header: Json;
  let fileSize: number;
  let n: number;
  try {
    fileSize = (await handle.stat()).size;
    if (fileSize < 8)
      throw new WeightsFormatError(`${path} is not a safetensors file: ${fileSize} bytes, shorter than the 8-byte header length`);
    const lengthBytes = Buffer.alloc(8);
    await handle.read(lengthBytes, 0, 8, 0);
    const big = lengthBytes.readBigUInt64LE(0);
    if (big > BigInt(MAX_HEADER) || Number(big) + 8 > fileSize) {
      throw new WeightsFormatError(`${path} is not a safetensors file: header length ${big} does not fit the file of ${fileSize} bytes`);
    }
    n = Number(big);
    const text = Buffer.alloc(n);
    const { bytesRead } = await handle.read(text, 0, n, 8);
    if (bytesRead !== n) throw new WeightsFormatError(`${path}: the safetensors header is cut short`);
    try {
      header = JSON.parse(text.toString('utf8')) as Json;
    } catch (e) {
      throw new WeightsFormatError(`${path} is not a safetensors file: its header is not JSON (${(e as Error).message})`);
    }
  } finally {
    await handle.close();
  }
  if (!isObject(header)) throw new WeightsFormatError(`${path} is not a safetensors file: its header is not a JSON object`);
  const dataSize = fileSize - 8 - n;
  const warnings: string[] = [];
  const metadata: { key: string; value: string }[] = [];
  const placed: (WeightTensor & { begin: number })[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (isObject(entry))
        for (const [key, value] of Object.entries(entry))
          metadata.push({ key, value: typeof value === 'string' ? value : JSON.stringify(value) });
      else warnings.push('__metadata__ is not a string map: ignored');
      continue;
    }
    const bad = (why: string): never => {
      throw new WeightsFormatError(`${path}: tensor '${name.slice(0, 200)}' in the safetensors header ${why}`);
    };
    if (!isObject(entry)) bad('is not an object');
    const e = entry as { [key: string]: Json };
    if (typeof e.dtype !== 'string') bad('has no dtype');
    if (!Array.isArray(e.shape) || !e.shape.every((d) => typeof d === 'number')) bad('has no shape list');
    const offsets = e.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)
    )
      bad('has no data_offsets [begin, end]');
    const [begin, end] = offsets as number[];
    const shape = e.shape as number[];
    const dtype = DTYPES[e.dtype as string] ?? (e.dtype as string).toLowerCase();
    const elements = shapeElements(shape);
    if (Number.isNaN(elements)) bad(`has an invalid shape [${shape.join(',')}]`);
    const size = elementBytes(dtype);
    const bytes = end - begin;
    if (end < begin || end > dataSize)
      warnings.push(`tensor '${name}': data_offsets [${begin}, ${end}] lie outside the ${dataSize} data bytes`);
    else if (size !== undefined && bytes !== elements * size)
      warnings.push(`tensor '${name}': ${bytes} data bytes, but ${dtype}[${shape.join(',')}] needs ${elements * size}`);
    placed.push({ name, dtype, shape, elements, bytes: size === undefined ? bytes : elements * size, begin });
  }
  // By data offset; equal offsets (empty tensors) keep the header's order (Array.prototype.sort is stable).
  placed.sort((a, b) => a.begin - b.begin);
  const tensors = placed.map(({ begin: _begin, ...t }) => t);
  return { format: 'safetensors', path, fileSize, tensors, ...totals(tensors), metadata, globals: [], warnings };
}
