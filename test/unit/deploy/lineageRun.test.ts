/** Lineage finds the run that logged a model by the model's sha256, wherever the file lies now. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runForModelHash } from '../../../src/core/deploy/lineage';
import { RunStore } from '../../../src/core/runs/RunStore';
import { sha256File } from '../../../src/core/sha256File';

const H1 = 'a'.repeat(64);
const H2 = 'b'.repeat(64);

test('runForModelHash: the latest run with an artifact of that sha256; none for an unknown or missing hash', () => {
  const runs = [
    { id: 'old', startTime: 1, artifacts: [{ path: 'model.onnx', sha256: H1 }] },
    {
      id: 'new',
      startTime: 5,
      artifacts: [
        { path: 'x.txt', sha256: H2 },
        { path: 'out/model.onnx', sha256: H1 },
      ],
    },
    { id: 'other', startTime: 9, artifacts: [{ path: 'model.onnx', sha256: H2 }] },
    { id: 'queued', startTime: null, createdTime: 3, artifacts: [] },
  ];
  assert.equal(runForModelHash(runs, H1)?.id, 'new');
  assert.equal(runForModelHash(runs, H1.toUpperCase())?.id, 'new');
  assert.equal(runForModelHash(runs, H2)?.id, 'other');
  assert.equal(runForModelHash(runs, 'c'.repeat(64)), undefined);
  assert.equal(runForModelHash(runs, undefined), undefined);
});

test('a model the run logged, copied outside the run folder, is found through the run store', async () => {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'mlw-lineage-run-'));
  try {
    const store = new RunStore(ws);
    await store.ensure();
    const run = await store.createRun({ name: 'train', cwd: ws });
    mkdirSync(path.join(ws, 'out'));
    writeFileSync(path.join(ws, 'out', 'model.onnx'), 'model bytes');
    await store.addArtifact(run.id, 'out/model.onnx');
    // The user copies the model elsewhere (not under .mlw/runs/<id>/) and deploys that copy.
    const copy = path.join(ws, 'deploy', 'model.onnx');
    mkdirSync(path.dirname(copy));
    writeFileSync(copy, 'model bytes');
    const { sha256 } = await sha256File(copy);
    assert.equal(runForModelHash(await store.listRuns(), sha256)?.id, run.id);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
