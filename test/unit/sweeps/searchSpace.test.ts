import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseObjective, parsePrune, parseSpace, parseSpaceEntry, parseSpaceText, SpaceError } from '../../../src/core/sweeps/searchSpace';
import { bestSoFar } from '../../../src/core/sweeps/readStudySummary';
import { trialOutcome } from '../../../src/core/sweeps/runStudy';
import { sweepCommand } from '../../../src/cli/commands/sweep';
import { silentLogger } from '../../../src/core/logger';
import type { Run } from '../../../src/core/runs/runTypes';

test('--space tokens: float, log, int and categorical', () => {
  assert.deepEqual(parseSpaceEntry('lr=1e-5:1e-1:log'), { name: 'lr', type: 'float', low: 1e-5, high: 0.1, log: true });
  assert.deepEqual(parseSpaceEntry('dropout=0:0.5'), { name: 'dropout', type: 'float', low: 0, high: 0.5, log: false });
  assert.deepEqual(parseSpaceEntry('units=16:256:int:log'), { name: 'units', type: 'int', low: 16, high: 256, log: true });
  assert.deepEqual(parseSpaceEntry('layers=2,4,8'), { name: 'layers', type: 'categorical', choices: [2, 4, 8] });
  assert.deepEqual(parseSpaceEntry('opt=adam,sgd,true'), { name: 'opt', type: 'categorical', choices: ['adam', 'sgd', true] });
  assert.deepEqual(
    parseSpaceText('lr=1e-5:1e-1:log; layers=2,4,8').map((p) => p.name),
    ['lr', 'layers'],
  );
});

test('a bad --space token is one line naming it', () => {
  for (const [token, why] of [
    ['lr', /expected name=low:high/],
    ['lr=1e-5:1e-1:logg', /unknown flag "logg"/],
    ['lr=0:1:log', /log range needs low > 0/],
    ['lr=1:0', /low must be less than high/],
    ['lr=a:1', /low must be a number/],
    ['n=1.5:4:int', /integer bounds/],
    ['layers=2,,8', /empty choice/],
    ['layers=2,2', /repeated/],
    ['lr=1:2:3:4:5', /expected low:high/],
  ] as const) {
    assert.throws(
      () => parseSpaceEntry(token),
      (e: Error) =>
        e instanceof SpaceError && e.message.startsWith(`--space ${token}:`) && why.test(e.message) && !e.message.includes('\n'),
      token,
    );
  }
  assert.throws(() => parseSpace(['lr=0:1', 'lr=1,2']), /lr is given twice/);
});

test('--objective and --prune', () => {
  assert.deepEqual(parseObjective('val_loss:min'), { metric: 'val_loss', direction: 'minimize' });
  assert.deepEqual(parseObjective('eval/acc:max'), { metric: 'eval/acc', direction: 'maximize' });
  assert.throws(() => parseObjective('val_loss'), /--objective val_loss: expected METRIC:min/);
  assert.deepEqual(parsePrune('median'), { kind: 'median', startup: 5, warmup: 0 });
  assert.deepEqual(parsePrune('median:2:3'), { kind: 'median', startup: 2, warmup: 3 });
  assert.throws(() => parsePrune('hyperband'), /--prune hyperband/);
});

test('mlw sweep prints a bad --space as one line, exit 2, before anything runs', async () => {
  const err: string[] = [];
  const out: string[] = [];
  const code = await sweepCommand.run(
    ['train.py', '--method', 'tpe', '--space', 'lr=1e-5:1e-1', '--space', 'layers=2;4', '--trials', '4', '--objective', 'val_loss:min'],
    {
      workspace: '/nonexistent',
      json: false,
      out: (t) => void out.push(t),
      err: (t) => void err.push(t),
      logger: silentLogger,
      signal: new AbortController().signal,
    },
  );
  assert.equal(code, 2);
  assert.deepEqual(out, []);
  assert.equal(err.length, 1);
  assert.match(err[0], /^mlw sweep: --space layers=2;4: /);
});

test('a trial outcome from its run: the objective is the last logged value', () => {
  const run = (status: Run['status'], last?: number) =>
    ({ status, metrics: last === undefined ? {} : { val_loss: { last, step: 3, min: last, max: 9, count: 4 } } }) as unknown as Run;
  const objective = { metric: 'val_loss', direction: 'minimize' } as const;
  assert.deepEqual(trialOutcome(run('finished', 0.5), objective), { outcome: 'complete', value: 0.5 });
  assert.deepEqual(trialOutcome(run('finished'), objective), { outcome: 'fail', value: undefined });
  assert.deepEqual(trialOutcome(run('pruned', 2), objective), { outcome: 'pruned', value: 2 });
  assert.deepEqual(trialOutcome(run('stopped', 2), objective), { outcome: 'stopped', value: 2 });
  assert.deepEqual(trialOutcome(run('failed', 2), objective), { outcome: 'fail', value: 2 });
});

test('best value over trials', () => {
  const t = (number: number, state: string, value: number | null) => ({ number, state, value, params: {}, runId: null, steps: 0 });
  assert.deepEqual(
    bestSoFar({ direction: 'minimize', trials: [t(1, 'complete', 3), t(0, 'complete', 5), t(2, 'pruned', 1), t(3, 'complete', 2)] }).map(
      (b) => b.best,
    ),
    [5, 3, 3, 2],
  );
});
