import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { parsePipeline } from '../../../src/core/pipelines/readPipeline';
import { stageEdges } from '../../../src/core/pipelines/stageEdges';
import { toPipelineView, viewState } from '../../../src/core/pipelines/pipelineView';
import { affectsStatus } from '../../../src/core/pipelines/affectsStatus';
import { flattenMetrics, producingStage, stageRun } from '../../../src/core/pipelines/pipelineMetrics';
import type { PipelineStatus } from '../../../src/core/pipelines/pipelineStatus';
import type { Run } from '../../../src/core/runs/runTypes';
import { parsePipelineMessage } from '../../../src/shared/pipelineProtocol';
import { downstreamOf, drawPipeline, edgeSvgPath } from '../../../webview-ui/lib/pipelineGraph';
import { moveInGraph } from '../../../webview-ui/lib/graphNavigation';
import { stageLine } from '../../../webview-ui/lib/stageLine';

const ROOT = path.resolve('/tmp/mlw-pl-view');

const YAML = `stages:
  prepare:
    cmd: python prepare.py
    deps: [raw.csv, prepare.py]
    outs: [data/prepared]
  train:
    foreach: [cnn, mlp]
    do:
      cmd: python train.py \${item}
      deps: [data/prepared/train.csv, train.py]
      outs:
        - models/\${item}.pt
  evaluate:
    cmd: python evaluate.py
    deps: [models, data/prepared]
    metrics: [metrics.json]
`;

describe('pipeline view model', () => {
  it('edges carry the files between stages, from an out folder to a dep inside it and from outs inside a dep folder', async () => {
    const p = await parsePipeline(YAML, ROOT);
    assert.deepEqual(stageEdges(p), [
      { from: 'prepare', to: 'train@cnn', paths: ['data/prepared/train.csv'] },
      { from: 'prepare', to: 'train@mlp', paths: ['data/prepared/train.csv'] },
      { from: 'train@cnn', to: 'evaluate', paths: ['models/cnn.pt'] },
      { from: 'train@mlp', to: 'evaluate', paths: ['models/mlp.pt'] },
      { from: 'prepare', to: 'evaluate', paths: ['data/prepared'] },
    ]);
  });

  it('the view: never run when no lock records a stale stage, reasons kept, activity and runs from the view', async () => {
    const p = await parsePipeline(YAML, ROOT);
    const st = (name: string, state: 'fresh' | 'stale', lockedBy: 'dvc.lock' | 'mlw' | null, reasons: string[] = []) => ({
      name,
      state,
      reasons,
      upstream: [],
      cmd: p.stages.find((s) => s.name === name)!.cmd,
      lockedBy,
      ...(name.startsWith('train@') ? { group: 'train' } : {}),
    });
    const status: PipelineStatus = {
      root: ROOT,
      stages: [
        st('prepare', 'fresh', 'mlw'),
        st('train@cnn', 'stale', 'dvc.lock', ['param lr changed']),
        st('train@mlp', 'stale', null, ['not in dvc.lock']),
        st('evaluate', 'stale', 'mlw', ['upstream train@cnn stale']),
      ],
      durationMs: 12.4,
      filesHashed: 0,
    };
    assert.equal(viewState(status.stages[2]), 'never');
    const v = toPipelineView(p, status, {
      folder: 'proj',
      runner: 'mlw',
      trusted: true,
      run: {
        target: 'train',
        current: 'train@cnn',
        activity: new Map([['train@cnn', 'running' as const]]),
        runIds: new Map([['train@cnn', 'r1']]),
        running: true,
      },
    });
    assert.deepEqual(
      v.stages.map((s) => [s.name, s.state, s.group, s.activity, s.runId]),
      [
        ['prepare', 'fresh', undefined, undefined, undefined],
        ['train@cnn', 'stale', 'train', 'running', 'r1'],
        ['train@mlp', 'never', 'train', undefined, undefined],
        ['evaluate', 'stale', undefined, undefined, undefined],
      ],
    );
    assert.deepEqual(v.stages[1].reasons, ['param lr changed']);
    assert.equal(v.stages[1].cmd, 'python train.py cnn');
    assert.deepEqual(v.stages[3].outs, [{ path: 'metrics.json', kind: 'metric' }]);
    assert.deepEqual(v.running, { target: 'train', current: 'train@cnn' });
    assert.equal(v.statusMs, 12);
    assert.equal(v.edges.length, 5);
  });

  it('draws the stages in layers, each below what it depends on, a frame around the foreach group, and arrow keys follow edges', async () => {
    const p = await parsePipeline(YAML, ROOT);
    const names = p.stages.map((s) => ({ name: s.name, ...(s.group ? { group: s.group } : {}) }));
    const d = drawPipeline(names, stageEdges(p));
    const box = (n: string) => d.boxes.find((b) => b.name === n)!;
    assert.ok(box('prepare').y + box('prepare').h < box('train@cnn').y, 'train below prepare');
    assert.equal(box('train@cnn').y, box('train@mlp').y, 'the two expansions side by side');
    assert.ok(box('train@cnn').y + box('train@cnn').h < box('evaluate').y, 'evaluate below train');
    for (const b of d.boxes) assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.w <= d.width && b.y + b.h <= d.height, `${b.name} inside`);
    assert.deepEqual(
      d.groups.map((g) => [g.group, g.members]),
      [['train', ['train@cnn', 'train@mlp']]],
    );
    const [g] = d.groups;
    for (const n of g.members) {
      const b = box(n);
      assert.ok(b.x > g.x && b.y > g.y && b.x + b.w < g.x + g.w && b.y + b.h < g.y + g.h, `${n} inside its frame`);
    }
    for (const e of d.edges) {
      assert.equal(e.points[0].y, box(e.from).y + box(e.from).h, 'from the bottom of the source');
      assert.equal(e.points[e.points.length - 1].y, box(e.to).y, 'to the top of the target');
    }
    assert.match(edgeSvgPath(d.edges[0].points), /^M[\d.]+,[\d.]+( C[\d.]+,[\d.]+ [\d.]+,[\d.]+ [\d.]+,[\d.]+)+$/);
    // Keyboard: down from prepare reaches a train stage, down again evaluate, up returns to a train stage.
    const idx = (n: string) => names.findIndex((s) => s.name === n);
    const down = moveInGraph(d.layout, d, idx('prepare'), 'down');
    assert.match(names[down].name, /^train@/);
    assert.equal(names[moveInGraph(d.layout, d, down, 'down')].name, 'evaluate');
    const side = moveInGraph(d.layout, d, idx('train@cnn'), 'right');
    assert.equal(names[side].name, 'train@mlp');
    assert.deepEqual(downstreamOf('prepare', stageEdges(p)).sort(), ['evaluate', 'train@cnn', 'train@mlp']);
  });

  it('a stage line says what a user needs first', () => {
    assert.equal(stageLine({ state: 'stale', reasons: ['param epochs changed', 'upstream x stale'] }), 'stale: param epochs changed');
    assert.equal(stageLine({ state: 'never', reasons: ['not in dvc.lock'] }), 'never run');
    assert.equal(stageLine({ state: 'fresh', reasons: [] }), 'fresh');
    assert.equal(stageLine({ state: 'stale', reasons: [], activity: 'running' }), 'running…');
    assert.equal(stageLine({ state: 'stale', reasons: [], activity: 'failed' }), 'failed');
  });

  it('validates what the webview sends', () => {
    assert.deepEqual(parsePipelineMessage({ type: 'run' }), { type: 'run' });
    assert.deepEqual(parsePipelineMessage({ type: 'run', stage: 'train@cnn-f1' }), { type: 'run', stage: 'train@cnn-f1' });
    assert.equal(parsePipelineMessage({ type: 'run', stage: 'a b' }), undefined);
    assert.equal(parsePipelineMessage({ type: 'run', stage: 3 }), undefined);
    assert.equal(parsePipelineMessage({ type: 'run', stage: 'x'.repeat(201) }), undefined);
    assert.deepEqual(parsePipelineMessage({ type: 'openFile', path: 'data/split.npz' }), { type: 'openFile', path: 'data/split.npz' });
    for (const bad of ['/etc/passwd', '../x', 'a/../../b', 'C:\\x', 'a\\..\\b', ''])
      assert.equal(parsePipelineMessage({ type: 'openFile', path: bad }), undefined, bad);
    assert.deepEqual(parsePipelineMessage({ type: 'openRun', runId: '20261204-abc' }), { type: 'openRun', runId: '20261204-abc' });
    assert.equal(parsePipelineMessage({ type: 'openRun', runId: '../x' }), undefined);
    assert.deepEqual(parsePipelineMessage({ type: 'cancel', extra: 1 }), { type: 'cancel' });
    for (const bad of [null, [], 'run', { type: 'eval' }, { type: 'openFile' }]) assert.equal(parsePipelineMessage(bad), undefined);
  });

  it('refreshes on files that can change the status, not on its own caches and runs', () => {
    for (const p of ['dvc.yaml', 'dvc.lock', 'params.yaml', 'data/split.npz', '.mlw/pipelines/lock.json']) assert.ok(affectsStatus(p), p);
    for (const p of ['.mlw/cache/dvc-md5.json', '.mlw/runs/x/metrics.jsonl', '.git/index', 'src/__pycache__/a.pyc', 'node_modules/x'])
      assert.ok(!affectsStatus(p), p);
  });
});

describe('pipeline metrics for a registered version', () => {
  it('flattens a metrics file as dvc metrics show does: nested keys dotted, numbers and booleans only', () => {
    assert.deepEqual(flattenMetrics({ accuracy: 0.9, cls: { a: { f1: 0.5 } }, ok: true, name: 'x', list: [1, 2], nan: Number.NaN }), {
      accuracy: 0.9,
      'cls.a.f1': 0.5,
      ok: 1,
    });
    assert.deepEqual(flattenMetrics(3), {}, 'a bare number has no name');
  });

  it('finds the stage whose out is the file, and the latest finished run of that stage', async () => {
    const p = await parsePipeline(YAML, ROOT);
    assert.equal(producingStage(p, path.join(ROOT, 'models/cnn.pt'))?.name, 'train@cnn');
    assert.equal(producingStage(p, path.join(ROOT, 'data/prepared/test.csv'))?.name, 'prepare', 'a file inside an out folder');
    assert.equal(producingStage(p, path.join(ROOT, 'metrics.json'))?.name, 'evaluate');
    assert.equal(producingStage(p, path.join(ROOT, 'train.py')), undefined);
    const run = (id: string, stage: string | undefined, startTime: number, status = 'finished') =>
      ({ id, status, startTime, tags: stage ? { 'mlw.pipeline.stage': stage } : {} }) as unknown as Run;
    const runs = [run('a', 'export', 1), run('b', 'export', 3), run('c', 'export', 5, 'failed'), run('d', 'train', 9)];
    assert.equal(stageRun(runs, 'export')?.id, 'b');
    assert.equal(stageRun(runs, 'evaluate'), undefined);
    const dvc = { ...run('e', undefined, 2), tags: { 'mlw.pipeline': 'dvc repro' } } as Run;
    assert.equal(stageRun([dvc], 'export')?.id, 'e', 'dvc repro ran every stage in one run');
  });
});
