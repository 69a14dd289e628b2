import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendLineage, readLineage } from '../../../src/core/deploy/lineage';
import { runDeployments } from '../../../src/core/runs/runDeployments';

describe('runDeployments (run dashboard "Deployments")', () => {
  it('lists the lineage records of one run, newest first, with digests, references and containers', async () => {
    const ws = mkdtempSync(path.join(os.tmpdir(), 'mlw-lineage-'));
    try {
      const base = { modelPath: 'model.onnx', modelHash: 'ab'.repeat(32) };
      await appendLineage(ws, {
        ...base,
        at: '2026-01-01T10:00:00.000Z',
        kind: 'image',
        runId: 'r1',
        image: 'iris:1',
        imageId: 'sha256:' + 'c'.repeat(64),
        digest: 'sha256:' + 'd'.repeat(64),
      });
      await appendLineage(ws, {
        ...base,
        at: '2026-01-01T10:01:00.000Z',
        kind: 'push',
        runId: 'r1',
        reference: '127.0.0.1:5000/iris:1',
        digest: 'sha256:' + 'e'.repeat(64),
      });
      await appendLineage(ws, {
        ...base,
        at: '2026-01-01T10:02:00.000Z',
        kind: 'container',
        runId: 'r1',
        containerId: 'f'.repeat(64),
        endpoint: 'http://127.0.0.1:8080',
        image: 'iris:1',
      });
      await appendLineage(ws, { ...base, at: '2026-01-01T10:03:00.000Z', kind: 'image', runId: 'other', image: 'x:1' });
      const views = runDeployments(await readLineage(ws), 'r1');
      assert.deepEqual(
        views.map((v) => v.kind),
        ['container', 'push', 'image'],
      );
      assert.match(views[0].at, /^2026-01-0[12] \d\d:\d2:00$/, 'local time, to the second');
      assert.equal(views[0].target, `${'f'.repeat(12)} · http://127.0.0.1:8080`);
      assert.equal(views[1].target, '127.0.0.1:5000/iris:1');
      assert.match(views[1].detail, /digest sha256:e{64}/);
      assert.equal(views[2].target, 'iris:1');
      assert.match(views[2].detail, /digest sha256:d{64} · id c{12} · model model\.onnx \(sha256 abababababab\)/);
      assert.deepEqual(runDeployments(await readLineage(ws), 'nope'), []);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });
});
