import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * The one file hash: sha256 (hex) and size of a file, streamed so large models and data files do not sit in
 * memory. Runs record it for artifacts, containerize for the image label, the benchmark for the model.
 */
export async function sha256File(file: string, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const stream = createReadStream(file, { highWaterMark: 1024 * 1024, signal });
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}
