import * as path from 'node:path';

/** The content-addressed store sits next to the runs folder: `<workspace>/.mlw/blobs/`. */
export const BLOBS_FOLDER = 'blobs';
/** Temporary files of snapshots in progress, on the same filesystem as the blobs so a rename publishes them. */
export const BLOB_TMP_FOLDER = 'tmp';
const ALGORITHM = 'sha256';

/**
 * The extension a blob keeps (lowercased, e.g. `.onnx`), so editors and runtimes that go by the
 * name still recognize it; '' for names without a plain short one.
 */
export function blobExtension(file: string): string {
  const ext = path.extname(file).toLowerCase();
  return /^\.[a-z0-9_-]{1,16}$/.test(ext) ? ext : '';
}

/** `sha256/ab/cdef…<ext>`: the blob of a sha256 (hex) inside the blobs folder, '/'-joined. */
export function blobRelative(sha256: string, ext: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`Not a sha256: ${sha256}`);
  return `${ALGORITHM}/${sha256.slice(0, 2)}/${sha256.slice(2)}${ext}`;
}

/** The sha256 a blob path (relative to the blobs folder, '/'-joined) names, or undefined when it is not a blob. */
export function parseBlobRelative(rel: string): { sha256: string; ext: string } | undefined {
  const m = /^sha256\/([0-9a-f]{2})\/([0-9a-f]{62})(\.[a-z0-9_-]{1,16})?$/.exec(rel);
  return m ? { sha256: m[1] + m[2], ext: m[3] ?? '' } : undefined;
}
