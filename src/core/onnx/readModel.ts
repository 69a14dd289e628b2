/**
 * Reads an ONNX model's structure from a file without loading tensor values: the file is walked through a
 * small window and every tensor payload (raw_data, packed values) is recorded by offset and skipped.
 */
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileSource, readExactly, type ByteSource } from './byteSource';
import { walkMessage, type WalkOptions } from './messageWalker';
import type { OnnxModel } from './onnxModel';
import { onnxSchemas } from './onnxSchemas';
import { OnnxFormatError } from './onnxFormatError';
import { SNIFF_BYTES, sniffModelFormat } from './sniffModelFormat';

export type ReadModelOptions = WalkOptions;

export interface ReadModelResult {
  model: OnnxModel;
  /** Bytes actually read from the file (a small fraction of it for models with large weights). */
  bytesRead: number;
}

export async function readModel(path: string, options: ReadModelOptions = {}): Promise<OnnxModel> {
  return (await readModelWithStats(path, options)).model;
}

export async function readModelWithStats(path: string, options: ReadModelOptions = {}): Promise<ReadModelResult> {
  const absolute = resolve(path);
  const handle = await open(absolute, 'r');
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new OnnxFormatError(`${absolute} is not a regular file`, 0);
    return await readModelFromSource(fileSource(handle, stat.size), absolute, options);
  } finally {
    await handle.close();
  }
}

/** Reads from any ByteSource; `modelPath` is what tensor refs will use to read their values later. */
export async function readModelFromSource(source: ByteSource, modelPath: string, options: ReadModelOptions = {}): Promise<ReadModelResult> {
  options.signal?.throwIfAborted();
  const head = new Uint8Array(Math.min(source.size, SNIFF_BYTES));
  await readExactly(source, head, 0, head.length, 0);
  const sniff = sniffModelFormat(head, source.size);
  if (sniff.format === 'ort') {
    throw new OnnxFormatError(`${sniff.reason}: ORT format models are not supported, open the .onnx model instead`, 0);
  }
  if (sniff.format !== 'onnx') throw new OnnxFormatError(`not an ONNX model: ${sniff.reason}`, 0);
  const { model } = onnxSchemas(modelPath);
  const result = await walkMessage(source, model, 0, source.size, options);
  return { model: result.value, bytesRead: result.bytesRead + head.length };
}
