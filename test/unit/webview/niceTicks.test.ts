import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatTick, logTicks, niceTicks, prefersLog } from '../../../webview-ui/lib/niceTicks';

describe('niceTicks', () => {
  it('covers the range with round steps', () => {
    assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(0.013, 0.098, 4), [0.02, 0.04, 0.06, 0.08]);
    assert.deepEqual(niceTicks(3, 97, 4), [20, 40, 60, 80]);
    assert.deepEqual(niceTicks(5, 5), [5]);
    assert.deepEqual(niceTicks(NaN, 1), []);
  });
  it('labels ticks briefly', () => {
    assert.equal(formatTick(20), '20');
    assert.equal(formatTick(0.30000000000000004), '0.3');
    assert.equal(formatTick(0.0001), '1.0e-4');
  });
});

describe('log axes', () => {
  it('prefers a log axis for positive values spanning two decades', () => {
    assert.equal(prefersLog([0.001, 0.01, 0.1]), true);
    assert.equal(prefersLog([0.01, 0.05, 0.1]), false);
    assert.equal(prefersLog([0, 1, 1000]), false);
  });
  it('puts ticks on powers of ten inside the range', () => {
    assert.deepEqual(logTicks(0.0008, 0.12), [0.001, 0.01, 0.1]);
    assert.deepEqual(logTicks(2, 9), []);
  });
});

describe('niceTicks on the ranges charts show', () => {
  const ranges: Array<[string, number, number]> = [
    ['loss', 0.013, 2.31],
    ['accuracy', 0, 1],
    ['steps', 0, 49_990],
    ['learning rate on a linear axis', 1e-5, 3e-3],
    ['a validation gap around zero', -0.37, 0.52],
    ['accuracy late in training', 0.912, 0.968],
    ['negative rewards', -1200, -35],
  ];

  for (const [what, min, max] of ranges) {
    it(`labels ${what} [${min}, ${max}] with round, evenly spaced values inside the range`, () => {
      const ticks = niceTicks(min, max, 5);
      assert.ok(ticks.length >= 3 && ticks.length <= 11, `${ticks.length} ticks: ${ticks}`);
      const step = ticks[1] - ticks[0];
      const mantissa = Number((step / 10 ** Math.floor(Math.log10(step))).toPrecision(6));
      assert.ok([1, 2, 5].includes(mantissa), `step ${step} is 1, 2 or 5 × 10^n`);
      for (let i = 0; i < ticks.length; i++) {
        if (i > 0) assert.ok(Math.abs(ticks[i] - ticks[i - 1] - step) <= step * 1e-6, `even spacing at ${ticks[i]}`);
        assert.ok(Math.abs(ticks[i] / step - Math.round(ticks[i] / step)) < 1e-6, `${ticks[i]} is a multiple of the step`);
        assert.ok(ticks[i] >= min - step * 1e-6 && ticks[i] <= max + step * 1e-6, `${ticks[i]} inside the range`);
      }
      assert.ok(ticks[0] - min < step && max - ticks[ticks.length - 1] < step, 'no stretch of the axis longer than a step goes unlabelled');
      const labels = ticks.map(formatTick);
      assert.equal(new Set(labels).size, labels.length, `labels are distinct: ${labels}`);
      assert.ok(
        labels.every((t) => t.length <= 8),
        `labels are short: ${labels}`,
      );
    });
  }

  it('gives the same ticks when the range comes reversed', () => {
    assert.deepEqual(niceTicks(2.31, 0.013), niceTicks(0.013, 2.31));
  });
});
