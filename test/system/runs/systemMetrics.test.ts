/**
 * System metrics of launched runs, measured for real: a /usr/bin/python3 script whose child process
 * (multiprocessing, as a DataLoader worker) burns a core and holds ~200 MB while the main process waits.
 * GPUs cannot exist here: `test/fixtures/fake-nvidia-smi/nvidia-smi` stands in for a machine with two, and
 * `test/fixtures/fake-nvidia-smi-failing/nvidia-smi` for one whose driver is broken.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { copyFileSync, existsSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { needs, SYSTEM_PYTHON } from '../../support/requires';
import { launchRun, type LaunchOptions } from '../../../src/core/runs/launchRun';
import { RunStore } from '../../../src/core/runs/RunStore';
import { readMetrics } from '../../../src/core/runs/readMetrics';
import type { Logger } from '../../../src/core/logger';
import type { Run } from '../../../src/core/runs/runTypes';
import { REPO_ROOT, tempDir } from '../../unit/runs/runsTestSupport';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
const MLW = path.join(REPO_ROOT, 'dist', 'mlw.js');
const SCRIPT = path.join(FIXTURES, 'python', 'burn_and_allocate.py');
const SLEEP_2S = [SYSTEM_PYTHON, '-c', 'import time; time.sleep(2)'];

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const drop = () => undefined;
  return { warnings, trace: drop, debug: drop, info: drop, error: drop, warn: (m: string) => void warnings.push(m) };
}

async function launch(extra: Partial<LaunchOptions>, logger = recordingLogger()) {
  const ws = tempDir('mlw-sysmetrics-');
  copyFileSync(SCRIPT, path.join(ws, 'burn_and_allocate.py'));
  const handle = await launchRun(
    { store: new RunStore(ws), interpreter: SYSTEM_PYTHON, git: false, scanArtifacts: false, ...extra },
    logger,
  );
  const run = await handle.done;
  assert.equal(run.status, 'finished', run.outputTail ?? run.error);
  const metrics = await readMetrics(handle.dir);
  const series = (name: string) => {
    const s = metrics.series.get(name);
    return { steps: Array.from(s?.steps ?? []), values: Array.from(s?.values ?? []), times: Array.from(s?.timestamps ?? []) };
  };
  return { run, dir: handle.dir, metrics, series, logger };
}

const systemNames = (m: { series: Map<string, unknown> }) => [...m.series.keys()].filter((k) => k.startsWith('system/')).sort();
const PATH_WITH = (dir: string) => ({ PATH: `${path.join(FIXTURES, dir)}${path.delimiter}${process.env.PATH ?? ''}` });

describe('system metrics of a launched run', () => {
  it('measures the whole process tree: a child burning a core and holding 200 MB is counted', async (t) => {
    if (!needs(t, 'python3', existsSync(SYSTEM_PYTHON), 'apt-get install python3')) return;
    const { run, dir, series, metrics } = await launch({ script: 'burn_and_allocate.py', systemMetricsInterval: 0.5 });

    const cpu = series('system/process_cpu_percent');
    const rss = series('system/process_rss_megabytes');
    assert.ok(cpu.values.length >= 3, `a sample every 0.5 s of a ~3 s run: ${cpu.values.length}`);
    assert.ok(Math.max(...cpu.values) > 50, `the worker kept a core busy: ${cpu.values.join(', ')}`);
    assert.ok(Math.max(...rss.values) > 150, `the worker's 200 MB counted: ${rss.values.join(', ')} MB`);
    for (const name of [
      'system/cpu_utilization_percentage',
      'system/system_memory_usage_megabytes',
      'system/system_memory_usage_percentage',
    ]) {
      const s = series(name);
      assert.ok(s.values.length >= 3, `${name} sampled`);
      assert.ok(
        s.values.every((v) => v >= 0),
        name,
      );
    }
    assert.ok(series('system/cpu_utilization_percentage').values.every((v) => v <= 100));
    assert.ok(
      series('system/system_memory_usage_megabytes').values.every((v) => v > 150),
      'the machine uses at least what the run holds',
    );

    // A step counter of their own (0, 1, 2, ...), wall-clock times increasing, all inside the run.
    assert.deepEqual(
      cpu.steps,
      cpu.steps.map((_, i) => i),
    );
    for (let i = 1; i < cpu.times.length; i++) assert.ok(cpu.times[i] > cpu.times[i - 1], `times increase: ${cpu.times.join(', ')}`);
    for (const name of systemNames(metrics))
      for (const time of series(name).times) {
        assert.ok(time >= (run.startTime ?? 0), `${name} at ${time} is after the start`);
        assert.ok(time <= (run.endTime ?? 0), `${name} at ${time} is not after the run's end ${run.endTime}`);
      }
    assert.ok(run.metrics?.['system/process_rss_megabytes'], 'the summary in run.json lists them');
    assert.equal(systemNames(metrics).filter((n) => n.includes('gpu')).length, 0, 'no nvidia-smi on PATH: no GPU metrics');

    // Nothing is written once the run has ended: no timer is left.
    const size = statSync(path.join(dir, 'metrics.jsonl')).size;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(statSync(path.join(dir, 'metrics.jsonl')).size, size);
  });

  it('records none with interval 0', async (t) => {
    if (!needs(t, 'python3', existsSync(SYSTEM_PYTHON), 'apt-get install python3')) return;
    const { metrics } = await launch({ command: SLEEP_2S, systemMetricsInterval: 0, env: PATH_WITH('fake-nvidia-smi') });
    assert.deepEqual(systemNames(metrics), []);
  });

  it('records each GPU nvidia-smi reports (a fake nvidia-smi on PATH stands in for two GPUs)', async (t) => {
    if (!needs(t, 'python3', existsSync(SYSTEM_PYTHON), 'apt-get install python3')) return;
    const { series, metrics, logger } = await launch({ command: SLEEP_2S, systemMetricsInterval: 0.5, env: PATH_WITH('fake-nvidia-smi') });
    const gpu = systemNames(metrics).filter((n) => n.includes('gpu'));
    assert.deepEqual(gpu, [
      'system/gpu_0_memory_usage_megabytes',
      'system/gpu_0_memory_usage_percentage',
      'system/gpu_0_utilization_percentage',
      'system/gpu_1_memory_usage_megabytes',
      'system/gpu_1_memory_usage_percentage',
      'system/gpu_1_utilization_percentage',
    ]);
    const util0 = series('system/gpu_0_utilization_percentage');
    assert.ok(util0.values.length >= 2);
    assert.ok(util0.values.every((v) => v === 87));
    assert.ok(series('system/gpu_1_utilization_percentage').values.every((v) => v === 3));
    // nvidia-smi counts MiB; the metrics are in MB (10^6 bytes), as MLflow's.
    assert.ok(
      series('system/gpu_0_memory_usage_megabytes').values.every((v) => v === 10737.4),
      'GPU 0: 10240 MiB',
    );
    assert.ok(
      series('system/gpu_1_memory_usage_megabytes').values.every((v) => v === 536.9),
      'GPU 1: 512 MiB',
    );
    assert.ok(series('system/gpu_0_memory_usage_percentage').values.every((v) => v === 25));
    assert.deepEqual(util0.steps, series('system/process_rss_megabytes').steps, 'GPU and process samples share their steps');
    assert.deepEqual(logger.warnings, []);
  });

  it('goes on without GPU metrics when nvidia-smi fails, saying so once', async (t) => {
    if (!needs(t, 'python3', existsSync(SYSTEM_PYTHON), 'apt-get install python3')) return;
    const { series, metrics, logger } = await launch({
      command: SLEEP_2S,
      systemMetricsInterval: 0.4,
      env: PATH_WITH('fake-nvidia-smi-failing'),
    });
    assert.deepEqual(
      systemNames(metrics).filter((n) => n.includes('gpu')),
      [],
    );
    assert.ok(series('system/process_rss_megabytes').values.length >= 2, 'the other system metrics go on');
    const gpuWarnings = logger.warnings.filter((w) => w.includes('nvidia-smi'));
    assert.equal(gpuWarnings.length, 1, gpuWarnings.join('\n'));
    assert.match(gpuWarnings[0], /couldn't communicate with the NVIDIA driver.*GPU metrics are not recorded for this run/);
  });

  it('mlw run --system-metrics-interval S samples at that interval; a bad value is a usage error; run and sweep list the flag', async (t) => {
    if (!needs(t, 'python3', existsSync(SYSTEM_PYTHON), 'apt-get install python3')) return;
    if (!needs(t, 'dist/mlw.js', existsSync(MLW), 'npm run build')) return;
    const ws = tempDir('mlw-sysmetrics-cli-');
    copyFileSync(SCRIPT, path.join(ws, 'burn_and_allocate.py'));
    const mlw = (args: string[]) => spawnSync(process.execPath, [MLW, '--workspace', ws, ...args], { encoding: 'utf8', timeout: 60_000 });
    const r = mlw(['run', 'burn_and_allocate.py', '--python', SYSTEM_PYTHON, '--no-git', '--system-metrics-interval', '0.5', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const run = JSON.parse(r.stdout) as Run;
    assert.ok((run.metrics?.['system/process_rss_megabytes']?.max ?? 0) > 150, JSON.stringify(run.metrics));
    assert.ok((run.metrics?.['system/process_cpu_percent']?.count ?? 0) >= 3);

    const off = mlw(['run', 'burn_and_allocate.py', '--python', SYSTEM_PYTHON, '--no-git', '--system-metrics-interval', '0', '--json']);
    assert.deepEqual(
      Object.keys((JSON.parse(off.stdout) as Run).metrics ?? {}).filter((k) => k.startsWith('system/')),
      [],
    );

    const bad = mlw(['run', 'burn_and_allocate.py', '--system-metrics-interval', '5s']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--system-metrics-interval must be a number of seconds \(0 = off\), not 5s/);
    for (const command of ['run', 'sweep']) assert.match(mlw([command, '--help']).stdout, /--system-metrics-interval S/);
  });
});
