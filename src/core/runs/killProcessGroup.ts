import type { ChildProcess } from 'node:child_process';

/**
 * Signals a child started with `detached: true` (its own process group) and everything it started, e.g. a
 * run's data-loader workers; on Windows, or when the group is gone, the child alone.
 */
export function killProcessGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    if (process.platform !== 'win32') process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}
