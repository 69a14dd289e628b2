import { promises as fsp } from 'node:fs';

/**
 * The order of the script picker of Run Experiment and Run Sweep: entry scripts first, vendored
 * code and tests left out. Python scripts (`*.py`) and Jupyter notebooks (`*.ipynb`) are candidates.
 */

/** The files the picker finds (a VS Code glob). */
export const SCRIPT_GLOB = '**/*.{py,ipynb}';

/** `if __name__ == "__main__":` at the start of a line (either quote style, any spacing). */
export const MAIN_GUARD = /^if\s+__name__\s*==\s*(['"])__main__\1\s*:/m;

/** True when the Python source has a `__main__` block: it is meant to be run. */
export const hasMainGuard = (source: string): boolean => MAIN_GUARD.test(source);

const HIDDEN_FOLDERS = new Set([
  '.venv',
  'venv',
  'env',
  'site-packages',
  'dist-packages',
  'node_modules',
  '__pycache__',
  '.git',
  '.mlw',
  '.tox',
  '.nox',
  'tests',
  'test',
  '.ipynb_checkpoints',
]);
const HIDDEN_FILES = new Set(['conftest.py', 'setup.py', '__init__.py', '__main__.py']);

/**
 * True for a file the picker leaves out: anything under a virtual environment, `site-packages`,
 * `node_modules`, a `tests/` folder or Jupyter's `.ipynb_checkpoints/`, and `test_*.py`, `*_test.py`, `conftest.py`,
 * `setup.py`, `__init__.py`. `relative` is the workspace-relative path, with `/` or `\` separators.
 */
export function isHiddenScript(relative: string): boolean {
  const parts = relative.split(/[\\/]+/).filter(Boolean);
  const name = parts.pop() ?? '';
  if (parts.some((p) => HIDDEN_FOLDERS.has(p))) return true;
  return HIDDEN_FILES.has(name) || /^test_.*\.py$/.test(name) || /_test\.py$/.test(name);
}

export interface ScriptCandidate {
  /** Workspace-relative path. */
  relative: string;
  /** Whether the file has a `__main__` block (hasMainGuard); undefined when not read. */
  hasMain?: boolean;
}

/**
 * Rank of a script, lower first: 0 `train*.py` or `train*.ipynb`, 1 another script with a `__main__` block, 2 the rest
 * (other notebooks among them).
 */
export function scriptRank(c: ScriptCandidate): number {
  const name = c.relative.split(/[\\/]/).pop() ?? '';
  if (/^train.*\.(py|ipynb)$/i.test(name)) return 0;
  return c.hasMain ? 1 : 2;
}

/**
 * The candidates the picker lists, in order: hidden files left out (isHiddenScript), then by rank
 * (scriptRank), shallower paths first, then by path. `active` (the editor's script) comes first
 * whatever it is, so the script being edited is always one Enter away.
 */
export function orderScripts<T extends ScriptCandidate>(candidates: readonly T[], active?: string): T[] {
  const depth = (c: T) => c.relative.split(/[\\/]/).length;
  const shown = candidates.filter((c) => c.relative === active || !isHiddenScript(c.relative));
  return shown.sort(
    (a, b) =>
      Number(b.relative === active) - Number(a.relative === active) ||
      scriptRank(a) - scriptRank(b) ||
      depth(a) - depth(b) ||
      a.relative.localeCompare(b.relative),
  );
}

/** Files larger than this are not read for a `__main__` block (they rank as plain scripts). */
const READ_MAX_BYTES = 1024 * 1024;

/**
 * The candidates with `hasMain` filled from each file's text (hidden files are not read). Reads a few
 * files at a time; an unreadable or huge file ranks as a plain script.
 */
export async function readMainGuards<T extends { file: string; relative: string }>(
  candidates: readonly T[],
  concurrency = 16,
): Promise<Array<T & { hasMain: boolean }>> {
  const out: Array<T & { hasMain: boolean }> = candidates.map((c) => ({ ...c, hasMain: false }));
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < out.length; i = next++) {
      if (isHiddenScript(out[i].relative) || !/\.py$/i.test(out[i].file)) continue; // a notebook has no __main__ block
      try {
        const st = await fsp.stat(out[i].file);
        if (st.size <= READ_MAX_BYTES) out[i].hasMain = hasMainGuard(await fsp.readFile(out[i].file, 'utf8'));
      } catch {
        /* unreadable: a plain script */
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, out.length) }, worker));
  return out;
}
