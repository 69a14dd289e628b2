import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { mergeMetrics, readMetrics } from '../../../src/core/runs/readMetrics';
import { formatMetricLine, MetricsWriter } from '../../../src/core/runs/MetricsWriter';
import { parseMetricLine } from '../../../src/core/runs/parseMetricLine';
import { summarizeMetrics, bestValue } from '../../../src/core/runs/summarizeMetrics';
import { tempDir } from './runsTestSupport';

const line = (k: string, v: number, s: number, t = 1700000000000 + s) => formatMetricLine({ k, v, s, t });

describe('readMetrics', () => {
  it('reads series as typed arrays, per metric, in file order', async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, 'metrics.jsonl'),
      line('loss', 0.5, 0) + line('acc', 0.25, 0) + line('loss', 0.125, 1) + line('acc', 0.75, 1),
    );
    const r = await readMetrics(dir);
    assert.equal(r.points, 4);
    assert.equal(r.skippedLines, 0);
    const loss = r.series.get('loss');
    assert.ok(loss?.values instanceof Float64Array);
    assert.deepEqual(Array.from(loss?.values ?? []), [0.5, 0.125]);
    assert.deepEqual(Array.from(loss?.steps ?? []), [0, 1]);
    assert.deepEqual(Array.from(loss?.timestamps ?? []), [1700000000000, 1700000000001]);
    assert.deepEqual(Array.from(r.series.get('acc')?.values ?? []), [0.25, 0.75]);
    assert.equal(r.offset, readFileSync(path.join(dir, 'metrics.jsonl')).length);
  });

  it('returns exactly the numbers JSON.parse would, for every kind of double', async () => {
    const dir = tempDir();
    const values: number[] = [
      0,
      -0,
      1,
      -1,
      0.1,
      0.2 + 0.1,
      1e-7,
      1.5e-300,
      5e-324,
      1.7976931348623157e308,
      123456789012345680000,
      2 ** 53 + 2,
      1 / 3,
      Math.PI,
    ];
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 3000; i++) values.push((rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20));
    for (let i = 0; i < 300; i++) values.push(Math.fround(rand() * 10), Math.round(rand() * 1e6) / 1e3);
    writeFileSync(path.join(dir, 'metrics.jsonl'), values.map((v, i) => line('v', v, i)).join(''));
    const got = (await readMetrics(dir)).series.get('v');
    assert.equal(got?.values.length, values.length);
    for (let i = 0; i < values.length; i++) assert.equal(got?.values[i], JSON.parse(JSON.stringify(values[i])), `value ${values[i]}`);
  });

  it('accepts NaN/Infinity tokens, other key orders, escaped names and missing steps; skips corrupt lines', async () => {
    const dir = tempDir();
    const text = [
      '{"k":"a","v":NaN,"s":0,"t":1}',
      '{"k":"a","v":Infinity,"s":1,"t":2}',
      '{"k":"a","v":-Infinity,"s":2,"t":3}',
      '{"t":4,"s":3,"v":1.5,"k":"a"}',
      '{"k":"we\\"ird\\u00e9","v":2,"s":0,"t":5}',
      '{"k":"ünï","v":3,"s":0,"t":6}',
      '{"k":"nostep","v":7}',
      '{"k":"nostep","v":8}',
      'this is not json',
      '{"k":"a","v":"oops"',
      '{"v":1}',
      '',
      '{"k":"a","v":2.5,"s":4,"t":7}',
    ].join('\n');
    writeFileSync(path.join(dir, 'metrics.jsonl'), text + '\n');
    const r = await readMetrics(dir);
    const a = r.series.get('a');
    assert.deepEqual(Array.from(a?.values ?? []), [NaN, Infinity, -Infinity, 1.5, 2.5]);
    assert.deepEqual(Array.from(a?.steps ?? []), [0, 1, 2, 3, 4]);
    assert.equal(r.series.get('we"irdé')?.values[0], 2);
    assert.equal(r.series.get('ünï')?.values[0], 3);
    assert.deepEqual(Array.from(r.series.get('nostep')?.steps ?? []), [0, 1]);
    assert.ok(Number.isNaN(r.series.get('nostep')?.timestamps[0]));
    assert.equal(r.skippedLines, 3);
  });

  it('skips a torn last line without consuming it, and tails incrementally from the offset', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'metrics.jsonl');
    writeFileSync(file, line('loss', 1, 0) + line('loss', 2, 1) + '{"k":"loss","v":3,"s');
    const first = await readMetrics(dir);
    assert.deepEqual(Array.from(first.series.get('loss')?.values ?? []), [1, 2]);
    assert.equal(first.skippedLines, 0, 'an unfinished line is not counted as corrupt');
    assert.equal(first.offset, Buffer.byteLength(line('loss', 1, 0) + line('loss', 2, 1)));

    appendFileSync(file, '":2,"t":3}\n' + line('loss', 4, 3) + line('acc', 0.5, 3));
    const second = await readMetrics(dir, { sinceByteOffset: first.offset });
    assert.deepEqual(Array.from(second.series.get('loss')?.values ?? []), [3, 4]);
    assert.deepEqual(Array.from(second.series.get('acc')?.values ?? []), [0.5]);
    const merged = mergeMetrics(first.series, second.series);
    assert.deepEqual(Array.from(merged.get('loss')?.values ?? []), [1, 2, 3, 4]);
    assert.deepEqual(Array.from(merged.get('loss')?.steps ?? []), [0, 1, 2, 3]);

    // nothing new: same offset, no points
    const third = await readMetrics(dir, { sinceByteOffset: second.offset });
    assert.equal(third.points, 0);
    assert.equal(third.offset, second.offset);

    // a complete last line without its newline is used
    appendFileSync(file, line('loss', 5, 4).trimEnd());
    const fourth = await readMetrics(dir, { sinceByteOffset: third.offset });
    assert.deepEqual(Array.from(fourth.series.get('loss')?.values ?? []), [5]);
    assert.equal(fourth.offset, readFileSync(file).length);

    // a file replaced by a shorter one is read again from the start
    writeFileSync(file, line('x', 1, 0));
    const fifth = await readMetrics(dir, { sinceByteOffset: fourth.offset });
    assert.equal(fifth.reset, true);
    assert.deepEqual(Array.from(fifth.series.get('x')?.values ?? []), [1]);
  });

  it('gives the same result whatever the chunk size (lines split across reads)', async () => {
    const dir = tempDir();
    let text = '';
    for (let i = 0; i < 500; i++) text += line(i % 3 ? 'loss' : 'a_much_longer_metric_name/with/slashes', Math.sin(i), i);
    text += 'garbage line\n';
    writeFileSync(path.join(dir, 'metrics.jsonl'), text);
    const whole = await readMetrics(dir);
    for (const chunkBytes of [7, 64, 100, 4096]) {
      const r = await readMetrics(dir, { chunkBytes });
      assert.equal(r.points, whole.points);
      assert.equal(r.skippedLines, 1);
      for (const [k, s] of whole.series)
        assert.deepEqual(Array.from(r.series.get(k)?.values ?? []), Array.from(s.values), `chunk ${chunkBytes}`);
    }
  });

  it('returns nothing (not an error) when there is no metrics file yet', async () => {
    const r = await readMetrics(tempDir());
    assert.equal(r.points, 0);
    assert.equal(r.offset, 0);
  });
});

describe('MetricsWriter', () => {
  it('terminates a torn line left by a crash, numbers steps automatically, writes NaN tokens', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'metrics.jsonl');
    writeFileSync(file, line('loss', 1, 0) + '{"k":"loss","v":9');
    const w = await MetricsWriter.open(file);
    await w.append([
      { k: 'loss', v: 2 },
      { k: 'loss', v: NaN },
      { k: 'acc', v: 0.5, s: 10 },
      { k: 'acc', v: 0.6 },
    ]);
    await w.close();
    const r = await readMetrics(dir);
    assert.equal(r.skippedLines, 1, 'only the torn line is lost');
    assert.deepEqual(Array.from(r.series.get('loss')?.values ?? []), [1, 2, NaN]);
    assert.deepEqual(Array.from(r.series.get('loss')?.steps ?? []), [0, 0, 1]);
    assert.deepEqual(Array.from(r.series.get('acc')?.steps ?? []), [10, 11]);
  });
});

describe('parseMetricLine', () => {
  it('parses the documented `mlw: name=value ... step=N` form', () => {
    assert.deepEqual(parseMetricLine('mlw: loss=0.25'), { values: [{ k: 'loss', v: 0.25 }] });
    assert.deepEqual(parseMetricLine('  mlw:   loss=1e-3 val/acc=0.9   step=7 '), {
      values: [
        { k: 'loss', v: 0.001 },
        { k: 'val/acc', v: 0.9 },
      ],
      step: 7,
    });
    assert.ok(Number.isNaN(parseMetricLine('mlw: x=nan')?.values[0].v));
    assert.equal(parseMetricLine('mlw: x=-inf')?.values[0].v, -Infinity);
  });

  it('ignores anything else', () => {
    for (const l of [
      'loss=0.2',
      'mlw:loss=0.2',
      'mlw: loss=abc',
      'mlw: this is text',
      'mlw: loss=0.2 step=1.5',
      'mlw: step=3',
      'xmlw: a=1',
      'mlw: 9a=1',
      'mlw: loss=0x10',
    ])
      assert.equal(parseMetricLine(l), undefined, l);
  });
});

describe('summarizeMetrics', () => {
  it('keeps last, min, max, count and picks the best by the metric name', async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, 'metrics.jsonl'),
      line('val_loss', 3, 0) +
        line('val_loss', 1, 1) +
        line('val_loss', 2, 2) +
        line('accuracy', 0.5, 0) +
        line('accuracy', NaN, 1) +
        line('accuracy', 0.9, 2),
    );
    const s = summarizeMetrics((await readMetrics(dir)).series);
    assert.deepEqual(s.val_loss, { last: 2, step: 2, min: 1, max: 3, count: 3 });
    assert.deepEqual(s.accuracy, { last: 0.9, step: 2, min: 0.5, max: 0.9, count: 3 });
    assert.equal(bestValue('val_loss', s.val_loss), 1);
    assert.equal(bestValue('accuracy', s.accuracy), 0.9);
  });
});
