/** Summarises a weights file that is not ONNX: `.safetensors` or a `torch.save` checkpoint (`.pt`, `.pth`, `.bin`, `.ckpt`). */
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { looksLikeSafetensors, readSafetensors } from './safetensors';
import { legacyReason, readTorchCheckpoint } from './torchCheckpoint';
import type { WeightsFileSummary } from './weightsSummary';
import { WeightsFormatError } from './weightsFormatError';
import { looksLikeZip } from './zipArchive';

/** File extensions this reader is meant for (the Models view lists them). */
export const WEIGHTS_EXTENSIONS = ['.safetensors', '.pt', '.pth'] as const;

export const isWeightsFile = (path: string): boolean => (WEIGHTS_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());

/** By the file's first bytes, not its name: a zip is a torch checkpoint, a JSON header is safetensors. */
export async function summarizeWeightsFile(path: string): Promise<WeightsFileSummary> {
  const handle = await open(path, 'r');
  let head: Uint8Array;
  let size: number;
  try {
    size = (await handle.stat()).size;
    head = new Uint8Array(Math.min(16, size));
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  if (looksLikeZip(head)) return readTorchCheckpoint(path);
  if (looksLikeSafetensors(head, size)) return readSafetensors(path);
  if (extname(path).toLowerCase() === '.safetensors') return readSafetensors(path); // says what is wrong with the header
  throw new WeightsFormatError(`${path} is ${legacyReason(head)}`);
}
