/**
 * Every template, for real: scaffolded into a temp folder (git init + first commit), trained with
 * Debian's /usr/bin/python3 through the run launcher, the run checked in the store, model.onnx
 * read by the project's ONNX reader and run once in onnxruntime-node with the project's own
 * sample request, then the project's own tests run with the same interpreter.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { scaffoldProject } from '../../../src/core/scaffold/scaffoldProject';
import { TEMPLATE_IDS, type TemplateId } from '../../../src/core/scaffold/projectTemplates';
import { launchRun } from '../../../src/core/runs/launchRun';
import { RunStore } from '../../../src/core/runs/RunStore';
import { readParamsFile } from '../../../src/core/runs/paramsFile';
import { readMetrics } from '../../../src/core/runs/readMetrics';
import { readModel } from '../../../src/core/onnx';
import { REPO_ROOT, tempDir } from '../../unit/runs/runsTestSupport';

const HELPER_DIR = path.join(REPO_ROOT, 'python');
let stack: boolean | undefined;
const hasStack = () => (stack ??= existsSync(SYSTEM_PYTHON) && ['torch', 'sklearn', 'numpy', 'yaml', 'onnx'].every(pythonHas));
const GIT_ENV = {
  GIT_AUTHOR_NAME: 'T',
  GIT_AUTHOR_EMAIL: 't@example.invalid',
  GIT_COMMITTER_NAME: 'T',
  GIT_COMMITTER_EMAIL: 't@example.invalid',
};

/** The final metrics each template must log, and a bar the default params must clear. */
const EXPECT: Record<
  TemplateId,
  { metrics: string[]; check: (m: Record<string, number>) => void; output: string; outputShape: (batch: number) => number[] }
> = {
  'tabular-classifier': {
    metrics: ['accuracy', 'precision', 'recall', 'f1', 'roc_auc'],
    check: (m) => assert.ok(m.accuracy > 0.9 && m.roc_auc > 0.95, JSON.stringify(m)),
    output: 'probability',
    outputShape: (b) => [b, 1],
  },
  'image-classifier': {
    metrics: ['accuracy', 'precision', 'recall', 'f1', 'roc_auc'],
    check: (m) => assert.ok(m.accuracy > 0.9 && m.roc_auc > 0.98, JSON.stringify(m)),
    output: 'probabilities',
    outputShape: (b) => [b, 10],
  },
  'text-classifier': {
    metrics: ['accuracy', 'precision', 'recall', 'f1', 'roc_auc'],
    check: (m) => assert.ok(m.accuracy > 0.6 && m.roc_auc > 0.6, JSON.stringify(m)),
    output: 'probability',
    outputShape: (b) => [b, 1],
  },
  recommender: {
    metrics: ['rmse', 'mae', 'baseline_rmse'],
    check: (m) => assert.ok(m.rmse < m.baseline_rmse * 0.85, JSON.stringify(m)),
    output: 'rating',
    outputShape: (b) => [b, 1],
  },
};

interface SampleInput {
  name: string;
  shape: number[];
  datatype: string;
  data: number[];
}

function feeds(sample: { inputs: SampleInput[] }): Record<string, ort.Tensor> {
  return Object.fromEntries(
    sample.inputs.map((i) => [
      i.name,
      i.datatype === 'INT64'
        ? new ort.Tensor('int64', BigInt64Array.from(i.data.map((v) => BigInt(v))), i.shape)
        : new ort.Tensor('float32', Float32Array.from(i.data), i.shape),
    ]),
  );
}

describe('template projects, trained for real', () => {
  for (const id of TEMPLATE_IDS) {
    it(
      `${id}: scaffold, first training run through the launcher, model.onnx served by onnxruntime, project tests pass`,
      { timeout: 240_000 },
      async (t) => {
        if (
          !needs(
            t,
            'python3 with torch, sklearn, numpy, yaml and onnx',
            hasStack(),
            'apt-get install python3-torch python3-sklearn python3-numpy python3-yaml python3-onnx',
          )
        )
          return;
        Object.assign(process.env, GIT_ENV);
        const dir = path.join(tempDir('mlw-tpl-'), `proj-${id}`);
        const t0 = performance.now();
        const made = await scaffoldProject({ template: id, dir, helperDir: HELPER_DIR });
        assert.equal(made.git.status, 'committed', JSON.stringify(made.git));

        const params = await readParamsFile(path.join(dir, 'params.yaml'));
        const store = new RunStore(dir);
        const handle = await launchRun({
          store,
          script: 'train.py',
          interpreter: SYSTEM_PYTHON,
          params,
          cwd: dir,
          experiment: id,
          helperDir: HELPER_DIR,
          env: { PYTHONDONTWRITEBYTECODE: '1' },
        });
        const run = await handle.done;
        const seconds = (performance.now() - t0) / 1000;
        t.diagnostic(`${id}: scaffold + first training run ${seconds.toFixed(1)} s`);
        assert.equal(run.status, 'finished', run.outputTail ?? run.error);
        assert.ok(seconds < 30, `the first run took ${seconds.toFixed(1)} s (goal: 30 s)`);

        // The run as the Runs view and the dashboard see it.
        assert.equal(run.params.epochs, params.epochs);
        assert.equal(run.tags?.template, id);
        assert.equal(run.git?.dirty, false, 'model.onnx, model.pt and .mlw are git-ignored: the run is clean');
        assert.equal(run.git?.commit, made.git.status === 'committed' ? made.git.commit : '');
        const m = await readMetrics(handle.dir);
        assert.equal(m.skippedLines, 0);
        assert.equal(m.series.get('loss')?.values.length, params.epochs, 'one loss point per epoch');
        const losses = m.series.get('loss')!.values;
        assert.ok(losses[losses.length - 1] < losses[0], 'the loss went down');
        const final: Record<string, number> = {};
        for (const name of EXPECT[id].metrics) {
          const s = m.series.get(name);
          assert.ok(s && s.values.length === 1, `final metric ${name} logged once`);
          final[name] = s.values[0];
        }
        EXPECT[id].check(final);
        const artifact = run.artifacts.find((a) => a.path.endsWith('model.onnx'));
        assert.ok(artifact && artifact.size > 1000 && /^[0-9a-f]{64}$/.test(artifact.sha256), 'model.onnx recorded as an artifact');

        // model.onnx: the project's ONNX reader sees the run id; onnxruntime answers the sample request.
        const onnxPath = path.join(dir, 'model.onnx');
        const model = await readModel(onnxPath);
        const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
        assert.equal(meta['mlw.run_id'], run.id);
        assert.equal(meta.template, id);
        assert.equal(meta.project, `proj-${id}`);
        const sample = JSON.parse(readFileSync(path.join(dir, 'sample_request.json'), 'utf8')) as { inputs: SampleInput[] };
        const session = await ort.InferenceSession.create(onnxPath, { logSeverityLevel: 3 });
        try {
          assert.deepEqual([...session.inputNames].sort(), sample.inputs.map((i) => i.name).sort());
          const out = (await session.run(feeds(sample)))[EXPECT[id].output];
          const batch = sample.inputs[0].shape[0];
          assert.deepEqual(out.dims, EXPECT[id].outputShape(batch));
          const values = Array.from(out.data as Float32Array);
          const [lo, hi] = id === 'recommender' ? [1, 5] : [0, 1];
          assert.ok(
            values.every((v) => v >= lo && v <= hi),
            `${EXPECT[id].output} in [${lo}, ${hi}]: ${values.slice(0, 10).join(', ')}`,
          );
          if (id === 'image-classifier') assert.ok(Math.abs(values.reduce((a, b) => a + b, 0) - 1) < 1e-4, 'probabilities sum to 1');
        } finally {
          await session.release();
        }

        // The project's own tests, with the same interpreter (pytest when installed, else unittest).
        const runner = pythonHas('pytest') ? ['-m', 'pytest', '-q', '-p', 'no:cacheprovider'] : ['-m', 'unittest', '-q'];
        const tests = spawnSync(SYSTEM_PYTHON, runner, {
          cwd: dir,
          encoding: 'utf8',
          timeout: 180_000,
          env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
        });
        assert.equal(tests.status, 0, `${runner.join(' ')} failed:\n${tests.stdout}\n${tests.stderr}`);
        t.diagnostic(`${id}: project tests: ${(tests.stdout + tests.stderr).trim().split('\n').pop()}`);
        assert.equal(execFileSync('git', ['status', '--porcelain'], { cwd: dir, encoding: 'utf8' }), '', 'tests leave the work tree clean');
      },
    );
  }

  it(
    'python train.py run by hand records a local run, named in model.onnx; MLW_DISABLE=1 records nothing',
    { timeout: 120_000 },
    async (t) => {
      if (
        !needs(
          t,
          'python3 with torch, numpy, yaml and onnx',
          hasStack(),
          'apt-get install python3-torch python3-numpy python3-yaml python3-onnx',
        )
      )
        return;
      const dir = path.join(tempDir('mlw-tpl-'), 'recs');
      await scaffoldProject({ template: 'recommender', dir, git: false, helperDir: HELPER_DIR });
      const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONPATH: '' };
      delete env.MLW_RUN_DIR;
      const r = spawnSync(SYSTEM_PYTHON, ['train.py', '--epochs=5'], { cwd: dir, encoding: 'utf8', timeout: 60_000, env });
      assert.equal(r.status, 0, r.stderr);
      const runs = readdirSync(path.join(dir, '.mlw', 'runs')).filter((n) => !n.startsWith('.'));
      assert.equal(runs.length, 1);
      const listed = await new RunStore(dir).listRuns();
      assert.equal(listed[0].status, 'finished');
      assert.equal(listed[0].params.epochs, 5, 'the override reached the script');
      const meta = Object.fromEntries((await readModel(path.join(dir, 'model.onnx'))).metadataProps.map((p) => [p.key, p.value]));
      assert.equal(meta['mlw.run_id'], runs[0]);

      const off = spawnSync(SYSTEM_PYTHON, ['train.py', '--epochs=2'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...env, MLW_DISABLE: '1' },
      });
      assert.equal(off.status, 0, off.stderr);
      assert.equal(readdirSync(path.join(dir, '.mlw', 'runs')).filter((n) => !n.startsWith('.')).length, 1);
      assert.match(off.stdout, /\(run local\)/);
      const bad = spawnSync(SYSTEM_PYTHON, ['train.py', '--epoch=2'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...env, MLW_DISABLE: '1' },
      });
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /unknown param 'epoch'; known: epochs, factors/);
    },
  );
});
