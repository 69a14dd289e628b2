/**
 * TensorBoard event files written by python3-protobuf from TensorBoard's published field numbers
 * (test/fixtures/python/write_tfevents.py), read by the run store's TensorBoard reader.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Logger } from '../../../src/core/logger';
import { silentLogger } from '../../../src/core/logger';
import type { MetricSeries } from '../../../src/core/runs/readMetrics';
import { TensorboardCache, statEventFile } from '../../../src/core/runs/tensorboard/TensorboardCache';
import { needs } from '../../support/requires';
import { tempDir } from '../../unit/runs/runsTestSupport';
import { HOW_TO_GET_PROTOBUF, hasPythonProtobuf, writeTfevents, type TfEvent } from './writeTfevents';

const T0 = 1_700_000_000;
const f32 = Math.fround;

function warnings(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: { ...silentLogger, warn: (m: string) => void lines.push(m) }, lines };
}

async function read(cache: TensorboardCache, file: string, logger: Logger = silentLogger): Promise<Map<string, MetricSeries>> {
  const stat = await statEventFile(file);
  assert.ok(stat, `${file} exists`);
  return cache.refresh(stat, logger);
}

const plain = (s: MetricSeries | undefined) => ({
  steps: [...(s?.steps ?? [])],
  values: [...(s?.values ?? [])],
  times: [...(s?.timestamps ?? [])],
});

function eventFile(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return path.join(dir, `events.out.tfevents.${T0}.testhost.4242.0`);
}

/** A TF1 / PyTorch SummaryWriter style log: simple_value scalars, two tags per event. */
function tf1Events(steps: number): TfEvent[] {
  const events: TfEvent[] = [{ wall_time: T0, file_version: 'brain.Event:2' }];
  for (let s = 0; s < steps; s++)
    events.push({
      wall_time: T0 + 1 + s * 0.5,
      step: s * 10,
      scalars: [
        { tag: 'train/loss', value: 1 / (s + 1) },
        { tag: 'train/acc', value: s / steps },
      ],
    });
  return events;
}

const hasProtobuf = hasPythonProtobuf();

describe('TensorBoard event files (python3-protobuf)', () => {
  it('reads TF1 simple_value scalars with their steps, values and wall times', async (t) => {
    if (!needs(t, 'python3-protobuf', hasProtobuf, HOW_TO_GET_PROTOBUF)) return;
    const file = eventFile(path.join(tempDir(), 'tf1'));
    writeTfevents(file, tf1Events(4));
    const series = await read(new TensorboardCache(), file);
    assert.deepEqual([...series.keys()].sort(), ['train/acc', 'train/loss']);
    assert.deepEqual(plain(series.get('train/loss')), {
      steps: [0, 10, 20, 30],
      values: [1, 0.5, f32(1 / 3), 0.25],
      times: [1, 1.5, 2, 2.5].map((d) => (T0 + d) * 1000),
    });
    assert.deepEqual(plain(series.get('train/acc')).values, [0, 0.25, 0.5, 0.75]);
  });

  it('reads TF2 scalar tensors (float, double in tensor_content, half, int64) of the "scalars" plugin, metadata on the first value only', async (t) => {
    if (!needs(t, 'python3-protobuf', hasProtobuf, HOW_TO_GET_PROTOBUF)) return;
    const file = eventFile(path.join(tempDir(), 'tf2'));
    writeTfevents(file, [
      { wall_time: T0, file_version: 'brain.Event:2' },
      {
        wall_time: T0 + 1,
        step: 1,
        scalars: [
          { tag: 'epoch_loss', value: 0.75, tensor: 'float', metadata: true },
          { tag: 'epoch_lr', value: 0.001, tensor: 'double', content: true, metadata: true },
          { tag: 'half', value: 1.5, tensor: 'half', metadata: true },
          { tag: 'batches', value: 2 ** 40, tensor: 'int64', metadata: true },
          { tag: 'notes', value: 7, tensor: 'int32', metadata: true, plugin: 'text' },
        ],
      },
      {
        wall_time: T0 + 2,
        step: 2,
        scalars: [
          { tag: 'epoch_loss', value: 0.5, tensor: 'float' },
          { tag: 'epoch_lr', value: 0.0005, tensor: 'double', content: true },
          { tag: 'half', value: -2, tensor: 'half' },
          { tag: 'batches', value: 2 ** 40 + 1, tensor: 'int64' },
          { tag: 'notes', value: 8, tensor: 'int32' },
          { tag: 'no_plugin', value: 3, tensor: 'float' },
        ],
      },
    ]);
    const series = await read(new TensorboardCache(), file);
    // Tensors of other plugins ("text") and of tags never marked as scalars are not metrics.
    assert.deepEqual([...series.keys()].sort(), ['batches', 'epoch_loss', 'epoch_lr', 'half']);
    assert.deepEqual(plain(series.get('epoch_loss')), { steps: [1, 2], values: [0.75, 0.5], times: [(T0 + 1) * 1000, (T0 + 2) * 1000] });
    assert.deepEqual(plain(series.get('epoch_lr')).values, [0.001, 0.0005]);
    assert.deepEqual(plain(series.get('half')).values, [1.5, -2]);
    assert.deepEqual(plain(series.get('batches')).values, [2 ** 40, 2 ** 40 + 1]);
  });

  it('stops before a torn last record, and reads it once the writer has appended the rest', async (t) => {
    if (!needs(t, 'python3-protobuf', hasProtobuf, HOW_TO_GET_PROTOBUF)) return;
    const ws = tempDir();
    const full = path.join(ws, 'full.tfevents');
    const { offsets, size } = writeTfevents(full, tf1Events(5));
    const bytes = readFileSync(full);
    const live = eventFile(path.join(ws, 'live'));
    const last = offsets[offsets.length - 1];
    const cache = new TensorboardCache();
    const { logger, lines } = warnings();

    // Cut inside the last record's header, then inside its data.
    writeFileSync(live, bytes.subarray(0, last + 5));
    assert.deepEqual(plain((await read(cache, live, logger)).get('train/loss')).steps, [0, 10, 20, 30]);
    appendFileSync(live, bytes.subarray(last + 5, last + 20));
    assert.deepEqual(plain((await read(cache, live, logger)).get('train/loss')).steps, [0, 10, 20, 30]);

    appendFileSync(live, bytes.subarray(last + 20, size));
    const series = await read(cache, live, logger);
    assert.deepEqual(plain(series.get('train/loss')), {
      steps: [0, 10, 20, 30, 40],
      values: [1, 0.5, f32(1 / 3), 0.25, 0.2].map(f32),
      times: [1, 1.5, 2, 2.5, 3].map((d) => (T0 + d) * 1000),
    });
    assert.equal(plain(series.get('train/acc')).steps.length, 5, 'no point read twice');
    assert.deepEqual(lines, [], 'a torn record is normal: no warning');
  });

  it('skips a corrupt record in the middle with a warning naming the file and offset, and reads the rest', async (t) => {
    if (!needs(t, 'python3-protobuf', hasProtobuf, HOW_TO_GET_PROTOBUF)) return;
    const file = eventFile(path.join(tempDir(), 'corrupt'));
    const { offsets } = writeTfevents(file, tf1Events(5), [3]); // record 3 = step 20
    const { logger, lines } = warnings();
    const cache = new TensorboardCache();
    const series = await read(cache, file, logger);
    assert.deepEqual(plain(series.get('train/loss')).steps, [0, 10, 30, 40]);
    assert.deepEqual(plain(series.get('train/acc')).values, [0, 0.2, 0.6, 0.8].map(f32));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.ok(lines[0].includes(file), lines[0]);
    assert.match(lines[0], new RegExp(`at offset ${offsets[3]}: corrupt record skipped: data CRC mismatch`));
    // Read again after an append: no second warning, nothing read twice.
    const more = path.join(path.dirname(file), 'more.bin');
    writeTfevents(more, [{ wall_time: T0 + 9, step: 50, scalars: [{ tag: 'train/loss', value: 0.125 }] }]);
    appendFileSync(file, readFileSync(more));
    assert.deepEqual(plain((await read(cache, file, logger)).get('train/loss')).steps, [0, 10, 30, 40, 50]);
    assert.equal(lines.length, 1);
  });

  it('reads a file replaced by a shorter one from its start', async (t) => {
    if (!needs(t, 'python3-protobuf', hasProtobuf, HOW_TO_GET_PROTOBUF)) return;
    const ws = tempDir();
    const file = eventFile(path.join(ws, 'replaced'));
    writeTfevents(file, tf1Events(5));
    const cache = new TensorboardCache();
    assert.equal((await read(cache, file)).get('train/loss')?.values.length, 5);
    const other = path.join(ws, 'short.tfevents');
    writeTfevents(other, tf1Events(2));
    copyFileSync(other, file);
    assert.deepEqual(plain((await read(cache, file)).get('train/loss')).steps, [0, 10]);
  });
});
