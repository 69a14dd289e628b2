import * as path from 'node:path';
import type { Logger } from '../logger';
import { formatBytes } from '../format/formatBytes';
import { DEFAULT_SNAPSHOT_MAX_BYTES } from './snapshot/snapshotLimit';
import type { MetricsWriter } from './MetricsWriter';
import { readLogged } from './readLogged';
import { readMetrics } from './readMetrics';
import type { RunStore } from './RunStore';
import type { FileRecord, Run } from './runTypes';
import { resolveInside } from './safePath';
import { changedFiles, snapshotFiles, type FileSnapshot, type ScanOptions } from './scanArtifacts';
import { summarizeMetrics } from './summarizeMetrics';

export interface ChildOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The child could not be started at all. */
  error?: string;
}

export interface FinishInput {
  store: RunStore;
  run: Run;
  writer: MetricsWriter;
  outcome: ChildOutcome;
  stopRequested: boolean;
  /** The study's driver asked the run to stop (PRUNE_FILE): it ends `pruned`, however it exited. */
  pruned?: boolean;
  /** Last characters of output, kept in run.json when the run failed. */
  tail: string;
  cwd: string;
  before?: FileSnapshot;
  scan?: ScanOptions;
  /** Artifacts larger than this are recorded by sha256 only (default 2 GiB; 0: no limit). */
  snapshotMaxBytes?: number;
  /** Told a line for the run's output, e.g. that an artifact was too large to snapshot. */
  onNote?: (line: string) => void | Promise<void>;
  logger: Logger;
}

/**
 * The artifacts of a run: what the script declared, plus new or changed model files under cwd, each snapshotted
 * into the store's blobs now (see RunStore.snapshotArtifact), so that the next run cannot change them.
 */
async function collectArtifacts(input: FinishInput, declared: Array<{ path: string; stored?: string }>): Promise<FileRecord[]> {
  const { store, run, cwd, logger } = input;
  const dir = store.runDir(run.id);
  const out: FileRecord[] = [];
  const seen = new Set<string>();
  const snapshot = async (file: string, recorded?: string): Promise<void> => {
    const rec = await store.snapshotArtifact(run.id, file, { cwd, path: recorded, maxBytes: input.snapshotMaxBytes });
    if (rec.snapshot === 'skipped-too-large') {
      const limit = input.snapshotMaxBytes ?? DEFAULT_SNAPSHOT_MAX_BYTES;
      const line = `mlw: ${rec.path} (${formatBytes(rec.size)}) recorded by sha256 only, not snapshotted: larger than the snapshot limit of ${formatBytes(limit)} (mlWorkbench.runs.snapshotMaxBytes, mlw run --snapshot-max-bytes; 0 = no limit). A later run can change this file.`;
      logger.warn(`Run ${run.id}: ${line.slice(5)}`);
      await input.onNote?.(line);
    }
    out.push(rec);
  };
  for (const a of declared) {
    try {
      if (a.stored)
        await snapshot(await resolveInside(dir, a.stored), a.path); // a copy must sit inside the run folder
      else await snapshot(a.path);
      seen.add(path.resolve(cwd, a.path));
    } catch (e) {
      logger.warn(`Run ${run.id}: artifact ${a.path} not recorded: ${(e as Error).message}`);
    }
  }
  if (input.before && input.scan) {
    const after = await snapshotFiles(cwd, input.scan);
    for (const file of changedFiles(input.before, after)) {
      if (seen.has(file)) continue;
      try {
        await snapshot(file);
      } catch (e) {
        logger.debug(`Run ${run.id}: ${file} vanished before it could be hashed: ${(e as Error).message}`);
      }
    }
  }
  return out;
}

function statusOf(outcome: ChildOutcome, stopRequested: boolean, pruned = false): Run['status'] {
  if (outcome.error) return 'failed';
  if (pruned) return 'pruned';
  if (stopRequested) return 'stopped';
  return outcome.code === 0 ? 'finished' : 'failed';
}

/** Records how a run ended. Never throws: a run whose bookkeeping fails still ends, with `error` set. */
export async function finishRun(input: FinishInput): Promise<Run> {
  const { store, run, outcome, logger } = input;
  const dir = store.runDir(run.id);
  try {
    await input.writer.close();
  } catch (e) {
    logger.warn(`Run ${run.id}: writing captured metrics failed: ${(e as Error).message}`);
  }
  run.endTime = Date.now();
  run.durationMs = run.endTime - (run.startTime ?? run.endTime);
  run.exitCode = outcome.code;
  run.signal = outcome.signal;
  run.status = statusOf(outcome, input.stopRequested, input.pruned);
  if (outcome.error) run.error = outcome.error;
  else if (run.status === 'failed') run.error = outcome.signal ? `Killed by ${outcome.signal}` : `Exited with code ${outcome.code}`;
  if (run.status === 'failed' && input.tail) run.outputTail = input.tail;
  try {
    const logged = await readLogged(dir);
    run.params = { ...run.params, ...logged.params };
    run.tags = { ...run.tags, ...logged.tags };
    if (run.status === 'failed' && logged.error && !outcome.error) run.error = logged.error;
    run.artifacts = await collectArtifacts(input, logged.artifacts);
  } catch (e) {
    logger.warn(`Run ${run.id}: reading what the script logged failed: ${(e as Error).message}`);
  }
  try {
    run.metrics = summarizeMetrics((await readMetrics(dir)).series);
  } catch (e) {
    logger.warn(`Run ${run.id}: summarizing metrics failed: ${(e as Error).message}`);
  }
  try {
    await store.writeRun(run);
  } catch (e) {
    logger.error(`Run ${run.id}: cannot write run.json: ${(e as Error).message}`);
    run.error = `${run.error ? run.error + '; ' : ''}run.json not written: ${(e as Error).message}`;
  }
  return { ...run };
}
