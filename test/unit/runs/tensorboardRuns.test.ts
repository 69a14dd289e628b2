/** TensorBoard logs among the workspace's runs: listing, reading, and `mlw runs --json`. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { mkdirSync, utimesSync } from 'node:fs';
import { silentLogger } from '../../../src/core/logger';
import type { CliContext } from '../../../src/cli/cliCommand';
import { runsCommand } from '../../../src/cli/commands/runs';
import { findRun, listWorkspaceRuns, readRunMetrics } from '../../../src/core/runs/listWorkspaceRuns';
import { RunStore } from '../../../src/core/runs/RunStore';
import type { Run } from '../../../src/core/runs/runTypes';
import { tensorboardRunId } from '../../../src/core/runs/tensorboard/tensorboardRuns';
import { needs } from '../../support/requires';
import { HOW_TO_GET_PROTOBUF, hasPythonProtobuf, writeTfevents } from '../../system/runs/writeTfevents';
import { tempDir } from './runsTestSupport';

const T0 = 1_700_000_000;

function context(workspace: string) {
  const out: string[] = [];
  const ctx: CliContext = {
    workspace,
    json: true,
    out: (t) => void out.push(t),
    err: () => undefined,
    logger: silentLogger,
    signal: new AbortController().signal,
  };
  return { ctx, out };
}

/** A workspace with one ML Workbench run and a PyTorch-style TensorBoard log under runs/exp1/. */
async function workspace(): Promise<{ ws: string; local: Run; tbDir: string }> {
  const ws = tempDir();
  const local = await new RunStore(ws).createRun({ name: 'local-run', experiment: 'e1', status: 'finished', startTime: T0 * 1000 });
  const tbDir = path.join(ws, 'runs', 'exp1');
  mkdirSync(tbDir, { recursive: true });
  const file = path.join(tbDir, `events.out.tfevents.${T0}.host.1.0`);
  writeTfevents(file, [
    { wall_time: T0 + 100, file_version: 'brain.Event:2' },
    { wall_time: T0 + 101, step: 0, scalars: [{ tag: 'Loss/train', value: 2 }] },
    { wall_time: T0 + 102, step: 1, scalars: [{ tag: 'Loss/train', value: 0.5 }] },
    {
      wall_time: T0 + 103,
      step: 2,
      scalars: [
        { tag: 'Loss/train', value: 0.25 },
        { tag: 'Accuracy/test', value: 0.75, tensor: 'float', metadata: true },
      ],
    },
  ]);
  const old = new Date((T0 + 200) * 1000); // written long ago: finished, not running
  utimesSync(file, old, old);
  return { ws, local, tbDir };
}

const hasProtobuf = hasPythonProtobuf();

describe('TensorBoard runs in the workspace', () => {
  it('lists the log folder as a run with source tensorboard beside a local run, with a stable id and its metrics', async (t) => {
    if (!needs(t, 'python3-protobuf', hasProtobuf, HOW_TO_GET_PROTOBUF)) return;
    const { ws, local } = await workspace();
    const runs = await listWorkspaceRuns(ws);
    assert.deepEqual(
      runs.map((r) => [r.source, r.name]),
      [
        ['mlw', 'local-run'],
        ['tensorboard', 'exp1'],
      ],
    );
    assert.equal(runs[0].id, local.id);
    const tb = runs[1];
    assert.equal(tb.id, tensorboardRunId('runs/exp1'));
    assert.match(tb.id, /^tb-runs-exp1-[0-9a-f]{8}$/);
    assert.equal((await listWorkspaceRuns(ws))[1].id, tb.id, 'the same id on every listing');
    assert.equal(tb.experiment, 'runs');
    assert.equal(tb.status, 'finished');
    assert.equal(tb.startTime, (T0 + 100) * 1000);
    assert.equal(tb.endTime, (T0 + 200) * 1000);
    assert.deepEqual(tb.metrics, {
      'Loss/train': { last: 0.25, step: 2, min: 0.25, max: 2, count: 3 },
      'Accuracy/test': { last: 0.75, step: 2, min: 0.75, max: 0.75, count: 1 },
    });
    assert.equal((await findRun(ws, tb.id.slice(-8))).id, tb.id, 'found by its id suffix');
    const series = await readRunMetrics(ws, tb);
    assert.deepEqual([...(series.get('Loss/train')?.values ?? [])], [2, 0.5, 0.25]);
    assert.deepEqual(
      [...(series.get('Loss/train')?.timestamps ?? [])],
      [101, 102, 103].map((d) => (T0 + d) * 1000),
    );
  });

  it('`mlw runs --json` lists it with id, name, status, source and the last value of each metric; `runs show` gives its series', async (t) => {
    if (!needs(t, 'python3-protobuf', hasProtobuf, HOW_TO_GET_PROTOBUF)) return;
    const { ws } = await workspace();
    const listed = context(ws);
    assert.equal(await runsCommand.run([], listed.ctx), 0);
    const runs = JSON.parse(listed.out.join('\n')) as Run[];
    const tb = runs.find((r) => r.source === 'tensorboard');
    assert.ok(tb, JSON.stringify(runs.map((r) => r.source)));
    assert.equal(tb.id, tensorboardRunId('runs/exp1'));
    assert.equal(tb.name, 'exp1');
    assert.equal(tb.status, 'finished');
    assert.equal(tb.metrics?.['Loss/train'].last, 0.25);
    assert.equal(tb.metrics?.['Accuracy/test'].last, 0.75);
    assert.ok(runs.some((r) => r.source === 'mlw' && r.name === 'local-run'));

    const shown = context(ws);
    assert.equal(await runsCommand.run(['show', tb.id], shown.ctx), 0);
    const { run, metrics } = JSON.parse(shown.out.join('\n')) as { run: Run; metrics: Record<string, { last: number; count: number }> };
    assert.equal(run.id, tb.id);
    assert.equal(metrics['Loss/train'].last, 0.25);
    assert.equal(metrics['Loss/train'].count, 3);
  });

  it('also finds logs inside a run folder (.mlw/runs/<id>/), and none in node_modules', async (t) => {
    if (!needs(t, 'python3-protobuf', hasProtobuf, HOW_TO_GET_PROTOBUF)) return;
    const { ws, local } = await workspace();
    const inRun = path.join(new RunStore(ws).runDir(local.id), 'tb');
    const vendored = path.join(ws, 'node_modules', 'pkg', 'logs');
    for (const dir of [inRun, vendored]) {
      mkdirSync(dir, { recursive: true });
      writeTfevents(path.join(dir, `events.out.tfevents.${T0}.h.2.0`), [
        { wall_time: T0 + 300, step: 0, scalars: [{ tag: 'x', value: 1 }] },
      ]);
    }
    const tb = (await listWorkspaceRuns(ws)).filter((r) => r.source === 'tensorboard');
    assert.deepEqual(tb.map((r) => r.tags['tensorboard.dir']).sort(), [`.mlw/runs/${local.id}/tb`, 'runs/exp1']);
  });
});
