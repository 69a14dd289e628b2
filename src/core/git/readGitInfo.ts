import * as path from 'node:path';
import { realpathSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { SimpleGit } from 'simple-git';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';

function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

export interface GitSnapshot {
  /** Absolute path of the repository's top level. */
  root: string;
  /** HEAD commit, or null in a repository without commits. */
  commit: string | null;
  /** Current branch, or null on a detached HEAD. */
  branch: string | null;
  /** Tracked changes, or untracked files that are not ignored (paths under `ignorePrefixes` excepted). */
  dirty: boolean;
  /** Output of `git diff HEAD --binary` (empty when the tracked tree is clean). */
  patch: string;
  /** sha256 hex of `patch`, or null when it is empty. */
  diffHash: string | null;
  /** Untracked files (not ignored), relative to the root. */
  untracked: string[];
}

export interface ReadGitInfoOptions {
  logger?: Logger;
  signal?: AbortSignal;
  /** Folders (absolute, or relative to cwd) whose changes do not count as dirty, e.g. the run store. */
  ignorePaths?: string[];
}

/**
 * Git state of the repository containing `cwd`, for recording with a run. Returns undefined when
 * `cwd` is not inside a git work tree, git is not installed or fails (logged); throws only when aborted.
 */
export async function readGitInfo(cwd: string, options: ReadGitInfoOptions = {}): Promise<GitSnapshot | undefined> {
  const logger = options.logger ?? silentLogger;
  const { simpleGit } = await import('simple-git'); // loaded on first use, not at activation
  const git = simpleGit({ baseDir: cwd, abort: options.signal, maxConcurrentProcesses: 2, timeout: { block: 30_000 } });
  let root: string;
  try {
    root = (await git.revparse(['--show-toplevel'])).trim();
  } catch (e) {
    logger.debug(`No git information for ${cwd}: ${(e as Error).message.split('\n')[0]}`);
    return undefined;
  }
  try {
    return await describe(git, cwd, root, options.ignorePaths);
  } catch (e) {
    options.signal?.throwIfAborted();
    logger.warn(`Git state of ${root} not recorded: ${(e as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

async function describe(git: SimpleGit, cwd: string, root: string, ignorePaths: string[] | undefined): Promise<GitSnapshot> {
  let commit: string | null = null;
  try {
    commit = (await git.revparse(['--verify', '--quiet', 'HEAD'])).trim() || null;
  } catch {
    commit = null; // no commits yet
  }
  let branch: string | null = null;
  try {
    const name = (await git.raw(['symbolic-ref', '--quiet', '--short', 'HEAD'])).trim();
    branch = name || null;
  } catch {
    branch = null; // detached HEAD
  }
  const ignore = (ignorePaths ?? ['.mlw'])
    .map((p) =>
      path
        .relative(realPath(root), realPath(path.resolve(cwd, p)))
        .split(path.sep)
        .join('/'),
    )
    .filter((rel) => rel && !rel.startsWith('..') && !path.isAbsolute(rel))
    .map((rel) => `${rel}/`);
  const counts = (file: string) => !ignore.some((p) => file === p.slice(0, -1) || file.startsWith(p));
  const status = await git.raw(['status', '--porcelain=v1', '-z', '--untracked-files=all']);
  const entries = status.split('\0').filter(Boolean);
  const untracked: string[] = [];
  let trackedChange = false;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    const code = entry.slice(0, 2);
    const file = entry.slice(3);
    if (code === '??') {
      if (counts(file)) untracked.push(file);
    } else {
      if (code[0] === 'R' || code[0] === 'C') i++; // the original path follows
      if (counts(file)) trackedChange = true;
    }
  }
  let patch = '';
  if (commit && trackedChange) patch = await git.raw(['diff', 'HEAD', '--binary', '--no-color', '--no-ext-diff']);
  return {
    root,
    commit,
    branch,
    dirty: trackedChange || untracked.length > 0,
    patch,
    diffHash: patch ? createHash('sha256').update(patch).digest('hex') : null,
    untracked,
  };
}
