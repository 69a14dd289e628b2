import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { writeFileSync } from 'node:fs';
import { expandSweep, SweepError } from '../../../src/core/runs/expandSweep';
import { applyOverrides, findParamsFile, flattenParams, inferValue, ParamsError, readParamsFile } from '../../../src/core/runs/paramsFile';
import { buildChildEnv, paramArgs, paramEnvName } from '../../../src/core/runs/buildChildCommand';
import { tempDir } from './runsTestSupport';

describe('expandSweep: grid', () => {
  it('makes every combination, first key slowest, on top of the base params', () => {
    const sets = expandSweep({ grid: { lr: [0.1, 0.01, 0.001], depth: [2, 4] }, base: { epochs: 5 } });
    assert.equal(sets.length, 6);
    assert.deepEqual(sets, [
      { epochs: 5, lr: 0.1, depth: 2 },
      { epochs: 5, lr: 0.1, depth: 4 },
      { epochs: 5, lr: 0.01, depth: 2 },
      { epochs: 5, lr: 0.01, depth: 4 },
      { epochs: 5, lr: 0.001, depth: 2 },
      { epochs: 5, lr: 0.001, depth: 4 },
    ]);
    assert.equal(new Set(sets.map((s) => JSON.stringify(s))).size, 6, 'no duplicates');
  });

  it('treats a scalar as one value and refuses empty or huge grids', () => {
    assert.deepEqual(expandSweep({ grid: { opt: 'adam', lr: [1, 2] } }), [
      { opt: 'adam', lr: 1 },
      { opt: 'adam', lr: 2 },
    ]);
    assert.throws(() => expandSweep({ grid: { lr: [] } }), SweepError);
    const big = Array.from({ length: 101 }, (_, i) => i);
    assert.throws(() => expandSweep({ grid: { a: big, b: big } }), /at most/);
  });
});

describe('expandSweep: random', () => {
  const spec = {
    random: {
      lr: { min: 1e-5, max: 1e-1, log: true },
      dropout: { min: 0, max: 0.5 },
      layers: { min: 1, max: 4, int: true },
      opt: ['adam', 'sgd'],
    },
    count: 200,
    seed: 7,
  };

  it('is reproducible by seed and different across seeds', () => {
    assert.deepEqual(expandSweep(spec), expandSweep(spec));
    assert.notDeepEqual(expandSweep(spec), expandSweep({ ...spec, seed: 8 }));
  });

  it('stays in range, spreads over log scales, hits every integer and choice', () => {
    const sets = expandSweep(spec);
    assert.equal(sets.length, 200);
    const lrs = sets.map((s) => s.lr as number);
    for (const s of sets) {
      assert.ok((s.lr as number) >= 1e-5 && (s.lr as number) <= 1e-1);
      assert.ok((s.dropout as number) >= 0 && (s.dropout as number) <= 0.5);
      assert.ok(Number.isInteger(s.layers) && (s.layers as number) >= 1 && (s.layers as number) <= 4);
      assert.ok(s.opt === 'adam' || s.opt === 'sgd');
    }
    // log-uniform: about a quarter below 1e-4 (uniform would put ~0.1% there)
    const below = lrs.filter((v) => v < 1e-4).length;
    assert.ok(below > 20 && below < 90, `log spread: ${below}`);
    assert.deepEqual(new Set(sets.map((s) => s.layers)), new Set([1, 2, 3, 4]));
    assert.deepEqual(new Set(sets.map((s) => s.opt)), new Set(['adam', 'sgd']));
  });

  it('refuses bad specs', () => {
    assert.throws(() => expandSweep({ random: { lr: { min: 0, max: 1, log: true } }, count: 3 }), /log/);
    assert.throws(() => expandSweep({ random: { lr: { min: 2, max: 1 } }, count: 3 }), /min <= max/);
    assert.throws(() => expandSweep({ random: { lr: { min: 0, max: 1 } }, count: 0 }), /count/);
  });
});

describe('params files and overrides', () => {
  it('reads YAML and JSON, flattening nested keys with dots', async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, 'params.yaml'),
      'train:\n  lr: 0.01\n  epochs: 10\nmodel:\n  layers: [64, 32]\n  act: relu\n  extra: {}\nseed: 42\nuse_gpu: false\nnote: null\n',
    );
    assert.equal(await findParamsFile(dir), path.join(dir, 'params.yaml'));
    assert.deepEqual(await readParamsFile(path.join(dir, 'params.yaml')), {
      'train.lr': 0.01,
      'train.epochs': 10,
      'model.layers.0': 64,
      'model.layers.1': 32,
      'model.act': 'relu',
      'model.extra': '{}',
      seed: 42,
      use_gpu: false,
      note: null,
    });
    writeFileSync(path.join(dir, 'p.json'), JSON.stringify({ a: { b: { c: 'x' } }, n: 1.5 }));
    assert.deepEqual(await readParamsFile(path.join(dir, 'p.json')), { 'a.b.c': 'x', n: 1.5 });
    writeFileSync(path.join(dir, 'bad.yaml'), '- just\n- a list\n');
    await assert.rejects(readParamsFile(path.join(dir, 'bad.yaml')), ParamsError);
    writeFileSync(path.join(dir, 'broken.json'), '{"a": ');
    await assert.rejects(readParamsFile(path.join(dir, 'broken.json')), ParamsError);
    assert.equal(await findParamsFile(tempDir()), undefined);
  });

  it('infers override types: numbers, booleans, null, quoted strings', () => {
    assert.equal(inferValue('3'), 3);
    assert.equal(inferValue('-1.5e-3'), -0.0015);
    assert.equal(inferValue('.5'), 0.5);
    assert.equal(inferValue('true'), true);
    assert.equal(inferValue('False'), false);
    assert.equal(inferValue('null'), null);
    assert.equal(inferValue('"42"'), '42');
    assert.equal(inferValue("'true'"), 'true');
    assert.equal(inferValue('adam'), 'adam');
    assert.equal(inferValue('0x10'), '0x10');
    assert.equal(inferValue('1_000'), '1_000');
    assert.equal(inferValue('inf'), 'inf');
    assert.equal(inferValue('1e400'), '1e400');
  });

  it('applies overrides to flattened params; a parent key replaces its children', () => {
    const base = flattenParams({ train: { lr: 0.1, epochs: 3 }, model: { depth: 2, width: 8 } });
    const out = applyOverrides(base, ['train.lr=0.01', 'model=tiny', 'new.key=yes', 'expr=a=b']);
    assert.deepEqual(out, { 'train.lr': 0.01, 'train.epochs': 3, model: 'tiny', 'new.key': 'yes', expr: 'a=b' });
    assert.deepEqual(base['train.lr'], 0.1, 'input untouched');
    assert.throws(() => applyOverrides(base, ['novalue']), ParamsError);
    assert.throws(() => applyOverrides(base, ['=1']), ParamsError);
  });

  it('turns params into arguments and environment variables', () => {
    assert.deepEqual(paramArgs({ lr: 0.1, 'model.depth': 3, flag: true, name: 'a b', none: null }), [
      '--lr=0.1',
      '--model.depth=3',
      '--flag=true',
      '--name=a b',
      '--none=null',
    ]);
    assert.deepEqual(paramArgs({ lr: 0.1 }, 'hydra'), ['lr=0.1']);
    assert.equal(paramEnvName('model.depth-x'), 'MLW_PARAM_MODEL_DEPTH_X');
    const env = buildChildEnv({
      base: { PATH: '/bin', PYTHONPATH: '/old', DROP: '1' },
      extra: { DROP: undefined, ADD: 'x' },
      runId: 'r',
      runDir: '/d',
      experiment: 'e',
      name: 'n',
      params: { lr: 0.1 },
      paramsMode: 'both',
      helperDir: '/helper',
    });
    assert.equal(env.DROP, undefined);
    assert.equal(env.ADD, 'x');
    assert.equal(env.MLW_PARAM_LR, '0.1');
    assert.equal(env.MLW_PARAMS, '{"lr":0.1}');
    assert.equal(env.PYTHONPATH, `/helper${path.delimiter}/old`);
    assert.equal(env.PYTHONUNBUFFERED, '1');
    const argsOnly = buildChildEnv({
      base: {},
      runId: 'r',
      runDir: '/d',
      experiment: 'e',
      name: 'n',
      params: { lr: 0.1 },
      paramsMode: 'args',
    });
    assert.equal(argsOnly.MLW_PARAM_LR, undefined);
  });
});
