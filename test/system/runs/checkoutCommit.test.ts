/** "Checkout Code" of a run: a branch run/<id> at the run's commit, with real git. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { checkoutCommit, CheckoutRefusedError } from '../../../src/core/git/checkoutCommit';
import { tempDir } from '../../unit/runs/runsTestSupport';

function repo(): { ws: string; git: (...a: string[]) => string } {
  const ws = tempDir('mlw-checkout-');
  const git = (...a: string[]) =>
    execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=T', '-c', 'commit.gpgsign=false', ...a], {
      cwd: ws,
      encoding: 'utf8',
    }).trim();
  git('init', '-q', '-b', 'main');
  writeFileSync(path.join(ws, 'train.py'), 'print("v1")\n');
  git('add', '.');
  git('commit', '-q', '-m', 'v1');
  return { ws, git };
}

const refused = (reason: CheckoutRefusedError['reason']) => (e: unknown) => e instanceof CheckoutRefusedError && e.reason === reason;

describe('checkoutCommit', () => {
  it('creates and checks out a branch at the commit; the run store does not count as a change', async () => {
    const { ws, git } = repo();
    const v1 = git('rev-parse', 'HEAD');
    writeFileSync(path.join(ws, 'train.py'), 'print("v2")\n');
    git('commit', '-q', '-am', 'v2');
    mkdirSync(path.join(ws, '.mlw', 'runs', 'r1'), { recursive: true });
    writeFileSync(path.join(ws, '.mlw', 'runs', 'r1', 'run.json'), '{}');
    const root = await checkoutCommit(ws, v1, 'run/r1', { ignorePaths: [path.join(ws, '.mlw')] });
    assert.equal(path.resolve(root), path.resolve(execFileSync('realpath', [ws], { encoding: 'utf8' }).trim()));
    assert.equal(git('symbolic-ref', '--short', 'HEAD'), 'run/r1');
    assert.equal(git('rev-parse', 'HEAD'), v1);
    assert.equal(readFileSync(path.join(ws, 'train.py'), 'utf8'), 'print("v1")\n');
    await assert.rejects(checkoutCommit(ws, v1, 'run/r1', { ignorePaths: [path.join(ws, '.mlw')] }), refused('branch-exists'));
  });

  it('refuses with uncommitted changes, an unknown commit, or outside a repository', async () => {
    const { ws, git } = repo();
    const head = git('rev-parse', 'HEAD');
    writeFileSync(path.join(ws, 'train.py'), 'print("edited")\n');
    await assert.rejects(checkoutCommit(ws, head, 'run/x'), refused('dirty'));
    git('checkout', '-q', '--', 'train.py');
    writeFileSync(path.join(ws, 'new.py'), '\n');
    await assert.rejects(checkoutCommit(ws, head, 'run/x'), refused('dirty'));
    git('clean', '-qfd');
    await assert.rejects(checkoutCommit(ws, '0123456789abcdef0123456789abcdef01234567', 'run/x'), refused('unknown-commit'));
    await assert.rejects(checkoutCommit(tempDir('mlw-norepo-'), head, 'run/x'), refused('no-repo'));
    assert.equal(git('symbolic-ref', '--short', 'HEAD'), 'main');
  });
});
