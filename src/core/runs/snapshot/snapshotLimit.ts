/** Artifacts larger than this are recorded by sha256 and size only (mlWorkbench.runs.snapshotMaxBytes, `--snapshot-max-bytes`). */
export const DEFAULT_SNAPSHOT_MAX_BYTES = 2 * 1024 ** 3;

/** `--snapshot-max-bytes N`: a whole number of bytes, 0 for no limit; undefined when `text` is not one. */
export function parseSnapshotMaxBytes(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Whether a file of `size` bytes is over the limit (0: no limit). */
export function overSnapshotLimit(size: number, maxBytes: number): boolean {
  return maxBytes > 0 && size > maxBytes;
}
