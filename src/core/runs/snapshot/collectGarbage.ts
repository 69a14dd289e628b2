import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import type { RunStore } from '../RunStore';
import { isSafeRunId } from '../runId';
import { RUN_FILE, type Run } from '../runTypes';
import { normalizeRun } from '../makeRun';
import { BLOB_TMP_FOLDER, parseBlobRelative } from './blobPaths';

/** Temporary files of a snapshot are this old before gc removes them (a snapshot in progress is never older). */
const TMP_MAX_AGE_MS = 24 * 3600 * 1000;

export interface GcBlob {
  /** Relative to the workspace, '/'-joined. */
  stored: string;
  sha256: string;
  size: number;
  /** Bytes removing it gives back: its size, or 0 when another name (a hard link) still holds the file. */
  freed: number;
}

export interface GcResult {
  dryRun: boolean;
  removed: GcBlob[];
  freedBytes: number;
  /** Blobs some run still references (or that a live run may be about to reference). */
  kept: number;
  keptBytes: number;
  /** Abandoned temporary files of snapshots that never completed. */
  removedTmp: number;
}

/** gc found a run folder whose run.json it cannot read: it cannot tell what that run references, so it removes nothing. */
export class GcRefusedError extends Error {}

async function walkFiles(dir: string, rel: string, out: string[]): Promise<void> {
  const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) await walkFiles(path.join(dir, e.name), r, out);
    else out.push(r);
  }
}

/** The blobs every run of the store references (absolute paths), and the oldest start of a live run. */
async function references(store: RunStore): Promise<{ referenced: Set<string>; liveSince: number }> {
  const referenced = new Set<string>();
  const unreadable: string[] = [];
  let liveSince = Infinity;
  const entries = await fsp.readdir(store.dir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [];
    throw e;
  });
  for (const e of entries) {
    if (!e.isDirectory() || !isSafeRunId(e.name)) continue;
    let run: Run | undefined;
    try {
      run = normalizeRun(JSON.parse(await fsp.readFile(path.join(store.dir, e.name, RUN_FILE), 'utf8')));
    } catch {
      run = undefined;
    }
    if (!run) {
      unreadable.push(e.name);
      continue;
    }
    for (const a of [...run.artifacts, ...run.dataInputs])
      if (typeof a?.stored === 'string' && !path.isAbsolute(a.stored)) referenced.add(path.resolve(store.workspace, a.stored));
    const live = await store.withLiveStatus(run);
    if (live.status === 'running' || live.status === 'queued') {
      const since = Math.min(run.createdTime ?? Infinity, run.startTime ?? Infinity);
      liveSince = Math.min(liveSince, Number.isFinite(since) ? since : 0);
    }
  }
  if (unreadable.length)
    throw new GcRefusedError(
      `gc removed nothing: cannot read run.json of ${unreadable.join(', ')} under ${store.dir}, so it cannot tell which blobs they use. Restore or delete ${unreadable.length === 1 ? 'that run folder' : 'those run folders'} and run gc again.`,
    );
  return { referenced, liveSince };
}

/**
 * Removes the blobs under `<workspace>/.mlw/blobs/` that no run.json of the store references. Blobs written
 * since the oldest running or queued run started are kept (that run records its artifacts when it ends).
 */
export async function collectGarbage(store: RunStore, options: { dryRun?: boolean; now?: number } = {}): Promise<GcResult> {
  const dryRun = options.dryRun === true;
  const now = options.now ?? Date.now();
  const result: GcResult = { dryRun, removed: [], freedBytes: 0, kept: 0, keptBytes: 0, removedTmp: 0 };
  const { referenced, liveSince } = await references(store);
  const files: string[] = [];
  await walkFiles(store.blobsDir, '', files);
  for (const rel of files) {
    const abs = path.join(store.blobsDir, ...rel.split('/'));
    const st = await fsp.lstat(abs).catch(() => undefined);
    if (!st) continue;
    if (rel.startsWith(`${BLOB_TMP_FOLDER}/`)) {
      if (now - st.mtimeMs > TMP_MAX_AGE_MS && now - st.ctimeMs > TMP_MAX_AGE_MS) {
        if (!dryRun) await fsp.rm(abs, { force: true });
        result.removedTmp++;
      }
      continue;
    }
    const blob = parseBlobRelative(rel);
    if (!blob || !st.isFile()) continue; // not ours: left alone
    if (referenced.has(abs) || st.ctimeMs >= liveSince) {
      result.kept++;
      result.keptBytes += st.size;
      continue;
    }
    const freed = st.nlink <= 1 ? st.size : 0;
    if (!dryRun) {
      await fsp.rm(abs, { force: true });
      await fsp.rmdir(path.dirname(abs)).catch(() => undefined); // the shard folder, once empty
    }
    result.removed.push({
      stored: path.relative(store.workspace, abs).split(path.sep).join('/'),
      sha256: blob.sha256,
      size: st.size,
      freed,
    });
    result.freedBytes += freed;
  }
  return result;
}
