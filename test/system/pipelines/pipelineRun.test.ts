import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readPipeline } from '../../../src/core/pipelines/readPipeline';
import { pipelineStatus } from '../../../src/core/pipelines/pipelineStatus';
import { runPipeline } from '../../../src/core/pipelines/runPipeline';
import { RunStore } from '../../../src/core/runs/RunStore';
import { pipelineCommand } from '../../../src/cli/commands/pipeline';
import { silentLogger } from '../../../src/core/logger';
import { tempDir } from '../../unit/runs/runsTestSupport';

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
}

const PROJECT: Record<string, string> = {
  'params.yaml': 'prepare:\n  split: 0.25\ntrain:\n  lr: 0.1\n  epochs: 3\n',
  'data/raw.csv': 'x,y\n' + Array.from({ length: 20 }, (_, i) => `${i},${2 * i + 1}`).join('\n') + '\n',
  'prepare.py': `import os, sys, yaml
split = yaml.safe_load(open('params.yaml'))['prepare']['split']
rows = open('data/raw.csv').read().splitlines()[1:]
n = int(len(rows) * (1 - split))
os.makedirs('data/prepared', exist_ok=True)
open('data/prepared/train.csv', 'w').write('\\n'.join(rows[:n]) + '\\n')
open('data/prepared/test.csv', 'w').write('\\n'.join(rows[n:]) + '\\n')
print('prepared', n, 'rows')
`,
  'train.py': `import json, sys
lr, epochs = float(sys.argv[1]), int(sys.argv[2])
pts = [tuple(map(float, l.split(','))) for l in open('data/prepared/train.csv').read().split()]
w = b = 0.0
for _ in range(epochs * 200):
    gw = sum((w * x + b - y) * x for x, y in pts) / len(pts)
    gb = sum((w * x + b - y) for x, y in pts) / len(pts)
    w -= lr * 0.01 * gw
    b -= lr * 0.01 * gb
json.dump({'w': w, 'b': b}, open('model.json', 'w'))
print('loss=%.4f' % (sum((w * x + b - y) ** 2 for x, y in pts) / len(pts)))
`,
  'evaluate.py': `import json
m = json.load(open('model.json'))
pts = [tuple(map(float, l.split(','))) for l in open('data/prepared/test.csv').read().split()]
mse = sum((m['w'] * x + m['b'] - y) ** 2 for x, y in pts) / len(pts)
json.dump({'mse': mse}, open('metrics.json', 'w'))
`,
  'dvc.yaml': `stages:
  prepare:
    cmd: python3 prepare.py
    deps:
      - data/raw.csv
      - prepare.py
    params:
      - prepare.split
    outs:
      - data/prepared
  train:
    cmd: python3 train.py \${train.lr} \${train.epochs}
    deps:
      - data/prepared/train.csv
      - train.py
    outs:
      - model.json
  evaluate:
    cmd: python3 evaluate.py
    deps:
      - model.json
      - data/prepared
      - evaluate.py
    metrics:
      - metrics.json:
          cache: false
`,
};

const states = async (root: string): Promise<Record<string, string>> =>
  Object.fromEntries((await pipelineStatus(await readPipeline(root))).stages.map((s) => [s.name, s.state]));

describe('pipeline run without DVC (real Python stages)', () => {
  it('runs prepare -> train -> evaluate when stale, reads fresh after, and a dep edit makes that stage and downstream stale', async () => {
    const root = tempDir('mlw-pl-sys-');
    write(root, PROJECT);
    const p = await readPipeline(root);
    const st0 = await pipelineStatus(p);
    assert.deepEqual(
      st0.stages.map((s) => [s.name, s.state, s.upstream]),
      [
        ['prepare', 'stale', []],
        ['train', 'stale', ['prepare']],
        ['evaluate', 'stale', ['train', 'prepare']],
      ],
    );
    assert.deepEqual(st0.stages[1].reasons, ['not in dvc.lock', 'upstream prepare stale']);

    const store = new RunStore(root, silentLogger);
    const r = await runPipeline(p, { store, dvc: false });
    assert.equal(r.ok, true, r.error);
    assert.deepEqual(
      r.stages.map((s) => [s.stage, s.outcome]),
      [
        ['prepare', 'ran'],
        ['train', 'ran'],
        ['evaluate', 'ran'],
      ],
    );
    assert.ok(JSON.parse(readFileSync(path.join(root, 'metrics.json'), 'utf8')).mse >= 0);
    assert.deepEqual(await states(root), { prepare: 'fresh', train: 'fresh', evaluate: 'fresh' });
    // Each stage is a tracked run; printed scalars are captured.
    const runs = await store.listRuns();
    assert.equal(runs.length, 3);
    const train = runs.find((x) => x.name === 'train');
    assert.equal(train?.status, 'finished');
    assert.equal(train?.experiment, 'pipeline');
    assert.ok(train?.metrics?.loss, 'loss=... captured as a metric');
    // Nothing DVC reads was written: no dvc.lock, no .dvc cache.
    assert.equal(existsSync(path.join(root, 'dvc.lock')), false);
    assert.equal(existsSync(path.join(root, '.dvc')), false);

    // A second run has nothing to do.
    const again = await runPipeline(p, { store, dvc: false });
    assert.deepEqual(
      again.stages.map((s) => s.outcome),
      ['fresh', 'fresh', 'fresh'],
    );

    // Editing train's script: train and evaluate stale, prepare fresh.
    write(root, { 'train.py': PROJECT['train.py'] + '# tweak\n' });
    const st1 = await pipelineStatus(await readPipeline(root));
    assert.deepEqual(
      st1.stages.map((s) => [s.name, s.state, s.reasons]),
      [
        ['prepare', 'fresh', []],
        ['train', 'stale', ['dep train.py modified']],
        ['evaluate', 'stale', ['upstream train stale']],
      ],
    );
    // A param change through ${}: train's cmd and param both change.
    write(root, { 'params.yaml': PROJECT['params.yaml'].replace('lr: 0.1', 'lr: 0.2') });
    const st2 = await pipelineStatus(await readPipeline(root));
    assert.deepEqual(st2.stages[1].reasons, ['cmd changed', 'dep train.py modified', 'param train.lr changed']);

    // run STAGE runs it and its stale upstream only, and --update-lock writes dvc.lock.
    const r2 = await runPipeline(await readPipeline(root), { store, dvc: false, target: 'train', updateLock: true });
    assert.deepEqual(
      r2.stages.map((s) => [s.stage, s.outcome]),
      [
        ['prepare', 'fresh'],
        ['train', 'ran'],
      ],
    );
    const lock = readFileSync(path.join(root, 'dvc.lock'), 'utf8');
    assert.match(lock, /schema: "?'?2\.0/);
    assert.match(lock, /train:\n {4}cmd: python3 train.py 0.2 3\n/);
    assert.match(lock, /hash: md5/);
    assert.deepEqual(await states(root), { prepare: 'fresh', train: 'fresh', evaluate: 'stale' });

    // The CLI: status --json, exit 1 while something is stale.
    const out: string[] = [];
    const ctx = {
      workspace: root,
      json: true,
      out: (t: string) => out.push(t),
      err: () => {},
      logger: silentLogger,
      signal: new AbortController().signal,
    };
    assert.equal(await pipelineCommand.run(['status'], ctx), 1);
    const json = JSON.parse(out.join('\n')) as { stages: { name: string; state: string; reasons: string[] }[] };
    assert.deepEqual(json.stages.find((s) => s.name === 'evaluate')?.reasons, ['dep model.json modified']);
  });

  it('runs every foreach and matrix expansion', async () => {
    const root = tempDir('mlw-pl-sys-');
    write(root, {
      'params.yaml': 'sizes: [1, 2]\n',
      'gen.py': 'import sys\nopen(sys.argv[1] + ".txt", "w").write(sys.argv[2] * int(sys.argv[3]))\n',
      'dvc.yaml': `stages:
  gen:
    foreach: [a, b]
    do:
      cmd: python3 gen.py \${item} \${item} 3
      deps:
        - gen.py
      outs:
        - \${item}.txt
  grid:
    matrix:
      letter: [x, y]
      size: \${sizes}
    cmd: python3 gen.py \${item.letter}\${item.size} \${item.letter} \${item.size}
    outs:
      - \${item.letter}\${item.size}.txt
`,
    });
    const p = await readPipeline(root);
    const r = await runPipeline(p, { store: new RunStore(root, silentLogger), dvc: false });
    assert.equal(r.ok, true, r.error);
    assert.deepEqual(
      r.stages.map((s) => s.stage),
      ['gen@a', 'gen@b', 'grid@x-1', 'grid@x-2', 'grid@y-1', 'grid@y-2'],
    );
    assert.equal(readFileSync(path.join(root, 'b.txt'), 'utf8'), 'bbb');
    assert.equal(readFileSync(path.join(root, 'y2.txt'), 'utf8'), 'yy');
    assert.deepEqual(new Set(Object.values(await states(root))), new Set(['fresh']));
    // A group name runs its members.
    write(root, { 'gen.py': readFileSync(path.join(root, 'gen.py'), 'utf8') + '\n' });
    const r2 = await runPipeline(await readPipeline(root), { store: new RunStore(root, silentLogger), dvc: false, target: 'gen' });
    assert.deepEqual(
      r2.stages.map((s) => [s.stage, s.outcome]),
      [
        ['gen@a', 'ran'],
        ['gen@b', 'ran'],
      ],
    );
  });

  it('stops at a failing stage with its one-line error, keeps the failed run, and runs nothing downstream', async () => {
    const root = tempDir('mlw-pl-sys-');
    write(root, {
      ...PROJECT,
      'train.py': 'print("starting")\nraise ValueError("labels column missing from data/prepared/train.csv")\n',
    });
    const store = new RunStore(root, silentLogger);
    const r = await runPipeline(await readPipeline(root), { store, dvc: false });
    assert.equal(r.ok, false);
    assert.deepEqual(
      r.stages.map((s) => [s.stage, s.outcome]),
      [
        ['prepare', 'ran'],
        ['train', 'failed'],
      ],
    );
    const failed = r.stages[1];
    assert.match(
      r.error ?? '',
      /^stage train failed \(exit code 1\): ValueError: labels column missing from data\/prepared\/train.csv \[run [^\]]+\]$/,
    );
    assert.equal(r.error?.includes('\n'), false);
    const run = (await store.listRuns()).find((x) => x.id === failed.runId);
    assert.equal(run?.status, 'failed');
    assert.match(readFileSync(path.join(store.dir, failed.runId as string, 'stdout.log'), 'utf8'), /starting/);
    assert.deepEqual(await states(root), { prepare: 'fresh', train: 'stale', evaluate: 'stale' });
  });
  it('passes a param override to the stages that list it, as an argument, without touching params.yaml', async () => {
    const root = tempDir('mlw-pipe-override-');
    write(root, {
      'params.yaml': 'recent_data: ""\nlr: 0.1\n',
      'dvc.yaml': `stages:
  train:
    cmd: sh -c 'printf "%s\\n" "$@" > args.txt' train
    params:
      - lr
      - recent_data
    outs:
      - args.txt
  report:
    cmd: cp args.txt report.txt
    deps:
      - args.txt
    params:
      - lr
    outs:
      - report.txt
`,
    });
    const params = readFileSync(path.join(root, 'params.yaml'));
    const store = new RunStore(root, silentLogger);
    await runPipeline(await readPipeline(root), { store, dvc: false });
    assert.equal(readFileSync(path.join(root, 'args.txt'), 'utf8'), '\n', 'no override: no argument');

    const value = "data/it's here";
    const r = await runPipeline(await readPipeline(root), { store, params: { recent_data: value } });
    assert.deepEqual(
      r.stages.map((s) => [s.stage, s.outcome]),
      [
        ['train', 'ran'],
        ['report', 'ran'],
      ],
    );
    assert.equal(r.via, 'mlw', "ML Workbench's runner, even where dvc is installed");
    // The value reaches the command as one argument, quoted for the shell.
    assert.equal(readFileSync(path.join(root, 'args.txt'), 'utf8'), `--recent_data=${value}\n`);
    assert.deepEqual(readFileSync(path.join(root, 'params.yaml')), params);
    const run = (await store.readRun(r.stages[0].runId!))!;
    assert.deepEqual(run.params, { recent_data: value });
    const report = (await store.readRun(r.stages[1].runId!))!;
    assert.deepEqual(report.params, {}, 'report does not list recent_data');
    const p = await readPipeline(root);
    // Fresh as it ran with the override; against params.yaml, train is stale (and report downstream).
    assert.deepEqual(
      (await pipelineStatus(p, { params: { recent_data: value } })).stages.map((s) => s.state),
      ['fresh', 'fresh'],
    );
    const plain = await pipelineStatus(p);
    assert.deepEqual(plain.stages[0].reasons, ['param recent_data changed']);
    assert.equal(plain.stages[1].state, 'stale');

    write(root, {
      'dvc.yaml': readFileSync(path.join(root, 'dvc.yaml'), 'utf8').replace(/cmd: sh -c .*\n/, "cmd:\n      - 'true'\n      - 'true'\n"),
    });
    await assert.rejects(runPipeline(await readPipeline(root), { store, params: { recent_data: value } }), {
      message: 'stage train runs several commands: ML Workbench cannot tell which takes --recent_data; make its cmd one command',
    });
  });
});
