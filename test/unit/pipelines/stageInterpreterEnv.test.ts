/**
 * `python` in a stage command means the interpreter the user chose (`--python`, the selection), as
 * in an activated venv: real /bin/sh, real /usr/bin/python3 and a real venv made from it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { needs, SYSTEM_PYTHON } from '../../support/requires';
import { stageInterpreterEnv } from '../../../src/core/pipelines/stageInterpreterEnv';
import { readPipeline } from '../../../src/core/pipelines/readPipeline';
import { runPipeline } from '../../../src/core/pipelines/runPipeline';
import { RunStore } from '../../../src/core/runs/RunStore';
import { silentLogger } from '../../../src/core/logger';
import { tempDir } from '../runs/runsTestSupport';

const PRINT = 'import sys; print(sys.executable, sys.prefix)';

/** A folder whose `python` and `python3` are impostors that fail: what a wrong interpreter on PATH looks like. */
function impostorPath(): string {
  const bin = tempDir('mlw-impostor-');
  for (const name of ['python', 'python3']) writeFileSync(path.join(bin, name), '#!/bin/sh\necho impostor >&2\nexit 3\n', { mode: 0o755 });
  return `${bin}${path.delimiter}/usr/bin${path.delimiter}/bin`;
}

/** What `python` prints under /bin/sh with `env` over process.env (undefined values unset). */
function shPython(env: Record<string, string | undefined>, cmd = `python -c '${PRINT}'`): string {
  const full: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(env))
    if (v === undefined) delete full[k];
    else full[k] = v;
  return execFileSync('/bin/sh', ['-c', cmd], { env: full, encoding: 'utf8', timeout: 60_000 }).trim();
}

let venvDir: string | undefined;
/** A venv made from the system python (no pip: fast), once for the file. */
function venv(): string {
  if (!venvDir) {
    venvDir = path.join(tempDir('mlw-venv-'), 'venv');
    execFileSync(SYSTEM_PYTHON, ['-m', 'venv', '--without-pip', venvDir], { timeout: 120_000 });
  }
  return venvDir;
}

describe('stage commands: python is the chosen interpreter', () => {
  it('a system python3 with no `python` beside it: a shim folder first on PATH, removed by dispose', async (t) => {
    if (!needs(t, 'python3 at ' + SYSTEM_PYTHON, existsSync(SYSTEM_PYTHON), 'apt-get install python3')) return;
    const s = await stageInterpreterEnv(SYSTEM_PYTHON, { PATH: impostorPath() }, tempDir());
    assert.equal(s.python, SYSTEM_PYTHON);
    const first = (s.env.PATH ?? '').split(path.delimiter)[0];
    assert.ok(existsSync(path.join(first, 'python')), 'the shim folder leads PATH');
    assert.equal(shPython(s.env), `${SYSTEM_PYTHON} /usr`);
    assert.equal(shPython(s.env, `python3 -c '${PRINT}'`), `${SYSTEM_PYTHON} /usr`);
    assert.equal(s.env.VIRTUAL_ENV, undefined, 'not a venv');
    await s.dispose();
    assert.equal(existsSync(first), false, 'the shim folder is gone after dispose');
  });

  it('a venv interpreter: its bin folder first on PATH and VIRTUAL_ENV set, as `source bin/activate` does', async (t) => {
    if (!needs(t, 'python3 with venv at ' + SYSTEM_PYTHON, existsSync(SYSTEM_PYTHON), 'apt-get install python3-venv')) return;
    const v = venv();
    const s = await stageInterpreterEnv(path.join(v, 'bin', 'python'), { PATH: impostorPath(), PYTHONHOME: '/nowhere' }, tempDir());
    assert.equal((s.env.PATH ?? '').split(path.delimiter)[0], path.join(v, 'bin'), 'no shim needed: the venv has its python');
    assert.equal(s.env.VIRTUAL_ENV, v);
    assert.equal(s.env.PYTHONHOME, undefined);
    assert.ok('PYTHONHOME' in s.env, 'PYTHONHOME is unset for the child, not inherited');
    assert.equal(shPython(s.env).split(' ')[1], v, 'python runs inside the venv (sys.prefix)');
    await s.dispose();
  });

  it('the venv is still found when it is chosen by its python3 and the shim is needed', async (t) => {
    if (!needs(t, 'python3 with venv at ' + SYSTEM_PYTHON, existsSync(SYSTEM_PYTHON), 'apt-get install python3-venv')) return;
    const v = venv();
    // A venv's bin/python and bin/python3 are the same file, so no shim; a relative path is taken from cwd.
    const s = await stageInterpreterEnv(
      path.relative(path.dirname(v), path.join(v, 'bin', 'python3')),
      { PATH: impostorPath() },
      path.dirname(v),
    );
    assert.equal(s.python, path.join(v, 'bin', 'python3'));
    assert.equal(shPython(s.env).split(' ')[1], v);
    await s.dispose();
  });

  it('a missing interpreter is a one-line error naming it and the way out', async () => {
    await assert.rejects(
      stageInterpreterEnv('/nonexistent/python3', {}, tempDir()),
      /Python interpreter not found: \/nonexistent\/python3 — .*--python/,
    );
  });

  it('no choice: PATH is left alone when it has a python, and python3 stands in when it has none', async (t) => {
    if (!needs(t, 'python3 at ' + SYSTEM_PYTHON, existsSync(SYSTEM_PYTHON), 'apt-get install python3')) return;
    const withPython = impostorPath();
    const same = await stageInterpreterEnv(undefined, { PATH: withPython }, tempDir());
    assert.equal(same.env.PATH, withPython);
    assert.equal(same.python, undefined);
    const bin = tempDir('mlw-py3-only-');
    execFileSync('ln', ['-s', SYSTEM_PYTHON, path.join(bin, 'python3')]);
    const stand = await stageInterpreterEnv(undefined, { PATH: `${bin}${path.delimiter}/bin` }, tempDir());
    assert.equal(stand.python, path.join(bin, 'python3'));
    assert.equal(shPython(stand.env).split(' ')[1], '/usr');
    await stand.dispose();
  });

  it('runPipeline({python}) runs a stage cmd `python …` with that interpreter, though another python leads PATH', async (t) => {
    if (!needs(t, 'python3 with venv at ' + SYSTEM_PYTHON, existsSync(SYSTEM_PYTHON), 'apt-get install python3-venv')) return;
    const v = venv();
    const root = tempDir('mlw-pl-py-');
    writeFileSync(
      path.join(root, 'dvc.yaml'),
      `stages:\n  which:\n    cmd: python -c "import sys; open('which.txt', 'w').write(sys.prefix)"\n    outs:\n      - which.txt\n`,
    );
    const r = await runPipeline(await readPipeline(root), {
      store: new RunStore(root, silentLogger),
      dvc: false,
      python: path.join(v, 'bin', 'python'),
      env: { PATH: impostorPath() },
    });
    assert.equal(r.ok, true, r.error);
    assert.equal(readFileSync(path.join(root, 'which.txt'), 'utf8'), v);
  });
});
