import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  differingParams,
  filterRows,
  metricStats,
  metricValue,
  numericParams,
  paramKeys,
  sortRows,
  type CompareRow,
} from '../../../webview-ui/lib/compareRuns';

const row = (id: string, params: CompareRow['params'], loss: number[], acc?: number[]): CompareRow => ({
  id,
  name: id,
  status: 'finished',
  params,
  metrics: { loss: metricStats(loss), ...(acc ? { accuracy: metricStats(acc) } : {}) },
});

const rows = [
  row('run-10', { lr: 0.1, opt: 'adam', epochs: 5 }, [1, 0.5, 0.7], [0.5, 0.9, 0.8]),
  row('run-2', { lr: 0.01, opt: 'sgd', epochs: 5 }, [1, 0.2, 0.3], [0.6, 0.7]),
  row('run-3', { lr: 0.05, opt: 'adam', epochs: 5 }, [2, 0.9]),
];

describe('compare runs model', () => {
  it('summarizes a series as final, min and max, skipping non-finite values', () => {
    assert.deepEqual(metricStats([3, NaN, 1, 2, null]), { final: 2, min: 1, max: 3 });
    assert.deepEqual(metricStats([]), {});
  });

  it('reads final or best values by the metric goal', () => {
    assert.equal(metricValue(rows[0], 'loss', 'final'), 0.7);
    assert.equal(metricValue(rows[0], 'loss', 'best', 'min'), 0.5);
    assert.equal(metricValue(rows[0], 'accuracy', 'best', 'max'), 0.9);
    assert.equal(metricValue(rows[2], 'accuracy', 'final'), undefined);
  });

  it('finds the params that differ and the numeric sweep axes', () => {
    assert.deepEqual(paramKeys(rows), ['epochs', 'lr', 'opt']);
    assert.deepEqual([...differingParams(rows, paramKeys(rows))].sort(), ['lr', 'opt']);
    assert.deepEqual(
      [...differingParams([...rows, row('x', { lr: 0.1, opt: 'adam' }, [1])], ['epochs'])],
      ['epochs'],
      'a missing param differs',
    );
    assert.deepEqual(numericParams(rows), ['lr']);
  });

  it('filters on every term over names and key=value params, case-insensitively', () => {
    assert.deepEqual(
      filterRows(rows, 'ADAM').map((r) => r.id),
      ['run-10', 'run-3'],
    );
    assert.deepEqual(
      filterRows(rows, 'opt=adam lr=0.05').map((r) => r.id),
      ['run-3'],
    );
    assert.deepEqual(
      filterRows(rows, '  ').map((r) => r.id),
      ['run-10', 'run-2', 'run-3'],
    );
    assert.deepEqual(filterRows(rows, 'nothing'), []);
  });

  it('sorts by metric, param or name, keeping runs without the value last', () => {
    const ids = (rs: CompareRow[]) => rs.map((r) => r.id);
    assert.deepEqual(ids(sortRows(rows, { kind: 'metric', key: 'accuracy' }, 'descending', 'best', { accuracy: 'max' })), [
      'run-10',
      'run-2',
      'run-3',
    ]);
    assert.deepEqual(ids(sortRows(rows, { kind: 'metric', key: 'accuracy' }, 'ascending', 'final')), ['run-2', 'run-10', 'run-3']);
    assert.deepEqual(ids(sortRows(rows, { kind: 'metric', key: 'loss' }, 'ascending', 'best', { loss: 'min' })), [
      'run-2',
      'run-10',
      'run-3',
    ]);
    assert.deepEqual(ids(sortRows(rows, { kind: 'param', key: 'lr' }, 'descending', 'final')), ['run-10', 'run-3', 'run-2']);
    assert.deepEqual(ids(sortRows(rows, { kind: 'name' }, 'ascending', 'final')), ['run-2', 'run-3', 'run-10'], 'natural order of names');
    assert.deepEqual(
      ids(sortRows(rows, { kind: 'param', key: 'epochs' }, 'ascending', 'final')),
      ['run-10', 'run-2', 'run-3'],
      'ties keep their order',
    );
  });
});
