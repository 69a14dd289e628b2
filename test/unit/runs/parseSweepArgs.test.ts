import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseGridEntry, parseGridText, parseRandomEntry } from '../../../src/core/runs/parseSweepArgs';
import { SweepError } from '../../../src/core/runs/expandSweep';

describe('parseSweepArgs', () => {
  it('parses grid entries with typed values', () => {
    assert.deepEqual(parseGridEntry('lr=0.1,0.01'), ['lr', [0.1, 0.01]]);
    assert.deepEqual(parseGridEntry(' opt = adam, sgd '), ['opt', ['adam', 'sgd']]);
    assert.deepEqual(parseGridEntry('flag=true,false'), ['flag', [true, false]]);
  });

  it('parses the input box text: entries separated by ; or new lines', () => {
    assert.deepEqual(parseGridText('lr=0.1,0.01; epochs=3,5'), { lr: [0.1, 0.01], epochs: [3, 5] });
    assert.deepEqual(parseGridText('lr=0.1\nepochs=3;'), { lr: [0.1], epochs: [3] });
  });

  it('parses random ranges', () => {
    assert.deepEqual(parseRandomEntry('lr=0.001:0.1:log'), ['lr', { min: 0.001, max: 0.1, log: true }]);
    assert.deepEqual(parseRandomEntry('dropout=0:0.5'), ['dropout', { min: 0, max: 0.5, log: false }]);
  });

  it('rejects malformed specs', () => {
    for (const bad of ['', ' ; ', 'lr', '=1,2', 'lr=', 'lr= , ']) assert.throws(() => parseGridText(bad), SweepError, bad);
    for (const bad of ['lr=1', 'lr=a:b', 'lr=1:2:ln', 'lr=1:2:log:x', '=1:2', 'lr=:1'])
      assert.throws(() => parseRandomEntry(bad), SweepError, bad);
  });
});
