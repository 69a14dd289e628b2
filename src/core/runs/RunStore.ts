import * as os from 'node:os';
import * as path from 'node:path';
import {
  closeSync,
  constants as fsConstants,
  createWriteStream,
  fstatSync,
  openSync,
  promises as fsp,
  readFileSync,
  readSync,
  statSync,
  type Dirent,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { writeFileAtomic } from './atomicWrite';
import { sha256File } from '../sha256File';
import { recordedPath } from './hashFile';
import { makeRun, normalizeRun } from './makeRun';
import { processLiveness } from './processLiveness';
import { applyRunMeta, META_FILE, parseRunMeta, type RunMeta } from './runMeta';
import { isSafeRunId, newRunId } from './runId';
import { ARTIFACTS_DIR, HEARTBEAT_FILE, RUN_FILE, type FileRecord, type Run } from './runTypes';
import { PathEscapeError, resolveInside, sanitizeName } from './safePath';
import { BLOBS_FOLDER } from './snapshot/blobPaths';
import { DEFAULT_SNAPSHOT_MAX_BYTES, overSnapshotLimit } from './snapshot/snapshotLimit';
import { snapshotToBlob } from './snapshot/snapshotToBlob';

export const STORE_DIR = path.join('.mlw', 'runs');

export interface ListRunsOptions {
  /** Longest stretch (ms) of synchronous reading before yielding to the event loop (default 8). */
  sliceMs?: number;
  signal?: AbortSignal;
}

interface CacheEntry {
  mtimeMs: number;
  size: number;
  run: Run;
}

/**
 * Runs kept under `<workspace>/.mlw/runs/<run-id>/`. Each process writes only the folders of the
 * runs it owns, so concurrent runs never touch each other's files; run.json is replaced
 * atomically. Reads report a `running` run whose owner process is gone as `interrupted`.
 */
export class RunStore {
  readonly dir: string;
  /** The workspace folder: default working directory of runs. */
  readonly workspace: string;
  /** The content-addressed snapshots of artifacts, next to the runs folder: `<workspace>/.mlw/blobs/`. */
  readonly blobsDir: string;
  private readonly cache = new Map<string, CacheEntry>();
  /** meta.json of each run that has one, by id (see runMeta.ts). */
  private readonly metaCache = new Map<string, { mtimeMs: number; size: number; meta: RunMeta | undefined }>();
  private readBuffer = Buffer.allocUnsafe(64 * 1024);

  constructor(
    workspace: string,
    private readonly logger: Logger = silentLogger,
    options: { dir?: string } = {},
  ) {
    this.workspace = path.resolve(workspace);
    this.dir = path.resolve(options.dir ?? path.join(this.workspace, STORE_DIR));
    this.blobsDir = path.join(path.dirname(this.dir), BLOBS_FOLDER);
  }

  /** Creates the store folder, with a .gitignore so that runs never make the repository dirty. */
  async ensure(): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true });
    const ignore = path.join(this.dir, '.gitignore');
    await fsp.writeFile(ignore, '# ML Workbench runs: not versioned\n*\n', { flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }

  /** Folder of run `id`. Throws for ids that are not one safe path segment. */
  runDir(id: string): string {
    if (!isSafeRunId(id)) throw new PathEscapeError(`Invalid run id: ${JSON.stringify(id)}`);
    return path.join(this.dir, id);
  }

  /** Creates a new run folder and its run.json. A given id must not exist yet. */
  async createRun(fields: Partial<Run> = {}): Promise<Run> {
    await this.ensure();
    const run = makeRun({ ...fields, id: fields.id ?? newRunId() });
    if (fields.name !== undefined) run.name = fields.name.replace(/[\u0000-\u001f]/g, ' ').slice(0, 200);
    const dir = this.runDir(run.id);
    await fsp.mkdir(dir); // EEXIST: never reuse another run's folder
    await this.writeRun(run);
    return run;
  }

  /** Replaces run.json atomically. Only the process that owns the run should call this. */
  async writeRun(run: Run): Promise<void> {
    this.runDir(run.id); // validates the id
    const dir = await resolveInside(this.dir, run.id); // and the folder must not be a link out of the store
    await writeFileAtomic(path.join(dir, RUN_FILE), JSON.stringify(run, null, 1) + '\n');
  }

  /** Reads, changes and writes back run.json. */
  async updateRun(id: string, change: (run: Run) => void): Promise<Run> {
    const run = await this.readRawRun(id);
    if (!run) throw new Error(`No such run: ${id}`);
    change(run);
    await this.writeRun(run);
    return run;
  }

  /** run.json as stored, without liveness checks. */
  async readRawRun(id: string): Promise<Run | undefined> {
    let text: string;
    try {
      text = await fsp.readFile(path.join(this.runDir(id), RUN_FILE), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw e;
    }
    return this.parse(id, text);
  }

  /**
   * A run as it should be shown: with the user's edits of meta.json (name, experiment, tags, notes)
   * applied, and status `interrupted` when its owner died while it was queued or running.
   */
  async readRun(id: string): Promise<Run | undefined> {
    const run = await this.readRawRun(id);
    return run && this.withLiveStatus(applyRunMeta(run, this.readMetaSync(id)));
  }

  /** The user's edits of run `id` (its meta.json), or undefined when there are none. */
  async readMeta(id: string): Promise<RunMeta | undefined> {
    this.runDir(id);
    return this.readMetaSync(id);
  }

  /**
   * Changes the user-owned fields of run `id` (name, experiment, tags, notes) in its meta.json,
   * written atomically; run.json is left as it is. Works on runs of any status.
   */
  async updateMeta(id: string, change: (meta: RunMeta) => void): Promise<RunMeta> {
    this.runDir(id); // validates the id
    const dir = await resolveInside(this.dir, id); // the folder must not be a link out of the store
    if (!(await this.readRawRun(id))) throw new Error(`No such run: ${id}`);
    const meta: RunMeta = { ...(this.readMetaSync(id) ?? { schema: 1 }) };
    change(meta);
    meta.schema = 1;
    meta.updatedTime = Date.now();
    await writeFileAtomic(path.join(dir, META_FILE), JSON.stringify(meta, null, 1) + '\n');
    this.metaCache.delete(id);
    return meta;
  }

  /** meta.json of a run, from the cache while its mtime and size are unchanged; undefined when absent or unreadable. */
  private readMetaSync(id: string): RunMeta | undefined {
    const file = path.join(this.dir, id, META_FILE);
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st) {
      this.metaCache.delete(id);
      return undefined;
    }
    const hit = this.metaCache.get(id);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.meta;
    let meta: RunMeta | undefined;
    try {
      meta = parseRunMeta(readFileSync(file, 'utf8'));
      if (!meta) this.logger.warn(`Run folder ${id}: ${META_FILE} is not valid JSON; the run is shown without its edits`);
    } catch (e) {
      this.logger.warn(`Run folder ${id}: cannot read ${META_FILE}: ${(e as Error).message}`);
    }
    this.metaCache.set(id, { mtimeMs: st.mtimeMs, size: st.size, meta });
    return meta;
  }

  private parse(id: string, text: string): Run | undefined {
    try {
      const run = normalizeRun(JSON.parse(text));
      if (run && run.id === id) return run;
      this.logger.warn(`Run folder ${id}: run.json names another run or is not a run`);
    } catch {
      this.logger.warn(`Run folder ${id}: run.json is not valid JSON`);
    }
    return undefined;
  }

  /** Applies the owner-liveness check to a run read from disk. */
  async withLiveStatus(run: Run): Promise<Run> {
    if ((run.status !== 'running' && run.status !== 'queued') || !run.owner) return run;
    const owner = run.owner.launcher;
    let heartbeat: number | undefined;
    if (owner.host !== os.hostname() || owner.startTicks === undefined) {
      heartbeat = await fsp.stat(path.join(this.runDir(run.id), HEARTBEAT_FILE)).then(
        (s) => s.mtimeMs,
        () => undefined,
      );
    }
    if (processLiveness(owner, heartbeat) === 'alive') return run;
    if (run.target && run.status === 'running') return run; // the job lives on its host; re-attaching (attachRemoteRun) tells how it ended
    return {
      ...run,
      status: 'interrupted',
      error:
        run.error ??
        `The process that ${run.status === 'queued' ? 'queued' : 'launched'} this run (pid ${owner.pid} on ${owner.host}) is gone.`,
    };
  }

  /** Marks the run as owned by a live process: touches its heartbeat file. */
  async touchHeartbeat(id: string): Promise<void> {
    await fsp.writeFile(path.join(this.runDir(id), HEARTBEAT_FILE), String(Date.now()));
  }

  /**
   * Every run in the store, newest first. run.json files are read with synchronous calls in
   * time slices of `sliceMs` (default 8 ms), yielding to the event loop between slices: on a
   * local disk that is ~10x faster than thousands of promise-based reads (which each cost four
   * thread-pool round trips), and the caller's event loop is never blocked for long. Runs whose
   * run.json has not changed since the last call come from a cache after one fstat.
   */
  async listRuns(options: ListRunsOptions = {}): Promise<Run[]> {
    let entries: Dirent[];
    try {
      entries = await fsp.readdir(this.dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    // Symbolic links are not followed: a run folder that points elsewhere is not a run.
    const ids = entries.filter((e) => e.isDirectory() && isSafeRunId(e.name)).map((e) => e.name);
    const live = new Set(ids);
    for (const id of this.cache.keys()) if (!live.has(id)) this.cache.delete(id);
    for (const id of this.metaCache.keys()) if (!live.has(id)) this.metaCache.delete(id);
    const sliceMs = options.sliceMs ?? 8;
    const out: Run[] = [];
    let sliceStart = performance.now();
    for (const id of ids) {
      if (performance.now() - sliceStart > sliceMs) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        options.signal?.throwIfAborted();
        sliceStart = performance.now();
      }
      const stored = this.readCachedSync(id);
      const run = stored && applyRunMeta(stored, this.readMetaSync(id));
      if (run) out.push(run.status === 'running' || run.status === 'queued' ? await this.withLiveStatus(run) : run);
    }
    return out.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  }

  private readCachedSync(id: string): Run | undefined {
    let fd: number;
    try {
      fd = openSync(path.join(this.dir, id, RUN_FILE), 'r');
    } catch {
      return undefined; // a folder being created, or not a run
    }
    try {
      const st = fstatSync(fd);
      const hit = this.cache.get(id);
      if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.run;
      if (this.readBuffer.length < st.size) this.readBuffer = Buffer.allocUnsafe(Math.max(st.size, this.readBuffer.length * 2));
      let n = 0;
      for (let r; n < st.size && (r = readSync(fd, this.readBuffer, n, st.size - n, n)) > 0;) n += r;
      const run = this.parse(id, this.readBuffer.toString('utf8', 0, n));
      if (run) this.cache.set(id, { mtimeMs: st.mtimeMs, size: st.size, run });
      return run;
    } finally {
      closeSync(fd);
    }
  }

  /** Deletes a run folder. */
  async deleteRun(id: string): Promise<void> {
    await fsp.rm(this.runDir(id), { recursive: true, force: true });
    this.cache.delete(id);
    this.metaCache.delete(id);
  }

  /**
   * Records an artifact of run `id` in its run.json, snapshotted (see snapshotArtifact). With `copy`, the file
   * is also copied to `<run>/artifacts/<sanitized name>` (never outside the run folder, whatever the name).
   */
  async addArtifact(
    id: string,
    source: string,
    options: { copy?: boolean; name?: string; maxBytes?: number; signal?: AbortSignal } = {},
  ): Promise<FileRecord> {
    const run = await this.readRawRun(id);
    if (!run) throw new Error(`No such run: ${id}`);
    const cwd = run.cwd || process.cwd();
    let file = path.resolve(cwd, source);
    if (options.copy) {
      const rel = path.posix.join(ARTIFACTS_DIR, sanitizeName(options.name ?? path.basename(source), 'artifact'));
      const dest = await resolveInside(this.runDir(id), rel);
      await fsp.mkdir(path.dirname(dest), { recursive: true });
      await resolveInside(this.runDir(id), rel); // the artifacts folder itself must not be a link out
      // Replaced, never rewritten in place: a snapshot may be a hard link to the previous copy of that name.
      const tmp = path.join(path.dirname(dest), `.mlw-copy-${randomBytes(6).toString('hex')}`);
      try {
        await fsp.copyFile(file, tmp, fsConstants.COPYFILE_EXCL);
        await fsp.rename(tmp, dest);
      } finally {
        await fsp.rm(tmp, { force: true });
      }
      file = dest;
    }
    const record = await this.snapshotArtifact(id, file, { cwd, path: source, maxBytes: options.maxBytes, signal: options.signal });
    await this.updateRun(id, (r) => {
      r.artifacts = r.artifacts.filter((a) => a.path !== record.path || a.stored !== record.stored);
      r.artifacts.push(record);
    });
    return record;
  }

  /**
   * Snapshots `file`, an artifact of run `id`, into the content-addressed store (`.mlw/blobs/sha256/ab/cdef…`,
   * read-only, deduplicated by sha256) so later runs never change it, and returns its record: `path` as given
   * (relative to `cwd` when inside it; `options.path` overrides), the snapshot's sha256 and size, and `stored`,
   * the blob relative to the workspace. A file over `maxBytes` (default 2 GiB, 0: no limit) is hashed only:
   * no `stored`, and `snapshot: 'skipped-too-large'`. Does not change run.json (the caller records the result).
   *
   * The bytes are cloned (reflink) where the filesystem can; files inside the run folder, which are only ever
   * replaced, may be hard linked; anything else is copied. A workspace file is never hard linked: the next run's
   * `open('model.onnx', 'wb')` rewrites the same file, and would change the snapshot with it.
   */
  async snapshotArtifact(
    id: string,
    file: string,
    options: { cwd?: string; path?: string; maxBytes?: number; signal?: AbortSignal } = {},
  ): Promise<FileRecord> {
    const runDir = this.runDir(id);
    const cwd = options.cwd ?? ((await this.readRawRun(id))?.cwd || this.workspace);
    const abs = path.resolve(cwd, file);
    const recorded = recordedPath(options.path ?? abs, cwd);
    const st = await fsp.stat(abs);
    if (!st.isFile()) throw new Error(`Not a file: ${abs}`);
    if (overSnapshotLimit(st.size, options.maxBytes ?? DEFAULT_SNAPSHOT_MAX_BYTES)) {
      const { sha256, size } = await sha256File(abs, options.signal);
      return { path: recorded, sha256, size, snapshot: 'skipped-too-large' };
    }
    await this.ensureBlobs();
    const [realRun, realFile] = await Promise.all([fsp.realpath(runDir).catch(() => runDir), fsp.realpath(abs)]);
    const rel = path.relative(realRun, realFile);
    const owned = !!rel && !rel.startsWith('..') && !path.isAbsolute(rel);
    const blob = await snapshotToBlob(abs, this.blobsDir, { allowHardLink: owned, signal: options.signal });
    this.logger.debug(
      `Run ${id}: ${recorded} -> ${blob.relative} (${blob.method === 'existing' ? `already stored, ${blob.taken}` : blob.method})`,
    );
    return {
      path: recorded,
      sha256: blob.sha256,
      size: blob.size,
      stored: path.relative(this.workspace, blob.file).split(path.sep).join('/'),
    };
  }

  /** The blobs folder, with a .gitignore so that snapshots never make the repository dirty. */
  private async ensureBlobs(): Promise<void> {
    await fsp.mkdir(this.blobsDir, { recursive: true });
    await fsp
      .writeFile(path.join(this.blobsDir, '.gitignore'), '# ML Workbench artifact snapshots: not versioned\n*\n', { flag: 'wx' })
      .catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
  }

  /**
   * Writes `data` to `<run>/artifacts/<relative>` (nested folders kept; nothing may leave the run
   * folder): into a temporary file first, renamed into place once complete, so a broken upload
   * never leaves a torn artifact. Returns the stored path relative to the run folder.
   */
  async writeArtifact(id: string, relative: string, data: AsyncIterable<Buffer | string> | NodeJS.ReadableStream): Promise<string> {
    const rel = path.posix.join(ARTIFACTS_DIR, relative);
    if (rel === ARTIFACTS_DIR || !rel.startsWith(`${ARTIFACTS_DIR}/`)) throw new PathEscapeError(`Invalid artifact path: ${relative}`);
    const dest = await resolveInside(this.runDir(id), rel);
    await fsp.mkdir(path.dirname(dest), { recursive: true });
    await resolveInside(this.runDir(id), rel); // no folder on the way may be a link out
    const tmp = path.join(path.dirname(dest), `.mlw-upload-${randomBytes(6).toString('hex')}`);
    try {
      await pipeline(data, createWriteStream(tmp, { flags: 'wx' }));
      await fsp.rename(tmp, dest);
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw e;
    }
    return rel;
  }

  /** A file inside run `id`'s folder, refusing names that would leave it. */
  async runFile(id: string, relative: string): Promise<string> {
    return resolveInside(this.runDir(id), relative);
  }
}
