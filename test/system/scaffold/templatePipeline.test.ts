/**
 * A template project's dvc.yaml, for real: the tabular-classifier template scaffolded into a temp
 * folder, `mlw pipeline status --json` (all stale, no lock), `mlw pipeline run --update-lock`
 * (prepare → train → evaluate → export with Debian's /usr/bin/python3 as `python`), fresh after,
 * model.onnx run in onnxruntime-node, metrics.json checked; then a param edit makes exactly the
 * downstream stages stale, and a second run makes them fresh again.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { scaffoldProject } from '../../../src/core/scaffold/scaffoldProject';
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
