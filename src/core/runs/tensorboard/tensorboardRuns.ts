import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../../logger';
import { silentLogger } from '../../logger';
import { makeRun } from '../makeRun';
import type { MetricSeries } from '../readMetrics';
import type { Run } from '../runTypes';
import { summarizeMetrics } from '../summarizeMetrics';
import { readTfRecords } from './readTfRecords';
import { ScalarEventDecoder } from './ScalarEventDecoder';
import { defaultTensorboardCache, statEventFile, type EventFileStat, type TensorboardCache } from './TensorboardCache';

/**
 * TensorBoard logs as runs: every folder of the workspace holding `events.out.tfevents.*` files (also
 * inside `.mlw/runs/<id>/`) is one run with `source: 'tensorboard'`, its scalars read from the files.
 */

export const EVENT_FILE = /^events\.out\.tfevents\./;
/** A folder whose newest event file changed this recently is shown as running. */
export const RUNNING_WINDOW_MS = 120_000;
/** Tag holding the run's folder, relative to the workspace ('/'-separated; '.' for the workspace itself). */
export const TENSORBOARD_DIR_TAG = 'tensorboard.dir';

const SKIP_DIRS = new Set(['node_modules', '__pycache__', 'site-packages', 'venv', 'mlruns']);
const MAX_DEPTH = 12;
const MAX_DIRS = 20_000;

export interface TensorboardListOptions {
  logger?: Logger;
  signal?: AbortSignal;
  cache?: TensorboardCache;
  /**
   * How many unread bytes a listing may parse, per run, to give the run its metric summaries
   * (last/min/max). A run with more unread bytes is listed from a stat and its first record only,
   * without summaries, until its series are read. Default 4 MiB; Infinity reads everything.
   */
  summaryBytes?: number;
  /** Now, for the running/finished decision (tests). */
  now?: number;
}

/** A stable run id from the folder's path relative to the workspace: readable, and unique through a hash. */
export function tensorboardRunId(relDir: string): string {
  const slug =
    relDir === '.'
      ? 'root'
      : relDir
          .replace(/[^A-Za-z0-9_.-]+/g, '-')
          .replace(/^-+|-+$/g, '')
          .slice(-40);
  const hash = createHash('sha256').update(relDir).digest('hex').slice(0, 8);
  return `tb-${slug}-${hash}`;
}

/** Folders (absolute) under `workspace` holding event files, with those files' names sorted. */
export async function findEventDirs(workspace: string, signal?: AbortSignal): Promise<Array<{ dir: string; files: string[] }>> {
  const found: Array<{ dir: string; files: string[] }> = [];
  let visited = 0;
  const queue: Array<{ dir: string; depth: number }> = [{ dir: workspace, depth: 0 }];
  while (queue.length && visited < MAX_DIRS) {
    signal?.throwIfAborted();
    const { dir, depth } = queue.shift()!;
    visited++;
    let entries;
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    const files = entries.filter((e) => (e.isFile() || e.isSymbolicLink()) && EVENT_FILE.test(e.name)).map((e) => e.name);
    if (files.length) found.push({ dir, files: files.sort() });
    if (depth >= MAX_DEPTH) continue;
    const rel = path.relative(workspace, dir).split(path.sep).join('/');
    for (const e of entries) {
      if (!e.isDirectory() || SKIP_DIRS.has(e.name)) continue;
      // Hidden folders are skipped, except the run store's run folders (.mlw/runs/<id>/...).
      if (rel === '.mlw' ? e.name !== 'runs' : e.name.startsWith('.') && !(rel === '' && e.name === '.mlw')) continue;
      queue.push({ dir: path.join(dir, e.name), depth: depth + 1 });
    }
  }
  return found.sort((a, b) => a.dir.localeCompare(b.dir));
}

async function statFiles(dir: string, names: string[]): Promise<EventFileStat[]> {
  const stats = await Promise.all(names.map((n) => statEventFile(path.join(dir, n))));
  return stats.filter((s): s is EventFileStat => s !== undefined);
}

/** Wall time (epoch ms) of a file's first event: one record read. */
async function firstWallTime(stat: EventFileStat, cache: TensorboardCache): Promise<number | undefined> {
  const known = cache.firstWallTime(stat.file);
  if (known !== undefined) return known;
  const decoder = new ScalarEventDecoder();
  try {
    await readTfRecords(stat.file, (buf, start, end, offset) => decoder.decode(buf, start, end, offset + 12), {
      maxRecords: 1,
      chunkBytes: 64 * 1024,
    });
  } catch {
    return undefined;
  }
  return decoder.firstWallTime;
}

/** Series of the files in order; a tag logged in several files (a resumed run) is concatenated. */
function mergeFileSeries(parts: Array<Map<string, MetricSeries>>): Map<string, MetricSeries> {
  const byTag = new Map<string, MetricSeries[]>();
  for (const part of parts) for (const [tag, s] of part) byTag.set(tag, [...(byTag.get(tag) ?? []), s]);
  const out = new Map<string, MetricSeries>();
  for (const [tag, list] of byTag) {
    if (list.length === 1) {
      out.set(tag, list[0]);
      continue;
    }
    const n = list.reduce((sum, s) => sum + s.values.length, 0);
    const steps = new Float64Array(n);
    const values = new Float64Array(n);
    const timestamps = new Float64Array(n);
    let at = 0;
    for (const s of list) {
      steps.set(s.steps, at);
      values.set(s.values, at);
      timestamps.set(s.timestamps, at);
      at += s.values.length;
    }
    out.set(tag, { name: tag, steps, values, timestamps });
  }
  return out;
}

async function readDirSeries(stats: EventFileStat[], cache: TensorboardCache, logger: Logger, signal?: AbortSignal) {
  const parts: Array<Map<string, MetricSeries>> = [];
  for (const stat of stats) parts.push(await cache.refresh(stat, logger, signal));
  return mergeFileSeries(parts);
}

/** The workspace's TensorBoard runs, newest first. */
export async function listTensorboardRuns(workspace: string, options: TensorboardListOptions = {}): Promise<Run[]> {
  const logger = options.logger ?? silentLogger;
  const cache = options.cache ?? defaultTensorboardCache;
  const budget = options.summaryBytes ?? 4 * 1024 * 1024;
  const now = options.now ?? Date.now();
  const runs: Run[] = [];
  for (const { dir, files } of await findEventDirs(workspace, options.signal)) {
    const stats = await statFiles(dir, files);
    if (!stats.length) continue;
    const rel = path.relative(workspace, dir).split(path.sep).join('/') || '.';
    const start = await firstWallTime(stats[0], cache);
    const lastWrite = Math.max(...stats.map((s) => s.mtimeMs));
    const startTime = start !== undefined && Number.isFinite(start) && start > 0 ? Math.round(start) : null;
    const endTime = Math.round(lastWrite);
    const run = makeRun({
      id: tensorboardRunId(rel),
      source: 'tensorboard',
      name: rel === '.' ? path.basename(workspace) : path.basename(dir),
      experiment: rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : 'TensorBoard',
      cwd: dir,
      status: now - lastWrite < RUNNING_WINDOW_MS ? 'running' : 'finished',
      startTime,
      endTime,
      durationMs: startTime !== null ? Math.max(0, endTime - startTime) : null,
      tags: { [TENSORBOARD_DIR_TAG]: rel },
    });
    const unread = stats.reduce((sum, s) => sum + cache.unread(s), 0);
    if (unread <= budget) {
      try {
        const summary = summarizeMetrics(await readDirSeries(stats, cache, logger, options.signal));
        if (Object.keys(summary).length) run.metrics = summary;
      } catch (e) {
        logger.warn(`TensorBoard: cannot read ${dir}: ${(e as Error).message}`);
      }
    }
    runs.push(run);
  }
  return runs.sort((a, b) => (b.startTime ?? 0) - (a.startTime ?? 0));
}

/** The folder of a TensorBoard run of `workspace`, checked against its id. */
function runDir(workspace: string, run: Run): string | undefined {
  const rel = run.tags[TENSORBOARD_DIR_TAG];
  if (typeof rel !== 'string' || tensorboardRunId(rel) !== run.id) return undefined;
  const dir = path.resolve(workspace, ...rel.split('/'));
  const inside = path.relative(workspace, dir);
  return inside.startsWith('..') || path.isAbsolute(inside) ? undefined : dir;
}

/** A TensorBoard run's scalar series; only what was appended since the last read is parsed. */
export async function readTensorboardMetrics(
  workspace: string,
  run: Run,
  options: { cache?: TensorboardCache; logger?: Logger; signal?: AbortSignal } = {},
): Promise<Map<string, MetricSeries>> {
  const dir = runDir(workspace, run);
  if (!dir) return new Map();
  let names: string[];
  try {
    names = (await fsp.readdir(dir)).filter((n) => EVENT_FILE.test(n)).sort();
  } catch {
    return new Map();
  }
  const stats = await statFiles(dir, names);
  return readDirSeries(stats, options.cache ?? defaultTensorboardCache, options.logger ?? silentLogger, options.signal);
}
