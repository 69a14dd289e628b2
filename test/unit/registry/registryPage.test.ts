import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { addVersion, emptyModel, moveAlias } from '../../../src/core/registry/aliasMoves';
import { parseGate } from '../../../src/core/registry/parseGate';
import { candidateVersion, readRegistryPage, registryModelView } from '../../../src/core/registry/registryPage';
import { RegistryStore } from '../../../src/core/registry/RegistryStore';
import { registryTarget } from '../../../src/core/registry/registryTarget';
import type { ModelVersion, RegisteredModel } from '../../../src/core/registry/registryTypes';
import { parseRunsMessage } from '../../../src/shared/runsProtocol';
import { tempDir } from '../runs/runsTestSupport';

type Fields = Omit<ModelVersion, 'version'>;
const fields = (metrics: Record<string, number>, extra: Partial<Fields> = {}): Fields => ({
  registeredAt: '2026-12-04T10:00:00.000Z',
  registeredBy: 'ana',
  source: { kind: 'run', runId: 'run-1' },
  path: 'model.onnx',
  sha256: 'cd'.repeat(32),
  sizeBytes: 2 * 1024 * 1024,
  signature: null,
  metrics,
  recipe: null,
  benchmark: { p50_ms: 1.5, p99_ms: 4, file: 'model.bench.json' },
  notes: '',
  ...extra,
});

/** clf: v1 (accuracy 0.8) champion, v2 (accuracy 0.9) registered after. */
function twoVersions(): RegisteredModel {
  let m = addVersion(emptyModel('clf'), fields({ accuracy: 0.8 })).model;
  m = moveAlias(m, 'champion', 1, { action: 'promote', at: '2026-12-04T10:01:00.000Z', by: 'ana', gates: [], forced: false });
  m = addVersion(m, fields({ accuracy: 0.9 }, { source: { kind: 'run', runId: 'run-2' } })).model;
  return m;
}

const noDrift = { recorded: false as const, why: '' };

describe('registry page view model', () => {
  it('judges the challenger when it is set, else the newest version that is not the champion', () => {
    const m = twoVersions();
    assert.deepEqual(candidateVersion(m), { version: 2, why: 'newest version that is not the champion' });
    const withChallenger = moveAlias(addVersion(m, fields({ accuracy: 0.95 })).model, 'challenger', 2, {
      action: 'alias',
      at: '2026-12-04T10:02:00.000Z',
      by: 'ana',
    });
    assert.deepEqual(candidateVersion(withChallenger), { version: 2, why: 'challenger alias' });
    assert.equal(candidateVersion(emptyModel('x')).version, null);
    const onlyChampion = moveAlias(addVersion(emptyModel('y'), fields({})).model, 'champion', 1, { action: 'promote', at: 'x', by: 'a' });
    assert.deepEqual(candidateVersion(onlyChampion), { version: null, why: 'every version is the champion' });
  });

  it("evaluates mlw.yaml's gates for the candidate against the champion with their numbers", () => {
    const gates = ['accuracy >= 0.85', 'accuracy > champion + 0.05', 'p99_ms <= 3'].map(parseGate);
    const v = registryModelView(twoVersions(), gates, noDrift);
    assert.equal(v.gates.candidate, 2);
    assert.equal(v.gates.champion, 1);
    assert.deepEqual(v.gates.declared, ['accuracy >= 0.85', 'accuracy > champion + 0.05', 'p99_ms <= 3']);
    assert.deepEqual(
      v.gates.results.map((r) => r.passed),
      [true, true, false],
    );
    assert.match(v.gates.results[0].detail, /accuracy 0\.9 >= 0\.85/);
    assert.match(v.gates.results[1].detail, /0\.85.*champion version 1: 0\.8/);
    assert.match(v.gates.results[2].detail, /p99_ms 4 > 3/);
  });

  it('lists versions newest first with their aliases, and the history newest first; champion can roll back only with a previous one', () => {
    let m = twoVersions();
    let v = registryModelView(m, [], noDrift);
    assert.deepEqual(
      v.versions.map((x) => [x.version, x.aliases, x.runId]),
      [
        [2, [], 'run-2'],
        [1, ['champion'], 'run-1'],
      ],
    );
    assert.deepEqual(v.rollbackable, []);
    m = moveAlias(m, 'champion', 2, { action: 'promote', at: '2026-12-04T11:00:00.000Z', by: 'bo', gates: [], forced: true });
    v = registryModelView(m, [], noDrift);
    assert.deepEqual(v.rollbackable, ['champion']);
    assert.deepEqual(
      v.history.map((h) => [h.from, h.to, h.by, h.forced]),
      [
        [1, 2, 'bo', true],
        [null, 1, 'ana', false],
      ],
    );
    assert.deepEqual(v.versions[0].benchmark, { p50_ms: 1.5, p99_ms: 4 });
    assert.deepEqual(v.versions[0].evaluations, []);
  });

  it('shows the evaluations a version records', () => {
    const m = twoVersions();
    (m.versions[1] as ModelVersion & { evaluations?: unknown }).evaluations = [
      { data: { path: 'data/holdout', sha256: 'ef'.repeat(32) }, at: '2026-12-04T12:00:00.000Z', metrics: { accuracy: 0.91, rows: 200 } },
    ];
    const v = registryModelView(m, [], noDrift);
    assert.deepEqual(v.versions[0].evaluations, [
      { data: 'data/holdout', sha256: 'ef'.repeat(32), at: '2026-12-04T12:00:00.000Z', metrics: { accuracy: 0.91, rows: 200 } },
    ]);
  });

  it('reads the workspace: registry files, gates of mlw.yaml, and a malformed gate as an error on its model', async () => {
    const ws = tempDir();
    await new RegistryStore(ws).write(twoVersions());
    await fsp.writeFile(path.join(ws, 'mlw.yaml'), 'registry:\n  clf:\n    gates: ["accuracy >= 0.85"]\n');
    let page = await readRegistryPage(ws);
    assert.equal(page.models.length, 1);
    assert.deepEqual(
      page.models[0].gates.results.map((r) => [r.gate, r.passed]),
      [['accuracy >= 0.85', true]],
    );
    await fsp.writeFile(path.join(ws, 'mlw.yaml'), 'registry:\n  clf:\n    gates: ["accuracy >>= 1"]\n');
    page = await readRegistryPage(ws);
    assert.match(page.models[0].gates.error ?? '', /mlw\.yaml: registry\.clf\.gates\[0\]/);
    await fsp.writeFile(path.join(ws, '.mlw', 'registry', 'bad.json'), '{');
    page = await readRegistryPage(ws);
    assert.equal(page.models.length, 1);
    assert.match(page.errors[0], /bad\.json is not valid JSON/);
  });
});

describe('registry command arguments and page messages', () => {
  it('takes a Registry node or a plain target, and refuses malformed ones', () => {
    const m = twoVersions();
    assert.deepEqual(registryTarget({ type: 'registeredVersion', folder: '/w', model: m, version: m.versions[1] }), {
      folder: '/w',
      model: 'clf',
      version: 2,
    });
    assert.deepEqual(registryTarget({ type: 'registeredModel', folder: '/w', model: m }), { folder: '/w', model: 'clf' });
    assert.deepEqual(registryTarget({ folder: '/w', model: 'clf', alias: 'champion' }), { folder: '/w', model: 'clf', alias: 'champion' });
    assert.equal(registryTarget({ folder: '/w', model: '../etc' }), undefined);
    assert.equal(registryTarget({ folder: '/w', model: 'clf', version: 1.5 }), undefined);
    assert.equal(registryTarget({ folder: '/w', model: 'clf', alias: '3' }), undefined);
    assert.equal(registryTarget('clf'), undefined);
  });

  it('validates the registry page messages', () => {
    assert.deepEqual(parseRunsMessage({ type: 'promote', model: 'clf', version: 2 }), { type: 'promote', model: 'clf', version: 2 });
    assert.deepEqual(parseRunsMessage({ type: 'rollback', model: 'clf', alias: 'champion' }), {
      type: 'rollback',
      model: 'clf',
      alias: 'champion',
    });
    assert.deepEqual(parseRunsMessage({ type: 'openRegistry', extra: 1 }), { type: 'openRegistry' });
    assert.equal(parseRunsMessage({ type: 'promote', model: 'clf', version: '2' }), undefined);
    assert.equal(parseRunsMessage({ type: 'promote', model: 'a/b', version: 2 }), undefined);
    assert.equal(parseRunsMessage({ type: 'serveAlias', model: 'clf', alias: 'champion; rm -rf' }), undefined);
    assert.equal(parseRunsMessage({ type: 'setAlias', model: 'clf', version: 0 }), undefined);
  });
});
