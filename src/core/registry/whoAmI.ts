import { execFile } from 'node:child_process';
import * as os from 'node:os';

/** Who moves an alias: `MLW_USER` when set, else git's user.name in the workspace, else the OS user. */
export async function whoAmI(workspace: string): Promise<string> {
  const env = process.env.MLW_USER?.trim();
  if (env) return env;
  const git = await new Promise<string>((resolve) => {
    execFile('git', ['config', 'user.name'], { cwd: workspace, timeout: 5000 }, (err, stdout) => resolve(err ? '' : stdout.trim()));
  });
  if (git) return git;
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
