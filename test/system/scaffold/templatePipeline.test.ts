/**
 * A template project's dvc.yaml, for real: the tabular-classifier template scaffolded into a temp
 * folder, `mlw pipeline status --json` (all stale, no lock), `mlw pipeline run --update-lock`
 * (prepare → train → evaluate → export with Debian's /usr/bin/python3 as `python`), fresh after,
 * model.onnx run in onnxruntime-node, metrics.json checked; then a param edit makes exactly the
 * downstream stages stale, and a second run makes them fresh again.
 *
 * The image, text and recommender templates likewise: scaffolded with git, `mlw pipeline run
 * --python /usr/bin/python3` (no `python` symlink: the option makes `python` in the stage commands
 * that interpreter, whatever python leads PATH), every stage fresh after, metrics.json holding the
 * template's metrics, model.onnx answering the project's sample request in onnxruntime-node and
 * naming the train stage's run; only dvc.lock and metrics.json are new to git.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { scaffoldProject } from '../../../src/core/scaffold/scaffoldProject';
import { readModel } from '../../../src/core/onnx';
import { REPO_ROOT, tempDir } from '../../unit/runs/runsTestSupport';

const MLW = path.join(REPO_ROOT, 'dist', 'mlw.js');
const HELPER_DIR = path.join(REPO_ROOT, 'python');

describe('template pipeline (dvc.yaml)', () => {
  it('Pipelines on a template project: stale detection after editing a dep, run, fresh again', async (t) => {
    const present = existsSync(SYSTEM_PYTHON) && ['torch', 'sklearn', 'numpy', 'yaml', 'onnx'].every(pythonHas);
    if (
      !needs(
        t,
        'Debian python3 with torch, sklearn, numpy, yaml, onnx',
        present,
        'apt install python3-torch python3-sklearn python3-onnx python3-yaml',
      )
    )
      return;
    const dir = path.join(tempDir('mlw-tpl-pipe-'), 'proj');
    await scaffoldProject({ template: 'tabular-classifier', dir, git: false, helperDir: HELPER_DIR });
    const bin = tempDir('mlw-tpl-bin-');
    symlinkSync(SYSTEM_PYTHON, path.join(bin, 'python'));
    const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };
    /** `mlw pipeline status --json`: exit 0 when all fresh, 1 when some stage is stale. */
    const status = () => {
      const r = spawnSync(process.execPath, [MLW, 'pipeline', 'status', '--json'], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
      assert.ok(r.status === 0 || r.status === 1, r.stderr);
      return JSON.parse(r.stdout) as { stages: { name: string; state: string }[] };
    };
    /** The run's progress lines (stderr); fails the test on a non-zero exit. */
    const run = () => {
      const r = spawnSync(process.execPath, [MLW, 'pipeline', 'run', '--update-lock'], {
        cwd: dir,
        env,
        encoding: 'utf8',
        timeout: 300_000,
      });
      assert.equal(r.status, 0, r.stderr);
      return [...r.stderr.matchAll(/stage (\w+): run /g)].map((m) => m[1]);
    };
    const states = () => Object.fromEntries(status().stages.map((s) => [s.name, s.state]));

    assert.deepEqual(states(), { prepare: 'stale', train: 'stale', evaluate: 'stale', export: 'stale' });
    assert.deepEqual(run(), ['prepare', 'train', 'evaluate', 'export']);
    assert.equal(readdirSync(path.join(dir, '.mlw', 'runs')).length >= 4, true, 'each stage is a tracked run');
    assert.deepEqual(states(), { prepare: 'fresh', train: 'fresh', evaluate: 'fresh', export: 'fresh' });
    assert.ok(existsSync(path.join(dir, 'data', 'split.npz')) && existsSync(path.join(dir, 'dvc.lock')));

    const metrics = JSON.parse(readFileSync(path.join(dir, 'metrics.json'), 'utf8')) as { accuracy: number };
    assert.ok(metrics.accuracy > 0.85 && metrics.accuracy <= 1, `accuracy ${metrics.accuracy}`);
    const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'));
    const features = new ort.Tensor('float32', new Float32Array(30).fill(1), [1, 30]);
    const result = await session.run({ [session.inputNames[0]]: features });
    const p = (result[session.outputNames[0]].data as Float32Array)[0];
    assert.ok(p >= 0 && p <= 1, `probability ${p}`);

    // A dep edit: lr feeds train only, so train and what reads model.pt go stale; prepare stays fresh.
    const paramsFile = path.join(dir, 'params.yaml');
    writeFileSync(paramsFile, readFileSync(paramsFile, 'utf8').replace(/^lr: .*$/m, 'lr: 0.005'));
    assert.deepEqual(states(), { prepare: 'fresh', train: 'stale', evaluate: 'stale', export: 'stale' });
    assert.deepEqual(run(), ['train', 'evaluate', 'export']);
    assert.deepEqual(states(), { prepare: 'fresh', train: 'fresh', evaluate: 'fresh', export: 'fresh' });
  });
});

/** Per template: the metrics evaluate.py writes and a bar the default params clear, the sample request's output. */
const OTHERS = {
  'image-classifier': {
    metrics: ['accuracy', 'precision', 'recall', 'f1', 'roc_auc'],
    check: (m: Record<string, number>) => m.accuracy > 0.9 && m.roc_auc > 0.98,
    output: 'probabilities',
    width: 10,
    range: [0, 1],
  },
  'text-classifier': {
    metrics: ['accuracy', 'precision', 'recall', 'f1', 'roc_auc'],
    check: (m: Record<string, number>) => m.accuracy > 0.6 && m.roc_auc > 0.6,
    output: 'probability',
    width: 1,
    range: [0, 1],
  },
  recommender: {
    metrics: ['rmse', 'mae', 'baseline_rmse'],
    check: (m: Record<string, number>) => m.rmse < m.baseline_rmse * 0.85,
    output: 'rating',
    width: 1,
    range: [1, 5],
  },
} as const;

interface SampleInput {
  name: string;
  shape: number[];
  datatype: string;
  data: number[];
}

describe('template pipelines: image, text, recommender', () => {
  for (const [id, want] of Object.entries(OTHERS)) {
    it(
      `${id}: mlw pipeline run --python runs prepare, train, evaluate, export; all fresh; model.onnx serves`,
      { timeout: 300_000 },
      async (t) => {
        const present = existsSync(SYSTEM_PYTHON) && ['torch', 'sklearn', 'numpy', 'yaml', 'onnx'].every(pythonHas);
        if (
          !needs(
            t,
            'Debian python3 with torch, sklearn, numpy, yaml, onnx',
            present,
            'apt install python3-torch python3-sklearn python3-onnx python3-yaml',
          )
        )
          return;
        const t0 = performance.now();
        const dir = path.join(tempDir('mlw-tpl-pipe-'), 'proj');
        const made = await scaffoldProject({ template: id, dir, helperDir: HELPER_DIR });
        assert.equal(made.git.status, 'committed', JSON.stringify(made.git));
        const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
        const mlw = (...args: string[]) =>
          spawnSync(process.execPath, [MLW, ...args], { cwd: dir, env, encoding: 'utf8', timeout: 240_000 });
        const states = () => {
          const r = mlw('pipeline', 'status', '--json');
          assert.ok(r.status === 0 || r.status === 1, r.stderr);
          return Object.fromEntries(
            (JSON.parse(r.stdout) as { stages: { name: string; state: string }[] }).stages.map((s) => [s.name, s.state]),
          );
        };
        const all = (state: string) => ({ prepare: state, train: state, evaluate: state, export: state });

        assert.deepEqual(states(), all('stale'));
        const run = mlw('pipeline', 'run', '--update-lock', '--python', SYSTEM_PYTHON);
        assert.equal(run.status, 0, run.stderr);
        const started = Object.fromEntries([...run.stderr.matchAll(/stage (\w+): run (\S+)/g)].map((m) => [m[1], m[2]]));
        assert.deepEqual(Object.keys(started), ['prepare', 'train', 'evaluate', 'export']);
        assert.deepEqual(states(), all('fresh'));
        t.diagnostic(`${id}: scaffold + pipeline run + status ${((performance.now() - t0) / 1000).toFixed(1)} s`);

        const metrics = JSON.parse(readFileSync(path.join(dir, 'metrics.json'), 'utf8')) as Record<string, number>;
        assert.deepEqual(Object.keys(metrics).sort(), [...want.metrics].sort());
        assert.ok(want.check(metrics), JSON.stringify(metrics));

        // model.onnx from the export stage: named after the run that trained it, and it answers the sample request.
        const onnxPath = path.join(dir, 'model.onnx');
        const meta = Object.fromEntries((await readModel(onnxPath)).metadataProps.map((p) => [p.key, p.value]));
        assert.equal(meta['mlw.run_id'], started.train);
        assert.equal(meta.template, id);
        const sample = JSON.parse(readFileSync(path.join(dir, 'sample_request.json'), 'utf8')) as { inputs: SampleInput[] };
        const session = await ort.InferenceSession.create(onnxPath, { logSeverityLevel: 3 });
        try {
          const feeds = Object.fromEntries(
            sample.inputs.map((i) => [
              i.name,
              i.datatype === 'INT64'
                ? new ort.Tensor('int64', BigInt64Array.from(i.data.map((v) => BigInt(v))), i.shape)
                : new ort.Tensor('float32', Float32Array.from(i.data), i.shape),
            ]),
          );
          const out = (await session.run(feeds))[want.output];
          assert.deepEqual(out.dims, [sample.inputs[0].shape[0], want.width]);
          const values = Array.from(out.data as Float32Array);
          assert.ok(
            values.every((v) => v >= want.range[0] && v <= want.range[1]),
            values.join(', '),
          );
        } finally {
          await session.release();
        }

        // git sees the lock and the metric; the split, model.pt, model.onnx and the runs are ignored.
        const changed = execFileSync('git', ['status', '--porcelain'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').sort();
        assert.deepEqual(changed, ['?? dvc.lock', '?? metrics.json']);

        // A param of train only: train and what reads model.pt go stale, prepare stays fresh.
        const paramsFile = path.join(dir, 'params.yaml');
        writeFileSync(
          paramsFile,
          readFileSync(paramsFile, 'utf8').replace(/^epochs: (\d+)$/m, (_, n: string) => `epochs: ${Number(n) + 1}`),
        );
        assert.deepEqual(states(), { prepare: 'fresh', train: 'stale', evaluate: 'stale', export: 'stale' });
      },
    );
  }
});
