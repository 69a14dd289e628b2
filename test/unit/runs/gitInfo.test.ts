import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readGitInfo } from '../../../src/core/git/readGitInfo';
import { launchRun } from '../../../src/core/runs/launchRun';
import { RunStore } from '../../../src/core/runs/RunStore';
import { tempDir } from './runsTestSupport';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.email=test@example.invalid', '-c', 'user.name=Test', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' },
  });

function repo(): string {
  const dir = tempDir('mlw-git-');
  git(dir, 'init', '-q', '-b', 'main');
  writeFileSync(path.join(dir, 'train.py'), 'print("v1")\n');
  git(dir, 'add', 'train.py');
  git(dir, 'commit', '-q', '-m', 'first');
  return dir;
}

describe('readGitInfo', () => {
  it('reports commit and branch of a clean tree', async () => {
    const dir = repo();
    const info = await readGitInfo(dir);
    assert.equal(info?.commit, git(dir, 'rev-parse', 'HEAD').trim());
    assert.equal(info?.branch, 'main');
    assert.equal(info?.dirty, false);
    assert.equal(info?.diffHash, null);
    assert.equal(info?.patch, '');
  });

  it('hashes `git diff HEAD` of a dirty tree; the run store does not make it dirty', async () => {
    const dir = repo();
    writeFileSync(path.join(dir, 'train.py'), 'print("v2")\n');
    const info = await readGitInfo(dir);
    assert.equal(info?.dirty, true);
    const diff = git(dir, 'diff', 'HEAD', '--binary');
    assert.equal(info?.patch, diff);
    assert.equal(info?.diffHash, createHash('sha256').update(diff).digest('hex'));

    const clean = repo();
    mkdirSync(path.join(clean, '.mlw', 'runs', 'x'), { recursive: true });
    writeFileSync(path.join(clean, '.mlw', 'runs', 'x', 'run.json'), '{}');
    assert.equal((await readGitInfo(clean))?.dirty, false);
    writeFileSync(path.join(clean, 'new.py'), '');
    const untracked = await readGitInfo(clean);
    assert.equal(untracked?.dirty, true);
    assert.deepEqual(untracked?.untracked, ['new.py']);
    assert.equal(untracked?.diffHash, null, 'untracked files are not in git diff HEAD');
  });

  it('handles a detached HEAD, a repository without commits, and no repository', async () => {
    const dir = repo();
    git(dir, 'checkout', '-q', '--detach');
    assert.equal((await readGitInfo(dir))?.branch, null);
    const empty = tempDir('mlw-git-');
    git(empty, 'init', '-q');
    const none = await readGitInfo(empty);
    assert.equal(none?.commit, null);
    assert.equal(await readGitInfo(tempDir('mlw-nogit-')), undefined);
  });

  it('is recorded with a run, with the patch saved in the run folder', async () => {
    const dir = repo();
    writeFileSync(path.join(dir, 'train.py'), 'print("changed")\n');
    const store = new RunStore(dir);
    const run = await (await launchRun({ store, command: [process.execPath, '-e', ''], scanArtifacts: false })).done;
    assert.equal(run.git?.commit, git(dir, 'rev-parse', 'HEAD').trim());
    assert.equal(run.git?.branch, 'main');
    assert.equal(run.git?.dirty, true);
    assert.equal(run.git?.patchFile, 'git.patch');
    const patch = readFileSync(path.join(store.runDir(run.id), 'git.patch'), 'utf8');
    assert.match(patch, /\+print\("changed"\)/);
    assert.equal(run.git?.diffHash, createHash('sha256').update(patch).digest('hex'));
    // the store's own .gitignore keeps the repository as it was
    assert.equal(git(dir, 'status', '--porcelain').trim(), 'M train.py');
  });
});
