import { execFile } from 'node:child_process';

/**
 * Whether git ignores `relPath` (relative to the repository's top `root`): a workspace in an ignored folder of an
 * enclosing repository (a scratch or test folder) is not part of that repository's commits, so its code is shipped
 * as a folder rather than as the enclosing commit. False when git cannot tell.
 */
export function gitIgnores(root: string, relPath: string): Promise<boolean> {
  return new Promise((resolve) =>
    execFile('git', ['check-ignore', '-q', '--', relPath], { cwd: root, timeout: 30_000 }, (e) => resolve(e === null)),
  );
}
