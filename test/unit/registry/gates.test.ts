import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GateParseError, parseGate } from '../../../src/core/registry/parseGate';
import { evaluateGate, type DriftState } from '../../../src/core/registry/evaluateGates';
import { aliasLineage, addVersion, emptyModel, moveAlias, rollbackAlias } from '../../../src/core/registry/aliasMoves';
import { canonicalModel, formatJson, RegistryStore } from '../../../src/core/registry/RegistryStore';
import { tempDir } from '../runs/runsTestSupport';
import type { ModelVersion } from '../../../src/core/registry/registryTypes';

function version(n: number, metrics: Record<string, number>, extra: Partial<ModelVersion> = {}): ModelVersion {
  return {
    version: n,
    registeredAt: '2026-01-01T00:00:00.000Z',
    registeredBy: 't',
    source: { kind: 'file', runId: null },
    path: 'm.onnx',
    sha256: 'ab'.repeat(32),
    sizeBytes: 3 * 1024 * 1024,
    signature: null,
    metrics,
    recipe: null,
    benchmark: null,
    notes: '',
    ...extra,
  };
}

const noDrift: DriftState = { recorded: false, why: '.mlw/drift/clf.json does not exist' };

describe('parseGate', () => {
  it('reads values, champion-relative gates and no_drift', () => {
    assert.deepEqual(parseGate('accuracy >= 0.8'), { kind: 'value', text: 'accuracy >= 0.8', metric: 'accuracy', op: '>=', value: 0.8 });
    assert.deepEqual(parseGate(' val/acc>champion+0.01 '), {
      kind: 'champion',
      text: 'val/acc>champion+0.01',
      metric: 'val/acc',
      op: '>',
      offset: 0.01,
    });
    assert.deepEqual(parseGate('loss < champion - 1e-3'), {
      kind: 'champion',
      text: 'loss < champion - 1e-3',
      metric: 'loss',
      op: '<',
      offset: -0.001,
    });
    assert.deepEqual(parseGate('p99_ms <= 50'), { kind: 'value', text: 'p99_ms <= 50', metric: 'p99_ms', op: '<=', value: 50 });
    assert.deepEqual(parseGate('no_drift'), { kind: 'no_drift', text: 'no_drift' });
  });

  it('names the gate text and the column of the problem', () => {
    const cases: Array<[string, number, RegExp]> = [
      ['accuracy >> 0.8', 11, /expected one of >=, >, <=, <, found ">>"/],
      ['accuracy = 0.8', 10, /expected one of >=, >, <=, </],
      ['accuracy >= ', 13, /expected a number or champion/],
      ['accuracy >= champion * 2', 22, /expected \+ or - after champion/],
      ['accuracy >= 0.8 extra', 17, /unexpected "extra"/],
      ['9lives > 1', 1, /expected a metric name/],
      ['no_drift please', 10, /no_drift takes nothing/],
    ];
    for (const [text, column, what] of cases) {
      assert.throws(
        () => parseGate(text),
        (e: unknown) => e instanceof GateParseError && e.column === column && what.test(e.message) && e.message.includes(`"${text}"`),
        text,
      );
    }
  });
});

describe('evaluateGate', () => {
  const champion = version(1, { accuracy: 0.9 });
  it('lists the numbers of passing and failing gates', () => {
    assert.deepEqual(evaluateGate(parseGate('accuracy >= 0.8'), version(2, { accuracy: 0.72 }), champion, noDrift), {
      gate: 'accuracy >= 0.8',
      passed: false,
      detail: 'accuracy 0.72 < 0.8',
    });
    const beat = evaluateGate(parseGate('accuracy > champion + 0.01'), version(2, { accuracy: 0.905 }), champion, noDrift);
    assert.equal(beat.passed, false);
    assert.equal(beat.detail, 'accuracy 0.905 <= 0.91 (champion version 1: 0.9 + 0.01; evaluation data not recorded)');
    assert.equal(evaluateGate(parseGate('accuracy > champion + 0.01'), version(2, { accuracy: 0.95 }), champion, noDrift).passed, true);
    assert.match(
      evaluateGate(parseGate('accuracy > champion'), version(2, { accuracy: 0.5 }), undefined, noDrift).detail,
      /no champion yet/,
    );
  });

  it('compares with the champion only on the same evaluation data', () => {
    const data = (sha: string) => ({ dataInputs: [{ path: 'eval.csv', sha256: sha.repeat(64) }] });
    const champ = version(1, { accuracy: 0.9 }, data('a'));
    const same = evaluateGate(parseGate('accuracy > champion'), version(2, { accuracy: 0.95 }, data('a')), champ, noDrift);
    assert.deepEqual([same.passed, same.detail], [true, 'accuracy 0.95 > 0.9 (champion version 1: 0.9; same evaluation data)']);
    const other = evaluateGate(parseGate('accuracy > champion'), version(2, { accuracy: 0.95 }, data('b')), champ, noDrift);
    assert.equal(other.passed, false);
    assert.equal(
      other.detail,
      'not comparable: version 2 was evaluated on other data (eval.csv bbbbbbbbbbbb) than champion version 1 (eval.csv aaaaaaaaaaaa)',
    );
  });

  it('takes size_mb from the file and p99_ms from the benchmark, or says the figure is missing', () => {
    assert.equal(evaluateGate(parseGate('size_mb <= 2'), version(2, {}), champion, noDrift).detail, 'size_mb 3 > 2');
    const missing = evaluateGate(parseGate('p99_ms <= 50'), version(2, {}), champion, noDrift);
    assert.equal(missing.passed, false);
    assert.match(missing.detail, /p99_ms is missing: no benchmark recorded for version 2/);
    const bench = version(2, {}, { benchmark: { p50_ms: 1, p99_ms: 60, file: 'm.bench.json' } });
    assert.equal(evaluateGate(parseGate('p99_ms <= 50'), bench, champion, noDrift).detail, 'p99_ms 60 > 50');
    assert.match(
      evaluateGate(parseGate('f1 >= 0.5'), version(2, { accuracy: 1 }), champion, noDrift).detail,
      /no such metric \(it has accuracy\)/,
    );
  });

  it('no_drift: says when no drift state is recorded, and lists drifted features', () => {
    const r = evaluateGate(parseGate('no_drift'), version(2, {}), champion, noDrift);
    assert.deepEqual([r.passed, r.detail], [false, 'no drift state recorded: .mlw/drift/clf.json does not exist']);
    const drifted: DriftState = { recorded: true, file: 'd.json', drifted: [{ feature: 'x[0]', psi: 0.5 }], threshold: 0.2, observed: 100 };
    assert.equal(evaluateGate(parseGate('no_drift'), version(2, {}), champion, drifted).detail, 'drift: x[0] PSI 0.5 > 0.2 (d.json)');
    const calm: DriftState = { ...drifted, drifted: [] };
    assert.equal(evaluateGate(parseGate('no_drift'), version(2, {}), champion, calm).passed, true);
  });
});

describe('alias history', () => {
  it('rollback walks back through the champions, undoing rolled-back moves', () => {
    let m = emptyModel('clf');
    for (let i = 1; i <= 3; i++) m = addVersion(m, { ...version(0, {}), version: undefined } as unknown as ModelVersion).model;
    const at = '2026-01-01T00:00:00.000Z';
    for (const v of [1, 2, 3]) m = moveAlias(m, 'champion', v, { action: 'promote', at, by: 'a' });
    assert.deepEqual(aliasLineage(m), [1, 2, 3]);
    let r = rollbackAlias(m, 'b', at);
    assert.deepEqual([r.from, r.to, r.model.aliases.champion], [3, 2, 2]);
    r = rollbackAlias(r.model, 'b', at);
    assert.deepEqual([r.from, r.to], [2, 1]);
    assert.throws(() => rollbackAlias(r.model, 'b', at), /no previous champion/);
    const last = r.model.aliasHistory.at(-1)!;
    assert.deepEqual([last.alias, last.from, last.to, last.action, last.by], ['champion', 2, 1, 'rollback', 'b']);
  });

  it('writes keys in one order whatever order they were set in', () => {
    const m = moveAlias(
      moveAlias(addVersion(emptyModel('x'), version(0, { b: 1, a: 2 })).model, 'zeta', 1, { action: 'alias', at: 't', by: 'u' }),
      'alpha',
      1,
      {
        action: 'alias',
        at: 't',
        by: 'u',
      },
    );
    const c = canonicalModel(m);
    assert.deepEqual(Object.keys(c.aliases), ['alpha', 'zeta']);
    assert.deepEqual(Object.keys(c.versions[0].metrics), ['a', 'b']);
    assert.deepEqual(Object.keys(c), ['schema', 'name', 'aliases', 'versions', 'aliasHistory']);
    assert.match(
      formatJson({ shape: ['batch', 4], empty: [], nested: [{ a: 1 }] }),
      /"shape": \["batch", 4\],\n {2}"empty": \[\],\n {2}"nested": \[\n {4}\{\n {6}"a": 1\n {4}\}\n {2}\]/,
    );
    assert.deepEqual(JSON.parse(formatJson(c)), c);
  });
});

describe('RegistryStore', () => {
  it('keeps every version when registrations race (the lock file serializes them)', async () => {
    const store = new RegistryStore(tempDir('mlw-registry-race-'));
    const add = () =>
      store.update('clf', async (m) => {
        await new Promise((r) => setTimeout(r, 5));
        const { version: _v, ...fields } = version(0, {});
        return { model: addVersion(m ?? emptyModel('clf'), fields).model, result: undefined };
      });
    await Promise.all(Array.from({ length: 8 }, add));
    const m = await store.get('clf');
    assert.deepEqual(
      m.versions.map((v) => v.version),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    await assert.rejects(store.get('other'), /No registered model "other" \(registered: clf\)/);
    await assert.rejects(
      store.update('../x', async () => ({ model: emptyModel('x'), result: 0 })),
      /cannot name a registered model/,
    );
  });
});
