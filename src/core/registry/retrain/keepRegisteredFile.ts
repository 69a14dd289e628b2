import * as path from 'node:path';
import { existsSync } from 'node:fs';
import type { RunStore } from '../../runs/RunStore';
import type { Run } from '../../runs/runTypes';
import { snapshotToBlob } from '../../runs/snapshot/snapshotToBlob';
import { sha256File } from '../../sha256File';
import { RegistryError } from '../RegistryStore';

const rel = (workspace: string, file: string) => path.relative(workspace, file).split(path.sep).join('/');

/**
 * A path under .mlw/ that holds a registered version's bytes and that no pipeline run rewrites: the file itself when
 * it already lies under .mlw/ (a run's snapshot), else the snapshot a run kept of the same sha256, else a new blob
 * of the file (when it still has the registered bytes). A pipeline's out (model.onnx) is rewritten by the next run,
 * so a version registered from it would silently change.
 */
export async function keepRegisteredFile(
  workspace: string,
  version: { path: string; sha256: string },
  runs: readonly Run[],
  store: RunStore,
  label: string,
): Promise<string> {
  const current = version.path.replace(/\\/g, '/');
  if (current.startsWith('.mlw/')) return current;
  for (const r of runs)
    for (const a of r.artifacts)
      if (a.sha256 === version.sha256 && a.stored && existsSync(path.resolve(workspace, a.stored))) return a.stored;
  const abs = path.resolve(workspace, version.path);
  const now = existsSync(abs) ? (await sha256File(abs)).sha256 : undefined;
  if (now !== version.sha256)
    throw new RegistryError(
      `${label}'s file ${version.path} ${now ? 'no longer has' : 'is gone, with'} the bytes registered (sha256 ${version.sha256.slice(0, 12)}…) and no run kept them: restore the file, or register the version from a run (mlw registry register --run ID)`,
    );
  const blob = await snapshotToBlob(abs, store.blobsDir);
  return rel(workspace, blob.file);
}
