/**
 * NumPy `.npy` files as typed arrays ready for ORT tensors (int64 stays BigInt64Array, float16 stays bits), read
 * by the one .npy reader in src/core/tensors/parseNpy.ts.
 */
import { readFile } from 'node:fs/promises';
import type * as ort from 'onnxruntime-node';
import { parseNpy as parseNpyData } from '../tensors/parseNpy';
import type { OrtType } from './ortTypes';

export interface NpyArray {
  /** NumPy descr as written, e.g. `<f4`. */
  descr: string;
  type: OrtType;
  shape: number[];
  values: ort.Tensor.DataType;
}

/** Parses a whole .npy file held in memory. `name` is used in error messages. */
export function parseNpy(bytes: Uint8Array, name = '.npy data'): NpyArray {
  const { descr, dtype, shape, values } = parseNpyData(bytes, name);
  return { descr, type: dtype, shape, values };
}

export async function readNpy(path: string): Promise<NpyArray> {
  return parseNpy(await readFile(path), path);
}
