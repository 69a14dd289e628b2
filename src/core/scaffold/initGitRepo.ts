import type { Logger } from '../logger';
import { silentLogger } from '../logger';

/** What happened to version control for a new project. */
export type GitInitResult =
  | { status: 'committed'; commit: string; branch: string; identitySet: boolean }
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; error: string };

/** The identity written into the new repository's own config when git has none configured. */
export const FALLBACK_IDENTITY = { name: 'ML Workbench', email: 'ml-workbench@localhost' };

/**
 * `git init` in `dir` and a first commit of everything in it. Skipped (not an error) when `dir`
 * is already inside a git work tree (a project added to an existing repository is committed by
 * its owner) or git is not installed. When no user.name/user.email is configured (fresh machines,
 * CI), a local identity is set in the new repository so the commit works.
 */
export async function initGitRepo(
  dir: string,
  message: string,
  options: { logger?: Logger; signal?: AbortSignal } = {},
): Promise<GitInitResult> {
  const logger = options.logger ?? silentLogger;
  const { simpleGit } = await import('simple-git'); // loaded on first use, not at activation
  const git = simpleGit({ baseDir: dir, abort: options.signal, timeout: { block: 60_000 } });
  try {
    await git.version().then((v) => {
      if (!v.installed) throw new Error('git is not installed');
    });
  } catch (e) {
    return { status: 'skipped', reason: `git is not available (${(e as Error).message.split('\n')[0]})` };
  }
  try {
    const inside = (await git.revparse(['--is-inside-work-tree']).catch(() => 'false')).trim() === 'true';
    if (inside) {
      const top = (await git.revparse(['--show-toplevel'])).trim();
      return { status: 'skipped', reason: `${dir} is already inside the git repository ${top}` };
    }
    await git.init();
    let identitySet = false;
    const name = (await git.getConfig('user.name')).value;
    const email = (await git.getConfig('user.email')).value;
    if (!name || !email) {
      await git.addConfig('user.name', name || FALLBACK_IDENTITY.name, false, 'local');
      await git.addConfig('user.email', email || FALLBACK_IDENTITY.email, false, 'local');
      identitySet = true;
      logger.info(`No git identity configured: set ${FALLBACK_IDENTITY.name} <${FALLBACK_IDENTITY.email}> in ${dir}/.git/config`);
    }
    await git.add(['--all']);
    const result = await git.commit(message);
    const commit = (await git.revparse(['HEAD'])).trim();
    return { status: 'committed', commit, branch: result.branch || (await git.revparse(['--abbrev-ref', 'HEAD'])).trim(), identitySet };
  } catch (e) {
    options.signal?.throwIfAborted();
    const error = (e as Error).message.split('\n')[0];
    logger.warn(`git init/commit in ${dir} failed: ${error}`);
    return { status: 'failed', error };
  }
}
