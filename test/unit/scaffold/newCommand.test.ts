/** `mlw new` from a terminal (the compiled CLI; no Python needed: --no-check). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tempDir } from '../runs/runsTestSupport';

const MLW = path.resolve(__dirname, '../../../src/cli/mlw.js');
const mlw = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [MLW, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });

describe('mlw new', () => {
  it('--list names the four templates (text and JSON)', () => {
    const text = mlw(process.cwd(), 'new', '--list');
    assert.equal(text.status, 0, text.stderr);
    for (const id of ['tabular-classifier', 'image-classifier', 'text-classifier', 'recommender'])
      assert.match(text.stdout, new RegExp(`^${id} `, 'm'));
    const json = JSON.parse(mlw(process.cwd(), 'new', '--list', '--json').stdout) as Array<{ id: string; requires: string[] }>;
    assert.equal(json.length, 4);
    assert.ok(json.every((t) => t.requires.includes('torch')));
  });

  it('creates a project in a new folder, then refuses to overwrite it (exit 1, nothing changed)', () => {
    const cwd = tempDir('mlw-new-');
    const r = mlw(cwd, 'new', 'text-classifier', 'reviews', '--no-git', '--no-check', '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { dir: string; name: string; written: string[]; git: { status: string } };
    assert.equal(out.dir, path.join(cwd, 'reviews'));
    assert.equal(out.name, 'reviews');
    assert.equal(out.git.status, 'skipped');
    assert.ok(out.written.includes('data/reviews.csv'));
    assert.match(readFileSync(path.join(cwd, 'reviews', 'README.md'), 'utf8'), /^# reviews/);

    writeFileSync(path.join(cwd, 'reviews', 'train.py'), '# mine\n');
    const again = mlw(cwd, 'new', 'text-classifier', 'reviews', '--no-git', '--no-check');
    assert.equal(again.status, 1);
    assert.match(again.stderr, new RegExp(`${out.written.length} files already exist in .*reviews: `));
    assert.match(again.stderr, /--skip-existing .* --force/);
    assert.equal(readFileSync(path.join(cwd, 'reviews', 'train.py'), 'utf8'), '# mine\n');

    const skip = mlw(cwd, 'new', 'text-classifier', 'reviews', '--no-git', '--no-check', '--skip-existing');
    assert.equal(skip.status, 0, skip.stderr);
    assert.equal(readFileSync(path.join(cwd, 'reviews', 'train.py'), 'utf8'), '# mine\n');
  });

  it('usage errors: unknown template, missing folder, an invalid folder name without --name (exit 2)', () => {
    const cwd = tempDir('mlw-new-');
    const unknown = mlw(cwd, 'new', 'gan', 'x');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown template "gan"; templates: tabular-classifier/);
    assert.equal(mlw(cwd, 'new', 'recommender').status, 2);
    const bad = mlw(cwd, 'new', 'recommender', 'My Recs', '--no-check');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /Pass --name, e\.g\. --name my-recs/);
    assert.equal(existsSync(path.join(cwd, 'My Recs')), false);
    mkdirSync(path.join(cwd, 'My Recs'));
    const named = mlw(cwd, 'new', 'recommender', 'My Recs', '--name', 'my-recs', '--no-check', '--no-git');
    assert.equal(named.status, 0, named.stderr);
    assert.match(readFileSync(path.join(cwd, 'My Recs', 'README.md'), 'utf8'), /^# my-recs/);
  });

  it('reports a missing interpreter with what to install, without failing the scaffold', () => {
    const cwd = tempDir('mlw-new-');
    const r = mlw(cwd, 'new', 'recommender', 'recs', '--no-git', '--python', '/nonexistent/python3');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /python: \/nonexistent\/python3 was not found\. Install Python 3/);
  });
});
