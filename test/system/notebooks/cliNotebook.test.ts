/**
 * `mlw run notebook.ipynb --param lr=0.1` through the built CLI (dist/mlw.js), with a real ipykernel of /usr/bin/python3:
 * the run's JSON, its output on stderr (progress lines included), and a failing notebook's exit code and error.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Run } from '../../../src/core/runs/runTypes';
import { needs, SYSTEM_PYTHON } from '../../support/requires';
import { REPO_ROOT, tempDir } from '../../unit/runs/runsTestSupport';
import { hasNotebookStack, NOTEBOOK_PACKAGES, readNotebook, stdoutOf, writeNotebook } from './writeNotebook';

const MLW = path.join(REPO_ROOT, 'dist', 'mlw.js');

function mlw(ws: string, args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [MLW, '--workspace', ws, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('mlw run on a notebook (built CLI)', () => {
  it('runs notebook.ipynb --param lr=0.1 end to end; a failing notebook exits 1 with the cell in the error', async (t) => {
    if (!needs(t, 'nbclient, ipykernel and nbformat for /usr/bin/python3', hasNotebookStack(), NOTEBOOK_PACKAGES)) return;
    if (!needs(t, 'dist/mlw.js', existsSync(MLW), 'npm run build')) return;
    const ws = tempDir('mlw-cli-notebook-');
    writeNotebook(path.join(ws, 'notebook.ipynb'), [
      { source: 'lr = 0.01', tags: ['parameters'] },
      { source: 'for step in range(2):\n    print(f"step={step} loss={lr / (step + 1)}")' },
    ]);
    const ok = mlw(ws, ['run', 'notebook.ipynb', '--param', 'lr=0.1', '--python', SYSTEM_PYTHON, '--no-git', '--json']);
    assert.equal(ok.code, 0, ok.err);
    const run = JSON.parse(ok.out) as Run;
    assert.equal(run.status, 'finished');
    assert.equal(run.params.lr, 0.1);
    assert.deepEqual(run.metrics?.loss, { last: 0.05, step: 1, min: 0.05, max: 0.1, count: 2 });
    assert.deepEqual(
      Object.keys(run.metrics ?? {}).filter((k) => !k.startsWith('system/')),
      ['loss'],
      'progress lines are not metrics (system/* metrics are sampled for every run)',
    );
    assert.match(ok.err, /^mlw: cell 3\/3 done in \d+\.\d s$/m, 'the progress lines stream with the output');
    assert.match(ok.err, /^step=1 loss=0\.05$/m);
    const art = run.artifacts.find((a) => a.path.endsWith('notebook.ipynb'));
    assert.ok(art?.stored, 'the executed notebook is kept');
    assert.equal(stdoutOf(readNotebook(path.join(ws, art.stored)).cells[2]), 'step=0 loss=0.1\nstep=1 loss=0.05\n');

    writeNotebook(path.join(ws, 'broken.ipynb'), [{ source: 'import nonexistent_module_xyz' }]);
    const bad = mlw(ws, ['run', 'broken.ipynb', '--python', SYSTEM_PYTHON, '--no-git', '--json']);
    assert.equal(bad.code, 1, bad.err);
    const failed = JSON.parse(bad.out) as Run;
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error, "Cell 1 of 1 (In [1]) failed: ModuleNotFoundError: No module named 'nonexistent_module_xyz'");

    const args = mlw(ws, ['run', 'notebook.ipynb', '--python', SYSTEM_PYTHON, '--', '--verbose']);
    assert.notEqual(args.code, 0);
    assert.match(args.err, /A notebook takes no script arguments \(--verbose\): give params with --param k=v/);
  });
});
