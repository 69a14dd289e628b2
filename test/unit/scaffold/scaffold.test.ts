/** Rendering templates into folders: files, name substitution, conflicts, names, git. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parse as parseYaml } from 'yaml';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { listTemplates, readTemplate, TEMPLATE_IDS, ScaffoldError } from '../../../src/core/scaffold/projectTemplates';
import {
  planProject,
  writeProject,
  findConflicts,
  ScaffoldConflictError,
  NAME_PLACEHOLDER,
} from '../../../src/core/scaffold/renderTemplate';
import { suggestProjectName, validateProjectName } from '../../../src/core/scaffold/projectName';
import { scaffoldProject } from '../../../src/core/scaffold/scaffoldProject';
import { initGitRepo, FALLBACK_IDENTITY } from '../../../src/core/scaffold/initGitRepo';
import { installAdvice } from '../../../src/core/env/checkInterpreter';
import { parsePipeline } from '../../../src/core/pipelines/readPipeline';
import { REPO_ROOT, tempDir } from '../runs/runsTestSupport';

const HELPER_DIR = path.join(REPO_ROOT, 'python');
/** Every project has these, whatever the template. */
const REQUIRED = [
  'train.py',
  'params.yaml',
  'evaluate.py',
  'README.md',
  '.gitignore',
  '.dockerignore',
  'requirements.txt',
  'sample_request.json',
  'tracking.py',
  '_vendor/mlw_run.py',
];

/** Git without the machine's or the user's configuration: no identity, as on a fresh CI machine. */
function isolatedGitEnv(): void {
  const home = tempDir('mlw-git-home-');
  writeFileSync(path.join(home, 'empty.gitconfig'), '');
  process.env.GIT_CONFIG_GLOBAL = path.join(home, 'empty.gitconfig');
  process.env.GIT_CONFIG_NOSYSTEM = '1';
  process.env.HOME = home;
  delete process.env.GIT_AUTHOR_NAME;
  delete process.env.GIT_AUTHOR_EMAIL;
  delete process.env.GIT_COMMITTER_NAME;
  delete process.env.GIT_COMMITTER_EMAIL;
  delete process.env.EMAIL;
}

describe('templates', () => {
  it('lists the four templates with titles, descriptions and the modules they need', async () => {
    const all = await listTemplates();
    assert.deepEqual(
      all.map((t) => t.id),
      ['tabular-classifier', 'image-classifier', 'text-classifier', 'recommender'],
    );
    for (const t of all) {
      assert.ok(t.title && t.description.length > 20, t.id);
      assert.ok(
        t.requires.includes('torch') && t.requires.includes('onnx') && t.requires.includes('yaml'),
        `${t.id} requires ${t.requires}`,
      );
      assert.equal(t.model, 'model.onnx');
    }
    assert.ok(all.find((t) => t.id === 'tabular-classifier')?.requires.includes('sklearn'));
    await assert.rejects(readTemplate('gan'), (e: Error) => e instanceof ScaffoldError && /Unknown template "gan"/.test(e.message));
  });

  for (const id of TEMPLATE_IDS) {
    it(`${id}: a complete project, with the name substituted and dot files renamed`, async () => {
      const files = await planProject(await readTemplate(id), { name: 'my-proj', helperDir: HELPER_DIR });
      const paths = files.map((f) => f.path);
      for (const p of REQUIRED) assert.ok(paths.includes(p), `${id} has ${p}`);
      assert.ok(
        paths.some((p) => /^tests\/test_.*\.py$/.test(p)),
        `${id} has tests`,
      );
      assert.ok(!paths.includes('template.json') && !paths.includes('_gitignore') && !paths.some((p) => p.includes('__pycache__')));
      const text = (p: string) => files.find((f) => f.path === p)!.content.toString('utf8');
      assert.match(text('README.md'), /^# my-proj\n/);
      assert.match(text('train.py'), /PROJECT = "my-proj"/);
      assert.ok(
        files.every((f) => !f.content.includes(NAME_PLACEHOLDER)),
        'no placeholder is left',
      );
      assert.equal(text('_vendor/mlw_run.py'), readFileSync(path.join(HELPER_DIR, 'mlw_run.py'), 'utf8'));
      assert.match(text('.gitignore'), /^model\.onnx$/m);
      assert.match(text('.gitignore'), /^\.mlw\/$/m);
      assert.match(text('.dockerignore'), /^\.env$/m);
      const sample = JSON.parse(text('sample_request.json')) as {
        inputs: Array<{ name: string; shape: number[]; datatype: string; data: unknown[] }>;
      };
      for (const input of sample.inputs)
        assert.equal(
          input.data.length,
          input.shape.reduce((a, b) => a * b, 1),
          `${id} sample ${input.name}`,
        );
    });
  }

  it('tabular-classifier: a dvc.yaml whose stage scripts are all in the project', async () => {
    const files = await planProject(await readTemplate('tabular-classifier'), { name: 'my-proj', helperDir: HELPER_DIR });
    const paths = files.map((f) => f.path);
    for (const p of ['dvc.yaml', 'prepare.py', 'train.py', 'evaluate.py', 'export.py']) assert.ok(paths.includes(p), p);
    const dvc = files.find((f) => f.path === 'dvc.yaml')!.content.toString('utf8');
    assert.deepEqual(
      [...dvc.matchAll(/^ {2}(\w+):$/gm)].map((m) => m[1]),
      ['prepare', 'train', 'evaluate', 'export'],
    );
    for (const m of dvc.matchAll(/cmd: python (\S+)/g)) assert.ok(paths.includes(m[1]), m[1]);
  });

  for (const id of ['image-classifier', 'text-classifier', 'recommender']) {
    it(`${id}: a dvc.yaml (prepare, train, evaluate, export) whose scripts, deps and params are all in the project`, async () => {
      const files = await planProject(await readTemplate(id), { name: 'my-proj', helperDir: HELPER_DIR });
      const paths = files.map((f) => f.path);
      const text = (p: string) => files.find((f) => f.path === p)!.content.toString('utf8');
      const p = await parsePipeline(text('dvc.yaml'), '/proj');
      assert.deepEqual(
        p.stages.map((s) => s.name),
        ['prepare', 'train', 'evaluate', 'export'],
      );
      const outs = new Set(p.stages.flatMap((s) => s.outs.map((o) => o.path)));
      const params = parseYaml(text('params.yaml')) as Record<string, unknown>;
      for (const s of p.stages) {
        const [python, script] = String(s.cmd).split(' ');
        assert.ok(python === 'python' && paths.includes(script), `${s.name}: ${String(s.cmd)} runs a script of the project`);
        for (const d of s.deps) assert.ok(paths.includes(d) || outs.has(d), `${s.name}: dep ${d} is in the project or an out`);
        for (const k of s.params.flatMap((g) => g.keys ?? [])) assert.ok(k in params, `${s.name}: param ${k} is in params.yaml`);
      }
      assert.deepEqual(
        p.stages.flatMap((s) => s.outs.map((o) => [s.name, o.path, o.kind, o.cache])),
        [
          ['prepare', 'data/split.npz', 'out', true],
          ['train', 'model.pt', 'out', true],
          ['evaluate', 'metrics.json', 'metric', false],
          ['export', 'model.onnx', 'out', true],
        ],
      );
    });
  }
});

describe('project names', () => {
  it('accepts plain names and explains what is wrong with others', () => {
    for (const ok of ['fraud-model', 'a', 'Digits_2', 'x.y']) assert.equal(validateProjectName(ok), undefined, ok);
    assert.match(validateProjectName('') ?? '', /Enter a project name/);
    assert.match(validateProjectName('2fast') ?? '', /starts with a letter/);
    assert.match(validateProjectName('my project') ?? '', /no spaces/);
    assert.match(validateProjectName('bad"quote') ?? '', /letters, digits/);
    assert.match(validateProjectName('trailing-') ?? '', /ends with a letter or digit/);
    assert.match(validateProjectName('a'.repeat(65)) ?? '', /at most 64/);
  });

  it('suggests a valid name from any folder name', () => {
    assert.equal(suggestProjectName('My Fraud Model!'), 'my-fraud-model');
    assert.equal(suggestProjectName('2024 digits'), 'digits');
    assert.equal(suggestProjectName('???'), 'ml-project');
    for (const s of ['My Fraud Model!', '2024 digits', '???', 'ÄÖÜ x'])
      assert.equal(validateProjectName(suggestProjectName(s)), undefined, s);
  });

  it('an invalid name is refused before anything is written', async () => {
    const dir = path.join(tempDir('mlw-scaffold-'), 'p');
    await assert.rejects(scaffoldProject({ template: 'recommender', dir, name: 'no way', git: false }), /Invalid project name "no way"/);
    assert.equal(existsSync(dir), false);
  });
});

describe('writing into a folder', () => {
  it('never overwrites without consent: fail writes nothing, skip keeps, overwrite replaces', async () => {
    const dir = tempDir('mlw-scaffold-');
    writeFileSync(path.join(dir, 'README.md'), 'my own readme\n');
    writeFileSync(path.join(dir, 'notes.txt'), 'unrelated\n');
    const files = await planProject(await readTemplate('tabular-classifier'), { name: 'p1', helperDir: HELPER_DIR });
    assert.deepEqual(await findConflicts(files, dir), ['README.md']);

    await assert.rejects(
      writeProject(files, dir),
      (e: Error) => e instanceof ScaffoldConflictError && e.conflicts.join() === 'README.md' && /1 file already exists/.test(e.message),
    );
    assert.equal(existsSync(path.join(dir, 'train.py')), false, 'nothing written on a conflict');

    const skipped = await writeProject(files, dir, 'skip');
    assert.deepEqual(skipped.skipped, ['README.md']);
    assert.equal(readFileSync(path.join(dir, 'README.md'), 'utf8'), 'my own readme\n');
    assert.ok(existsSync(path.join(dir, 'train.py')));
    assert.equal(readFileSync(path.join(dir, 'notes.txt'), 'utf8'), 'unrelated\n');

    const over = await writeProject(files, dir, 'overwrite');
    assert.equal(over.skipped.length, 0);
    assert.match(readFileSync(path.join(dir, 'README.md'), 'utf8'), /^# p1/);
  });

  it('replaces a symbolic link instead of writing through it, and refuses a folder linking outside', async () => {
    const dir = tempDir('mlw-scaffold-');
    const outside = tempDir('mlw-outside-');
    writeFileSync(path.join(outside, 'victim.md'), 'keep me\n');
    symlinkSync(path.join(outside, 'victim.md'), path.join(dir, 'README.md'));
    const files = await planProject(await readTemplate('recommender'), { name: 'p2', helperDir: HELPER_DIR });
    await writeProject(files, dir, 'overwrite');
    assert.equal(readFileSync(path.join(outside, 'victim.md'), 'utf8'), 'keep me\n');
    assert.match(readFileSync(path.join(dir, 'README.md'), 'utf8'), /^# p2/);

    const dir2 = tempDir('mlw-scaffold-');
    symlinkSync(outside, path.join(dir2, 'tests'));
    await assert.rejects(writeProject(files, dir2, 'overwrite'), /links outside the project/);
    assert.equal(existsSync(path.join(outside, 'test_train.py')), false);
  });
});

describe('git', () => {
  it('init and a first commit work with no git identity configured (a local one is set)', async () => {
    isolatedGitEnv();
    const dir = path.join(tempDir('mlw-scaffold-'), 'digits');
    const result = await scaffoldProject({ template: 'image-classifier', dir });
    assert.equal(result.name, 'digits', 'the folder name is the default project name');
    assert.equal(result.git.status, 'committed', JSON.stringify(result.git));
    if (result.git.status !== 'committed') return;
    assert.equal(result.git.identitySet, true);
    assert.match(result.git.commit, /^[0-9a-f]{40}$/);
    const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, encoding: 'utf8' }).trim();
    assert.equal(git('config', '--local', 'user.email'), FALLBACK_IDENTITY.email);
    assert.equal(git('status', '--porcelain'), '', 'everything is committed');
    const tracked = git('ls-files').split('\n');
    assert.ok(tracked.includes('train.py') && tracked.includes('.gitignore') && tracked.includes('_vendor/mlw_run.py'));
    assert.match(git('log', '--format=%s'), /image-classifier template/);
  });

  it('a project inside an existing repository is not made a nested repository', async () => {
    isolatedGitEnv();
    const outer = tempDir('mlw-scaffold-');
    execFileSync('git', ['init', '-q'], { cwd: outer });
    const dir = path.join(outer, 'sub', 'proj');
    mkdirSync(dir, { recursive: true });
    const r = await initGitRepo(dir, 'x');
    assert.equal(r.status, 'skipped');
    assert.match(r.status === 'skipped' ? r.reason : '', /already inside the git repository/);
    assert.equal(existsSync(path.join(dir, '.git')), false);
  });
});

describe('interpreter advice', () => {
  it('names pip and Debian packages for missing modules', () => {
    const [pip, apt] = installAdvice('/usr/bin/python3', ['torch', 'sklearn', 'yaml']);
    assert.match(pip, /\/usr\/bin\/python3 -m pip install -r requirements\.txt/);
    assert.match(pip, /pip install torch scikit-learn PyYAML/);
    assert.match(apt, /apt install python3-torch python3-sklearn python3-yaml/);
    assert.deepEqual(installAdvice('python3', []), []);
  });
});
