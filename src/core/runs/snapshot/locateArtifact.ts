import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import type { RunStore } from '../RunStore';
import { ARTIFACTS_DIR, type FileRecord, type Run } from '../runTypes';
import { sanitizeName } from '../safePath';

/** Folder of a run holding readable names (`snapshots/<sha256 prefix>/model.onnx`) for its snapshots. */
export const SNAPSHOT_VIEWS_DIR = 'snapshots';

/**
 * Where a run's artifact can be opened:
 * - `snapshot`: the bytes the run produced, kept in the content-addressed store (never changed by later runs);
 * - `copy`: a copy inside the run folder (runs recorded before snapshots, with `log_artifact(copy=True)`);
 * - `external`: the file another tracker keeps (an MLflow run's artifact folder);
 * - `current`: whatever file is at the recorded path now: there is no snapshot (too large, or recorded before snapshots).
 */
export type ArtifactKind = 'snapshot' | 'copy' | 'external' | 'current';

export interface ArtifactLocation {
  file: string;
  kind: ArtifactKind;
  /** What to show next to the name, e.g. `snapshot of run train-k3f9`. */
  note: string;
}

async function isFile(file: string): Promise<boolean> {
  return fsp.stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * A readable name for a snapshot inside the run folder, `<run>/snapshots/<sha256 prefix>/<file name>`: a hard link
 * to the read-only blob (a symbolic link where hard links fail), so editors pick the file type by its name and
 * the path names the run. Falls back to the blob itself.
 */
async function snapshotView(store: RunStore, run: Run, artifact: FileRecord, blob: string): Promise<string> {
  const name = sanitizeName(path.basename(artifact.path.replace(/\\/g, '/')), 'artifact');
  const view = await store.runFile(run.id, path.posix.join(SNAPSHOT_VIEWS_DIR, artifact.sha256.slice(0, 12), name));
  const [v, b] = await Promise.all([fsp.stat(view).catch(() => undefined), fsp.stat(blob)]);
  if (v && v.ino === b.ino && v.dev === b.dev) return view;
  try {
    await fsp.mkdir(path.dirname(view), { recursive: true });
    await store.runFile(run.id, path.posix.join(SNAPSHOT_VIEWS_DIR, artifact.sha256.slice(0, 12), name)); // no link out on the way
    await fsp.rm(view, { force: true });
    await fsp.link(blob, view).catch(() => fsp.symlink(blob, view));
    return view;
  } catch {
    return blob;
  }
}

/**
 * The file to open, serve, containerize or compare for `artifact` of `run`, or undefined when none is on disk.
 * `store` is the run's store (for runs of ML Workbench); `workspace` resolves `stored` paths.
 */
export async function locateArtifact(
  store: RunStore | undefined,
  run: Run,
  artifact: FileRecord,
  workspace: string,
): Promise<ArtifactLocation | undefined> {
  const stored = artifact.stored;
  if (stored && path.isAbsolute(stored))
    return (await isFile(stored)) ? { file: stored, kind: 'external', note: `kept by ${run.source}` } : undefined;
  if (stored && store && stored.startsWith(`${ARTIFACTS_DIR}/`)) {
    const copy = await store.runFile(run.id, stored);
    return (await isFile(copy)) ? { file: copy, kind: 'copy', note: `copied into run ${run.name}` } : undefined;
  }
  if (stored) {
    const blob = path.resolve(workspace, stored);
    if (!(await isFile(blob))) return undefined;
    return { file: store ? await snapshotView(store, run, artifact, blob) : blob, kind: 'snapshot', note: `snapshot of run ${run.name}` };
  }
  const current = path.resolve(run.cwd || workspace, artifact.path);
  if (!(await isFile(current))) return undefined;
  const why = artifact.snapshot === 'skipped-too-large' ? 'too large to snapshot' : 'no snapshot';
  return { file: current, kind: 'current', note: `current file, ${why}: may differ from run ${run.name}'s` };
}
