import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { splitMetrics } from '../../../webview-ui/lib/splitMetrics';

const series = (values: number[], steps = values.map((_, i) => i)) => ({
  steps: Float64Array.from(steps),
  values: Float64Array.from(values),
});

describe('splitMetrics (dashboard: curves vs final values)', () => {
  it('charts only metrics with two or more points; a metric logged once is a value, not a chart', () => {
    const split = splitMetrics(
      [
        ['val_loss', series([0.9, 0.6, 0.4])],
        ['accuracy', series([0.93], [20])],
        ['loss', series([1, 0.5])],
        ['f1', series([0.88])],
      ],
      { accuracy: 0.93, f1: 0.88, loss: 0.5, val_loss: 0.4 },
    );
    assert.deepEqual(split.curves, ['loss', 'val_loss']);
    assert.deepEqual(split.values, [
      { name: 'accuracy', value: 0.93, step: 20, points: 1 },
      { name: 'f1', value: 0.88, step: 0, points: 1 },
      { name: 'loss', value: 0.5, step: 1, points: 2 },
      { name: 'val_loss', value: 0.4, step: 2, points: 3 },
    ]);
  });

  it('counts only finite points: NaN gaps do not make a curve; a metric known only to the summary is a value', () => {
    const split = splitMetrics(
      [
        ['lr', series([NaN, 0.1, NaN])],
        ['empty', series([])],
      ],
      { roc_auc: 0.97, bad: NaN },
    );
    assert.deepEqual(split.curves, []);
    assert.deepEqual(split.values, [
      { name: 'lr', value: 0.1, step: 1, points: 1 },
      { name: 'roc_auc', value: 0.97, points: 0 },
    ]);
  });

  it('a live metric moves from the table to the charts at its second point', () => {
    assert.deepEqual(splitMetrics([['loss', series([0.9])]]).curves, []);
    assert.deepEqual(splitMetrics([['loss', series([0.9, 0.7])]]).curves, ['loss']);
  });
});
