import { readGitInfo } from './readGitInfo';
import type { Logger } from '../logger';

/** Why a checkout was refused; the message is meant for the user. */
export class CheckoutRefusedError extends Error {
  constructor(
    message: string,
    readonly reason: 'no-repo' | 'dirty' | 'unknown-commit' | 'branch-exists',
  ) {
    super(message);
    this.name = 'CheckoutRefusedError';
  }
}

export interface CheckoutOptions {
  logger?: Logger;
  /** Folders whose changes do not count as dirty (the run store). */
  ignorePaths?: string[];
}

/**
 * Creates branch `branch` at `commit` in the repository containing `cwd` and checks it out.
 * Refuses (CheckoutRefusedError) outside a repository, with uncommitted changes or untracked
 * files, for a commit the repository lacks, or when the branch exists. Returns the repository root.
 */
export async function checkoutCommit(cwd: string, commit: string, branch: string, options: CheckoutOptions = {}): Promise<string> {
  const state = await readGitInfo(cwd, { logger: options.logger, ignorePaths: options.ignorePaths });
  if (!state) throw new CheckoutRefusedError(`${cwd} is not inside a git repository (or git is not installed).`, 'no-repo');
  if (state.dirty)
    throw new CheckoutRefusedError(
      `The working tree of ${state.root} has uncommitted changes or untracked files: commit or stash them first.`,
      'dirty',
    );
  const { simpleGit } = await import('simple-git');
  const git = simpleGit({ baseDir: state.root, timeout: { block: 30_000 } });
  try {
    await git.raw(['cat-file', '-e', `${commit}^{commit}`]);
  } catch {
    throw new CheckoutRefusedError(`Commit ${commit.slice(0, 12)} is not in the repository ${state.root}.`, 'unknown-commit');
  }
  if ((await git.branchLocal()).all.includes(branch))
    throw new CheckoutRefusedError(`Branch ${branch} already exists: check it out with git, or delete it first.`, 'branch-exists');
  await git.checkoutBranch(branch, commit);
  return state.root;
}
