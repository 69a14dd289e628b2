/**
 * Writes a run's outputs into a folder: every numeric tensor output as NAME.npy, and each image-like one
 * (tensorToImage: [N,1|3,H,W], [N,H,W,1|3], [N,H,W] with H, W >= 8) also as NAME.png, the first item of the batch.
 * File names are the output names with anything outside [A-Za-z0-9._-] replaced by '_'.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { encodePng, tensorToImage } from '../media';
import { decodeFloat16 } from '../onnx/float16';
import type { NpyType } from './parseNpy';
import { writeNpyOf } from './writeNpy';

export interface SavedOutput {
  output: string;
  /** Absolute paths. */
  npy?: string;
  png?: string;
  /** How values became pixels, when a PNG was written. */
  scaling?: string;
}

export function outputFileStem(name: string, taken: Set<string>): string {
  const base = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'output';
  let stem = base;
  for (let i = 2; taken.has(stem.toLowerCase()); i++) stem = `${base}_${i}`;
  taken.add(stem.toLowerCase());
  return stem;
}

export async function saveOutputs(dir: string, outputs: Readonly<Record<string, ort.Tensor>>): Promise<SavedOutput[]> {
  await mkdir(dir, { recursive: true });
  const taken = new Set<string>();
  const saved: SavedOutput[] = [];
  for (const [name, tensor] of Object.entries(outputs)) {
    const stem = outputFileStem(name, taken);
    const entry: SavedOutput = { output: name };
    if (tensor.type !== 'string') {
      entry.npy = join(dir, `${stem}.npy`);
      await writeFile(entry.npy, writeNpyOf(tensor.type as NpyType, tensor.data as ArrayBufferView, tensor.dims));
      const values = tensor.type === 'float16' ? Array.from(tensor.data as Uint16Array, decodeFloat16) : (tensor.data as ArrayLike<number>);
      const rendered = tensorToImage(values, tensor.dims);
      if (rendered) {
        entry.png = join(dir, `${stem}.png`);
        entry.scaling = rendered.scaling;
        await writeFile(entry.png, encodePng(rendered.image));
      }
    }
    saved.push(entry);
  }
  return saved;
}
