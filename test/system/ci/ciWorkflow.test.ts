/**
 * `mlw ci init` through the built CLI (dist/mlw.js). The written workflows are parsed with the project's YAML
 * library and checked against the published facts of GitHub Actions workflow syntax (`on`, `permissions`,
 * `jobs.<id>.runs-on`, `steps[]` with exactly one of `run`/`uses`, `if:` expressions, secrets only as
 * `${{ secrets.NAME }}`) and of GitLab CI (`stages`, each job's `stage` among them, `script`, `rules`, `artifacts`).
 * Then the GitHub workflow's `mlw` steps are EXECUTED locally in order, twice, in a project made from the
 * tabular-classifier template (its dvc.yaml pipeline: prepare, train, evaluate, export) with real /usr/bin/python3
 * torch training, `python` on PATH standing for setup-python's: the steps guarded to the main branch
 * (containerize, push) are skipped and asserted to be exactly those; the Markdown summary of the second pass holds
 * the candidate's and the champion's metrics as the registry recorded them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { RegisteredModel } from '../../../src/core/registry/registryTypes';
import { formatMetric } from '../../../src/core/runs/formatRun';
import { scaffoldProject } from '../../../src/core/scaffold/scaffoldProject';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { REPO_ROOT, tempDir } from '../../unit/runs/runsTestSupport';

const MLW = path.join(REPO_ROOT, 'dist', 'mlw.js');
const HELPER_DIR = path.join(REPO_ROOT, 'python');

/** A folder with `python` -> the system Python, first on PATH: the pipeline's stages run `python train.py` as CI's would. */
let pythonBin: string | undefined;
function pathWithPython(): string {
  if (!pythonBin) {
    pythonBin = tempDir('mlw-ci-bin-');
    symlinkSync(SYSTEM_PYTHON, path.join(pythonBin, 'python'));
  }
  return `${pythonBin}${path.delimiter}${process.env.PATH ?? ''}`;
}

function mlw(ws: string, args: string[]): { code: number | null; out: string; err: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', MLW_PYTHON: SYSTEM_PYTHON, PATH: pathWithPython() };
  const r = spawnSync(process.execPath, [MLW, '--workspace', ws, ...args], { encoding: 'utf8', timeout: 300_000, env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Splits a workflow's `mlw …` line into arguments, and an optional `> FILE` redirection of stdout. */
function mlwArgs(line: string): { args: string[]; stdoutTo?: string } {
  const [cmd, to] = line.split(/\s+>\s+/);
  return { args: cmd.trim().split(/\s+/).slice(1), stdoutTo: to?.trim() };
}

type GhStep = { name?: string; uses?: string; run?: string; if?: string; env?: Record<string, string>; with?: unknown };
type GhWorkflow = {
  name: string;
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, { 'runs-on': string; steps: GhStep[] }>;
};

/** A tabular-classifier project as `mlw new` makes it, with its dvc.yaml: the workflow runs the pipeline. */
async function project(): Promise<string> {
  const dir = path.join(tempDir('mlw-ci-'), 'proj');
  await scaffoldProject({ template: 'tabular-classifier', dir, git: false, helperDir: HELPER_DIR });
  return dir;
}

describe('mlw ci init', () => {
  it('writes a GitHub Actions workflow that follows the published syntax, and refuses to overwrite it', async () => {
    const ws = await project();
    const r = mlw(ws, ['ci', 'init', 'github', '--model', 'clf', '--json']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), { provider: 'github', file: '.github/workflows/mlw.yml', model: 'clf', pipeline: true });
    const text = readFileSync(path.join(ws, '.github/workflows/mlw.yml'), 'utf8');
    const wf = parse(text) as GhWorkflow;
    assert.ok(wf.on.push && 'pull_request' in wf.on, 'on: push and pull_request');
    assert.deepEqual(wf.permissions, { contents: 'read' });
    const jobs = Object.entries(wf.jobs);
    assert.equal(jobs.length, 1);
    for (const [id, job] of jobs) {
      assert.match(id, /^[A-Za-z_][A-Za-z0-9_-]*$/, 'job ids: letters, digits, _ and -, not starting with a digit');
      assert.equal(typeof job['runs-on'], 'string');
      for (const s of job.steps) {
        assert.equal(Number(s.run !== undefined) + Number(s.uses !== undefined), 1, `a step has run or uses: ${JSON.stringify(s)}`);
        if (s.uses) assert.match(s.uses, /^[\w.-]+\/[\w.-]+@v\d+$/, 'uses: owner/repo@ref');
        if (s.if) assert.equal(s.if, "github.ref == 'refs/heads/main'");
      }
    }
    const steps = wf.jobs.mlw.steps;
    const push = steps.find((s) => s.name === 'Push')!;
    for (const [k, v] of Object.entries(push.env ?? {})) assert.equal(v, `\${{ secrets.${k} }}`, 'credentials by secret name only');
    assert.doesNotMatch(text.replace(/\$\{\{ (secrets\.\w+|github\.sha) \}\}/g, ''), /\$\{\{/, 'no other expressions');
    assert.match(
      steps.find((s) => s.name === 'Summary')!.run!,
      /mlw ci summary clf > mlw-summary\.md\ncat mlw-summary\.md >> "\$GITHUB_STEP_SUMMARY"/,
    );
    assert.match(
      steps.find((s) => s.name === 'Install')!.run!,
      /npm install --global ml-workbench\npython -m pip install -r requirements\.txt/,
    );

    const again = mlw(ws, ['ci', 'init', 'github']);
    assert.equal(again.code, 1);
    assert.equal(again.err.trim(), 'mlw ci: .github/workflows/mlw.yml exists; keep it, or replace it with: mlw ci init github --force');
    assert.equal(readFileSync(path.join(ws, '.github/workflows/mlw.yml'), 'utf8'), text, 'kept');
    assert.equal(mlw(ws, ['ci', 'init', 'github', '--force', '--model', 'other']).code, 0);
    assert.match(readFileSync(path.join(ws, '.github/workflows/mlw.yml'), 'utf8'), /--name other --alias challenger/);
    assert.equal(mlw(ws, ['ci', 'init', 'jenkins']).code, 2);
  });

  it('writes GitLab CI with stages, scripts, rules and the summary as an artifact; dvc.yaml runs the pipeline', async () => {
    const ws = await project();
    writeFileSync(path.join(ws, 'dvc.yaml'), 'stages:\n  train:\n    cmd: python train.py\n');
    assert.equal(mlw(ws, ['ci', 'init', 'gitlab', '--model', 'clf']).code, 0);
    const ci = parse(readFileSync(path.join(ws, '.gitlab-ci.yml'), 'utf8')) as Record<string, Record<string, unknown>>;
    const stages = ci.stages as unknown as string[];
    const jobs = Object.entries(ci).filter(([k]) => !['stages', 'default', 'variables', 'workflow', 'include'].includes(k));
    assert.deepEqual(stages, ['train', 'gate', 'deploy']);
    for (const [, job] of jobs) {
      assert.ok(stages.includes(job.stage as string), 'stage is declared');
      assert.ok(Array.isArray(job.script) && (job.script as unknown[]).every((l) => typeof l === 'string'), 'script: a list of strings');
    }
    const train = ci.train as { script: string[]; artifacts: { paths: string[]; when: string } };
    assert.deepEqual(train.script.slice(0, 1), ['mlw pipeline run'], 'dvc.yaml: the pipeline instead of train.py');
    assert.ok(train.artifacts.paths.includes('mlw-summary.md') && train.artifacts.when === 'always');
    assert.deepEqual((ci.deploy as { rules: unknown }).rules, [{ if: '$CI_COMMIT_BRANCH == "main"' }]);
    assert.ok(!('rules' in ci.train) && !('rules' in ci.gate), 'only deploy is guarded');
    assert.deepEqual((ci.gate as { script: string[] }).script, ['mlw registry promote clf challenger']);
  });

  it('executes the workflow mlw steps in order on a real template project: challenger against champion in the summary', async (t) => {
    if (
      !needs(
        t,
        'python3 with torch, sklearn, onnx, yaml',
        ['torch', 'sklearn', 'onnx', 'yaml'].every(pythonHas),
        'apt-get install python3-torch python3-sklearn python3-onnx python3-yaml',
      )
    )
      return;
    const ws = await project();
    assert.equal(mlw(ws, ['ci', 'init', 'github', '--model', 'clf']).code, 0);
    const wf = parse(readFileSync(path.join(ws, '.github/workflows/mlw.yml'), 'utf8')) as GhWorkflow;

    const pass = () => {
      const skipped: string[] = [];
      const ran: string[] = [];
      for (const s of wf.jobs.mlw.steps) {
        const lines = (s.run ?? '').split('\n').filter((l) => /(^|\|\s*)mlw /.test(l));
        if (s.if) {
          skipped.push(...lines.map((l) => l.slice(l.indexOf('mlw '))));
          continue;
        }
        for (const line of lines.filter((l) => l.startsWith('mlw '))) {
          const { args, stdoutTo } = mlwArgs(line);
          const r = mlw(ws, args);
          assert.equal(r.code, 0, `${line}: ${r.err}`);
          if (stdoutTo) writeFileSync(path.join(ws, stdoutTo), r.out);
          ran.push(line);
        }
      }
      return { ran, skipped };
    };

    const first = pass();
    assert.deepEqual(first.ran, [
      'mlw pipeline run',
      'mlw registry register model.onnx --name clf --alias challenger',
      'mlw ci summary clf > mlw-summary.md',
      'mlw registry promote clf challenger',
    ]);
    assert.deepEqual(
      first.skipped.map((l) => l.split(' ').slice(0, 3).join(' ')),
      ['mlw containerize model.onnx', 'mlw deploy push'],
      'the skipped steps are the main-branch ones: containerize and push',
    );
    assert.match(readFileSync(path.join(ws, 'mlw-summary.md'), 'utf8'), /^## clf: challenger v1 against no champion yet/);

    // The next commit trains differently: the candidate v2 is measured against champion v1.
    const params = path.join(ws, 'params.yaml');
    writeFileSync(
      params,
      readFileSync(params, 'utf8')
        .replace(/^epochs: \d+/m, 'epochs: 3')
        .replace(/^hidden: \d+/m, 'hidden: 4'),
    );
    pass();
    const model = JSON.parse(readFileSync(path.join(ws, '.mlw/registry/clf.json'), 'utf8')) as RegisteredModel;
    assert.equal(model.aliases.champion, 2, 'the gate promoted v2 (no gates in mlw.yaml)');
    const [v1, v2] = model.versions;
    const md = readFileSync(path.join(ws, 'mlw-summary.md'), 'utf8');
    assert.match(md, /^## clf: challenger v2 against champion v1/);
    assert.match(md, /\| Metric \| challenger v2 \| champion v1 \| Δ \|/);
    assert.match(md, /No promotion gates declared for clf in mlw\.yaml\./);
    assert.ok(Object.keys(v2.metrics).includes('accuracy'), JSON.stringify(v2.metrics));
    assert.deepEqual(
      v2.pipeline?.metricsFrom.map((m) => [m.file, m.stage]),
      [['metrics.json', 'evaluate']],
      "the pipeline's metrics: evaluate's metrics.json",
    );
    assert.equal(v2.metrics.accuracy, JSON.parse(readFileSync(path.join(ws, 'metrics.json'), 'utf8')).accuracy);
    for (const m of ['accuracy', 'f1', 'roc_auc'].filter((k) => k in v2.metrics)) {
      const row = md.split('\n').find((l) => l.startsWith(`| ${m} |`));
      assert.ok(row, `a row for ${m}:\n${md}`);
      const cells = row.split('|').map((c) => c.trim());
      assert.equal(cells[2], formatMetric(v2.metrics[m]));
      assert.equal(cells[3], formatMetric(v1.metrics[m]));
    }
    assert.notDeepEqual(v1.metrics, v2.metrics, 'two different trainings');
    assert.ok(existsSync(path.join(ws, 'model.onnx')));

    // A failing gate of mlw.yaml fails the Gates step: exit 1 with the numbers, champion stays.
    writeFileSync(path.join(ws, 'mlw.yaml'), 'registry:\n  clf:\n    gates: ["accuracy >= 1.01"]\n');
    const gateLine = wf.jobs.mlw.steps.find((s) => s.name === 'Gates')!.run!;
    assert.equal(mlw(ws, mlwArgs(wf.jobs.mlw.steps.find((s) => s.name === 'Register challenger')!.run!).args).code, 0);
    const summary = mlw(ws, mlwArgs('mlw ci summary clf').args);
    assert.match(summary.out, /\| `accuracy >= 1\.01` \| \*\*FAIL\*\* \| accuracy 0\.\d+/, summary.out);
    const gate = mlw(ws, mlwArgs(gateLine).args);
    assert.equal(gate.code, 1, gate.out + gate.err);
    assert.match(gate.out, /accuracy >= 1\.01\s+FAIL/);
    const after = JSON.parse(readFileSync(path.join(ws, '.mlw/registry/clf.json'), 'utf8')) as RegisteredModel;
    assert.deepEqual([after.aliases.champion, after.aliases.challenger], [2, 3]);
  });
});
