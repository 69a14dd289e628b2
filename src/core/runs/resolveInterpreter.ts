import * as path from 'node:path';
import { promises as fsp, constants as fsConstants } from 'node:fs';

export class InterpreterNotFoundError extends Error {
  constructor(readonly interpreter: string) {
    super(`Python interpreter not found: ${interpreter} — set mlWorkbench.pythonPath or pass --python`);
    this.name = 'InterpreterNotFoundError';
  }
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const st = await fsp.stat(file);
    if (!st.isFile()) return false;
    if (process.platform === 'win32') return true;
    await fsp.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Absolute path of an executable: a path (anything with a separator) is checked as given,
 * resolved against `cwd`; a bare name is looked up on PATH (with PATHEXT on Windows).
 * Returns undefined when there is no such executable.
 */
export async function findExecutable(
  command: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): Promise<string | undefined> {
  if (!command) return undefined;
  if (command.includes('/') || command.includes('\\')) {
    const abs = path.resolve(cwd, command);
    return (await isExecutableFile(abs)) ? abs : undefined;
  }
  const exts = process.platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, command + ext);
      if (await isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

/**
 * The interpreter for a run, in the CLI's order of precedence: `--python`, else `$MLW_PYTHON`,
 * else `python3` on PATH. Throws InterpreterNotFoundError with the name that was tried.
 */
export async function resolveInterpreter(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd?: string,
): Promise<string> {
  const wanted = explicit || env.MLW_PYTHON || (process.platform === 'win32' ? 'python' : 'python3');
  const found = await findExecutable(wanted, env, cwd);
  if (!found) throw new InterpreterNotFoundError(wanted);
  return found;
}
