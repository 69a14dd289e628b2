/**
 * Reads a file holding one serialized TensorProto (the `input_0.pb` / `output_0.pb` files of ONNX test data
 * sets) as a TensorRef, without loading its values; pass the ref to readTensorData or tensorStatistics.
 */
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileSource } from './byteSource';
import { walkMessage, type WalkOptions } from './messageWalker';
import { onnxSchemas } from './onnxSchemas';
import { OnnxFormatError } from './onnxFormatError';
import type { TensorRef } from './tensorRef';

export async function readTensorFile(path: string, options: WalkOptions = {}): Promise<TensorRef> {
  const absolute = resolve(path);
  const handle = await open(absolute, 'r');
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new OnnxFormatError(`${absolute} is not a regular file`, 0);
    const { tensor } = onnxSchemas(absolute);
    const { value } = await walkMessage(fileSource(handle, stat.size), tensor, 0, stat.size, options);
    return value;
  } finally {
    await handle.close();
  }
}
