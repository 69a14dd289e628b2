import { UsageError } from './cliCommand';
import { parseSnapshotMaxBytes } from '../core/runs/snapshot/snapshotLimit';

/** `--snapshot-max-bytes N` of `mlw run` and `mlw sweep`: undefined (the default limit) when not given. */
export function snapshotMaxBytesFlag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = parseSnapshotMaxBytes(text);
  if (n === undefined) throw new UsageError(`--snapshot-max-bytes must be a whole number of bytes (0 = no limit), not ${text}`);
  return n;
}
