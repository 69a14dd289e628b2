import * as os from 'node:os';
import * as path from 'node:path';
import { existsSync, promises as fsp } from 'node:fs';
import { findExecutable, InterpreterNotFoundError } from '../runs/resolveInterpreter';

/** The environment stage commands run in, and how to remove what was made for it. */
export interface StageInterpreterEnv {
  /** The caller's extra environment with PATH (and VIRTUAL_ENV) set; `undefined` values unset a variable. */
  env: Record<string, string | undefined>;
  /** The interpreter `python` now means in a stage command, or undefined when PATH was left alone. */
  python?: string;
  dispose(): Promise<void>;
}

async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    return (await fsp.realpath(a)) === (await fsp.realpath(b));
  } catch {
    return false;
  }
}

/** `'…'` for /bin/sh, with any `'` in the path closed, escaped and reopened. */
function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Makes `python` (and `python3`) in stage commands mean `interpreter`, as an activated venv does: its folder goes first
 * on PATH (so `pip` and the venv's other tools resolve too) and VIRTUAL_ENV is set when it is a venv. When that folder
 * has no `python` that is this interpreter (Debian's /usr/bin/python3, say), a temporary folder ahead of it holds
 * `python`/`python3` scripts that exec the interpreter by the path given (so a venv is still found from it).
 *
 * Without an interpreter, PATH is left alone unless it has no `python` at all: then `python3` on PATH stands in.
 * `env` is the caller's extra environment, over process.env. Throws InterpreterNotFoundError for a missing interpreter.
 */
export async function stageInterpreterEnv(
  interpreter: string | undefined,
  env: Record<string, string | undefined> = {},
  cwd: string = process.cwd(),
): Promise<StageInterpreterEnv> {
  const base: NodeJS.ProcessEnv = { ...process.env, ...env };
  const unchanged = { env, dispose: async () => {} };
  let python: string | undefined;
  if (interpreter) {
    python = await findExecutable(interpreter, base, cwd);
    if (!python) throw new InterpreterNotFoundError(interpreter);
  } else {
    if (await findExecutable('python', base, cwd)) return unchanged;
    python = await findExecutable('python3', base, cwd);
    if (!python) return unchanged;
  }
  const dir = path.dirname(python);
  const out: Record<string, string | undefined> = { ...env };
  const prefix = path.dirname(dir);
  if (existsSync(path.join(prefix, 'pyvenv.cfg'))) {
    out.VIRTUAL_ENV = prefix;
    out.PYTHONHOME = undefined;
  }
  const front = [dir];
  let shims: string | undefined;
  const own = await findExecutable('python', { PATH: dir, PATHEXT: base.PATHEXT }, cwd);
  if (process.platform !== 'win32' && !(own && (await sameFile(own, python)))) {
    shims = await fsp.mkdtemp(path.join(os.tmpdir(), 'mlw-python-'));
    const script = `#!/bin/sh\nexec ${shQuote(python)} "$@"\n`;
    for (const name of ['python', 'python3']) await fsp.writeFile(path.join(shims, name), script, { mode: 0o755 });
    front.unshift(shims);
  }
  const key = Object.keys(base).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH';
  out[key] = [...front, ...(base[key] ?? '').split(path.delimiter).filter(Boolean)].join(path.delimiter);
  return {
    env: out,
    python,
    dispose: async () => {
      if (shims) await fsp.rm(shims, { recursive: true, force: true });
    },
  };
}
