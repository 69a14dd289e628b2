import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeRun } from '../../../src/core/runs/makeRun';
import { rerunSpec } from '../../../src/features/runs/rerunSpec';
import { splitAssignments } from '../../../src/features/runs/splitAssignments';

describe('splitAssignments (Run Experiment params box)', () => {
  it('splits k=v pairs on commas, keeping commas inside values', () => {
    assert.deepEqual(splitAssignments('lr=0.1, epochs=5'), ['lr=0.1', 'epochs=5']);
    assert.deepEqual(splitAssignments('layers=64,32, lr=0.1'), ['layers=64,32', 'lr=0.1']);
    assert.deepEqual(splitAssignments('  '), []);
    assert.deepEqual(splitAssignments('model.depth=3,name=a b'), ['model.depth=3', 'name=a b']);
  });
});

describe('rerunSpec', () => {
  it('recovers script, extra arguments and params from the recorded command', () => {
    const run = makeRun({
      id: 'r1',
      command: ['/usr/bin/python3', 'train.py', '--verbose', '--lr=0.1', '--epochs=5'],
      interpreter: '/usr/bin/python3',
      cwd: '/ws',
      params: { lr: 0.1, epochs: 5 },
      experiment: 'iris',
    });
    assert.deepEqual(rerunSpec(run, '/ws'), {
      workspace: '/ws',
      script: 'train.py',
      args: ['--verbose'],
      interpreter: '/usr/bin/python3',
      params: { lr: 0.1, epochs: 5 },
      cwd: '/ws',
      experiment: 'iris',
    });
  });

  it('reruns a notebook run (the notebook driver recorded as the script) as its notebook, with its params', () => {
    const run = makeRun({
      id: 'r3',
      command: ['/usr/bin/python3', '/ext/python/mlw_notebook.py', 'notebooks/train.ipynb'],
      interpreter: '/usr/bin/python3',
      cwd: '/ws',
      params: { lr: 0.1 },
      experiment: 'nb',
    });
    assert.deepEqual(rerunSpec(run, '/ws'), {
      workspace: '/ws',
      script: 'notebooks/train.ipynb',
      args: [],
      interpreter: '/usr/bin/python3',
      params: { lr: 0.1 },
      cwd: '/ws',
      experiment: 'nb',
    });
  });

  it('reruns a plain command as is', () => {
    const run = makeRun({ id: 'r2', command: ['/bin/bash', 'train.sh'], interpreter: null, cwd: '', params: {} });
    assert.deepEqual(rerunSpec(run, '/ws'), {
      workspace: '/ws',
      command: ['/bin/bash', 'train.sh'],
      params: {},
      cwd: '/ws',
      experiment: run.experiment,
    });
  });

  it('refuses MLflow runs', () => {
    assert.throws(() => rerunSpec(makeRun({ id: 'm1', source: 'mlflow-file', command: ['train.py'] }), '/ws'), /cannot be rerun/);
  });
});
