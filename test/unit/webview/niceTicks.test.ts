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
