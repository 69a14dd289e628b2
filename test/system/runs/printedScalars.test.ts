/**
 * Printed scalars from a real /usr/bin/python3 training script that knows nothing of ML Workbench
 * (test/fixtures/python/train_printed.py): the launcher records its `name=value` / `name: value`
 * prints as metric series, and its progress bar, Namespace, version, timestamp and error lines add nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { needs, SYSTEM_PYTHON } from '../../support/requires';
import { launchRun, type LaunchOptions } from '../../../src/core/runs/launchRun';
import { RunStore } from '../../../src/core/runs/RunStore';
import { readMetrics } from '../../../src/core/runs/readMetrics';
import { REPO_ROOT, tempDir } from '../../unit/runs/runsTestSupport';

const SCRIPT = path.join(REPO_ROOT, 'test', 'fixtures', 'python', 'train_printed.py');

async function launch(extra: Partial<LaunchOptions> = {}) {
  const ws = tempDir('mlw-scalars-');
  copyFileSync(SCRIPT, path.join(ws, 'train_printed.py'));
  const store = new RunStore(ws);
  const handle = await launchRun({
    store,
    script: 'train_printed.py',
    interpreter: SYSTEM_PYTHON,
    params: { epochs: 4, lr: 0.2 },
    env: { PYTHONDONTWRITEBYTECODE: '1' },
    git: false,
    scanArtifacts: false,
    // The metric sets asserted are the script's: no system/* samples, however long a loaded machine takes.
    systemMetricsInterval: 0,
    ...extra,
  });
  const run = await handle.done;
  assert.equal(run.status, 'finished', run.outputTail ?? run.error);
  return { run, dir: handle.dir, metrics: await readMetrics(handle.dir) };
}

const series = (m: Awaited<ReturnType<typeof readMetrics>>, name: string) => {
  const s = m.series.get(name);
  return { steps: Array.from(s?.steps ?? []), values: Array.from(s?.values ?? []) };
};

describe('printed scalars from a real Python training script', () => {
  it('records epoch-stepped loss and acc, stderr logging, a final dict; the progress bar adds nothing', async (t) => {
    if (!needs(t, 'python3', existsSync(SYSTEM_PYTHON), 'apt-get install python3')) return;
    const { run, dir, metrics } = await launch();
    const output = readFileSync(path.join(dir, 'stdout.log'), 'utf8');
    assert.match(output, /\rEpoch 3: 100%\|##########\| 8\/8 \[00:08<00:00, 42.00it\/s, loss=9.900\]/, 'the bar was really printed');
    assert.match(output, /Namespace\(epochs=4, lr=0.2, batches=8\)/);

    assert.deepEqual([...metrics.series.keys()].sort(), ['acc', 'grad_norm', 'loss', 'test_acc', 'test_loss']);
    assert.deepEqual(series(metrics, 'loss'), { steps: [0, 1, 2, 3], values: [0.8, 0.4, 0.2667, 0.2] });
    assert.deepEqual(series(metrics, 'acc'), { steps: [0, 1, 2, 3], values: [0.5, 0.6, 0.7, 0.8] });
    assert.deepEqual(series(metrics, 'grad_norm'), { steps: [0, 1, 2, 3], values: [2.5, 1.5, 0.5, -0.5] }, 'INFO lines on stderr count');
    assert.deepEqual(series(metrics, 'test_loss'), { steps: [0], values: [0.125] }, 'a point without a step takes step 0');
    assert.deepEqual(series(metrics, 'test_acc'), { steps: [0], values: [0.9] });
    assert.equal(metrics.skippedLines, 0);
    assert.equal(run.metrics?.loss.last, 0.2);
    assert.equal(run.metrics?.loss.step, 3);
  });

  it('capture off records nothing; a custom pattern replaces the rules', async (t) => {
    if (!needs(t, 'python3', existsSync(SYSTEM_PYTHON), 'apt-get install python3')) return;
    const off = await launch({ scalars: { capture: false } });
    assert.equal(off.metrics.series.size, 0);
    assert.deepEqual(off.run.metrics ?? {}, {});

    const custom = await launch({ scalars: { pattern: String.raw`^epoch (?<step>\d+) (?<name>loss): (?<value>\S+)` } });
    assert.deepEqual([...custom.metrics.series.keys()], ['loss']);
    assert.deepEqual(series(custom.metrics, 'loss').steps, [0, 1, 2, 3]);
  });
});
