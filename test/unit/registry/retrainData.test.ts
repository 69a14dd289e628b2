/**
 * Recent data for retraining: captures written by the server's own capture writer (ModelCapture), joined with
 * ground truth by request id, split with a fixed seed into train and holdout .npy files that numpy-format readers
 * (parseNpy) read back; the manifest's counts and hashes; the errors a user meets first. Also the metrics that
 * evaluate champion and candidate, and the gate that compares them on a common evaluation.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ModelCapture } from '../../../src/core/serve/capture/modelCapture';
import { silentLogger } from '../../../src/core/logger';
import { parseNpy } from '../../../src/core/ort/parseNpy';
import { exportRecentData } from '../../../src/core/registry/retrain/exportRecentData';
import { readGroundTruth } from '../../../src/core/registry/retrain/readGroundTruth';
import { classifierMetrics } from '../../../src/core/registry/retrain/classifierMetrics';
import { retrainMessage } from '../../../src/core/registry/retrain/retrainMessage';
import { evaluateGate } from '../../../src/core/registry/evaluateGates';
import { parseGate } from '../../../src/core/registry/parseGate';
import type { ModelVersion } from '../../../src/core/registry/registryTypes';
import { tempDir } from '../runs/runsTestSupport';

/** Captures `requests` (each [id, rows]) of model clf the way the server does; row r of every request has features [id#, r, r*2]. */
async function capture(ws: string, requests: Array<[string | undefined, number]>): Promise<void> {
  const cap = new ModelCapture(
    'clf',
    { rate: 1, dir: path.join(ws, '.mlw', 'captures'), maxBytes: 1e9, rotateBytes: 600, flushDelayMs: 1 },
    silentLogger,
  );
  requests.forEach(([id, rows], k) => {
    const data = new Float32Array(rows * 3);
    for (let r = 0; r < rows; r++) data.set([k, r, r * 2], r * 3);
    cap.offer({
      time: new Date(0).toISOString(),
      id,
      protocol: 'v2',
      inputs: [{ name: 'features', tensor: { datatype: 'FP32', shape: [rows, 3], data } }],
      outputs: [{ name: 'probability', tensor: { datatype: 'FP32', shape: [rows, 1], data: new Float32Array(rows).fill(0.5) } }],
    });
  });
  await cap.close();
}

const npy = (file: string) => parseNpy(readFileSync(file), file);
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('exportRecentData', () => {
  it('joins ground truth by request id, splits the labelled rows with a fixed seed, and writes a new folder each time', async () => {
    const ws = tempDir('mlw-retrain-');
    // 12 requests: 1-row and 3-row ones; r5 has no id, r6 no ground truth, r7 the wrong label count.
    const reqs: Array<[string | undefined, number]> = Array.from({ length: 12 }, (_, k) => [k === 5 ? undefined : `r${k}`, k % 2 ? 3 : 1]);
    await capture(ws, reqs);
    const capDir = path.join(ws, '.mlw', 'captures', 'clf');
    assert.ok(readdirSync(capDir).filter((f) => f.endsWith('.jsonl')).length > 1, 'the rotation made several chunks');
    const truth = reqs
      .map(([id, rows], k) => ({ id, label: rows === 1 ? k % 2 : Array.from({ length: k === 7 ? 2 : rows }, (_, r) => (k + r) % 2) }))
      .filter((l) => l.id && l.id !== 'r6');
    writeFileSync(path.join(capDir, 'ground-truth.jsonl'), truth.map((l) => JSON.stringify(l)).join('\n') + '\n');

    const now = new Date('2026-12-04T20:15:00.123Z');
    const d = await exportRecentData({ workspace: ws, name: 'clf', holdout: 0.3, now });
    assert.equal(d.path, '.mlw/retrain/clf/20261204T201500Z');
    // rows: 6 one-row + 6 three-row = 24; r5 (3 rows, no id) and r6 (1 row) unlabelled, r7 (3 rows) mismatched.
    assert.deepEqual(d.rows, { captured: 24, labelled: 17, unlabelled: 4, mismatched: 3, train: 12, holdout: 5 });
    assert.deepEqual(d.requests, { captured: 12, labelled: 9, unlabelled: 2 });
    const tr = npy(path.join(d.trainDir, 'features.npy'));
    const ho = npy(path.join(d.holdoutDir, 'features.npy'));
    const trY = npy(path.join(d.trainDir, 'labels.npy'));
    const hoY = npy(path.join(d.holdoutDir, 'labels.npy'));
    assert.deepEqual([tr.type, tr.shape, ho.shape, trY.type, trY.shape, hoY.shape], ['float32', [12, 3], [5, 3], 'float32', [12], [5]]);
    // Every row is one labelled captured row, once, with its own label: (request k, row r) -> (k + r) % 2 or k % 2.
    const seen = new Set<string>();
    for (const [x, y] of [
      [tr, trY],
      [ho, hoY],
    ]) {
      for (let i = 0; i < y.shape[0]; i++) {
        const [k, r, r2] = Array.from(x.values.slice(i * 3, i * 3 + 3) as Float32Array);
        assert.equal(r2, r * 2);
        assert.ok(![5, 6, 7].includes(k), `request ${k} is not labelled`);
        assert.equal(y.values[i], reqs[k][1] === 1 ? k % 2 : (k + r) % 2, `label of request ${k} row ${r}`);
        seen.add(`${k}/${r}`);
      }
    }
    assert.equal(seen.size, 17);

    const manifest = JSON.parse(readFileSync(path.join(d.dir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.model, 'clf');
    assert.deepEqual(manifest.chunks, d.chunks);
    assert.ok(manifest.chunks.length > 1);
    assert.equal(manifest.seed, 42);
    assert.deepEqual(manifest.rows, d.rows);
    assert.deepEqual(manifest.files.holdout, {
      'features.npy': sha(path.join(d.holdoutDir, 'features.npy')),
      'labels.npy': sha(path.join(d.holdoutDir, 'labels.npy')),
    });
    assert.equal(d.holdoutData.path, '.mlw/retrain/clf/20261204T201500Z/holdout');

    // The same captures, seed and second: a new folder, the same split (same holdout hash); another seed: another split.
    const again = await exportRecentData({ workspace: ws, name: 'clf', now });
    assert.equal(again.path, '.mlw/retrain/clf/20261204T201500Z-2');
    assert.equal(again.holdoutData.sha256, d.holdoutData.sha256);
    const other = await exportRecentData({ workspace: ws, name: 'clf', seed: 7, now });
    assert.notEqual(other.holdoutData.sha256, d.holdoutData.sha256);
    assert.equal(
      readFileSync(path.join(d.holdoutDir, 'labels.npy')).length,
      readFileSync(path.join(again.holdoutDir, 'labels.npy')).length,
    );
  });

  it('says what is missing: captures, the ground-truth file and its line format, matching ids', async () => {
    const ws = tempDir('mlw-retrain-');
    await assert.rejects(exportRecentData({ workspace: ws, name: 'clf' }), {
      message: 'No captured requests for clf in .mlw/captures/clf: serve it with --capture 0.1 (or the Capture setting) first',
    });
    await capture(ws, [
      ['a', 1],
      ['b', 2],
    ]);
    await assert.rejects(exportRecentData({ workspace: ws, name: 'clf' }), (e: Error) => {
      assert.match(
        e.message,
        /^No ground truth for clf: write \.mlw\/captures\/clf\/ground-truth\.jsonl, one line \{"id": "<request id>", "label": <number> \| \[<number per row>\]\} per captured request \(2 captured, e\.g\. id "a"\)$/,
      );
      return true;
    });
    const gt = path.join(ws, '.mlw', 'captures', 'clf', 'ground-truth.jsonl');
    writeFileSync(gt, '{"id": "zzz", "label": 1}\n');
    await assert.rejects(
      exportRecentData({ workspace: ws, name: 'clf' }),
      /^RegistryError: None of the 3 captured rows of clf has ground truth in \.mlw\/captures\/clf\/ground-truth\.jsonl/,
    );
    writeFileSync(gt, '{"id": "a", "label": 1}\n{"id": "b", "label": "yes"}\n');
    await assert.rejects(
      exportRecentData({ workspace: ws, name: 'clf' }),
      /ground-truth\.jsonl:2: "label" must be a number, or an array of numbers/,
    );
    await assert.rejects(exportRecentData({ workspace: ws, name: 'clf', holdout: 1 }), /--holdout must be a fraction in \(0, 1\)/);
  });
});

describe('readGroundTruth', () => {
  it('reads labels by id (a later line wins), a number or an array; an absent file is undefined', async () => {
    const dir = tempDir('mlw-gt-');
    mkdirSync(dir, { recursive: true });
    const f = path.join(dir, 'ground-truth.jsonl');
    assert.equal(await readGroundTruth(f), undefined);
    writeFileSync(f, '{"id":"a","label":1}\n\n{"id":"b","label":[0,1]}\n{"id":"a","label":0}\n');
    assert.deepEqual(
      [...(await readGroundTruth(f))!],
      [
        ['a', [0]],
        ['b', [0, 1]],
      ],
    );
    writeFileSync(f, '{"label":1}\n');
    await assert.rejects(readGroundTruth(f, 'gt.jsonl'), /^RegistryError: gt\.jsonl:1: "id" must be the request id/);
  });
});

describe('classifierMetrics', () => {
  it('thresholds a probability output at 0.5 with ROC-AUC, and takes the argmax of class scores', () => {
    assert.deepEqual(classifierMetrics([0.9, 0.2, 0.6, 0.4], [4, 1], [1, 0, 0, 1]), { accuracy: 0.5, rows: 4, roc_auc: 0.75 });
    assert.deepEqual(classifierMetrics([0.9, 0.2], [2], [1, 0]), { accuracy: 1, rows: 2, roc_auc: 1 });
    assert.deepEqual(classifierMetrics([0.1, 0.7, 0.2, 0.5, 0.3, 0.2, 0.9, 0, 0], [3, 3], [1, 0, 1]), { accuracy: 2 / 3, rows: 3 });
    assert.throws(() => classifierMetrics([1, 2, 3], [3, 1], [1, 0]), /expected 2 rows/);
  });
});

describe('a champion-relative gate on a common evaluation', () => {
  const v = (n: number, metrics: Record<string, number>, evaluations?: ModelVersion['evaluations']): ModelVersion => ({
    version: n,
    registeredAt: '2026-01-01T00:00:00.000Z',
    registeredBy: 't',
    source: { kind: 'run', runId: `run${n}` },
    path: 'm.onnx',
    sha256: 'ab'.repeat(32),
    sizeBytes: 1,
    signature: null,
    metrics,
    recipe: null,
    benchmark: null,
    dataInputs: [{ path: `data${n}.csv`, sha256: String(n).repeat(64) }],
    evaluations,
    notes: '',
  });
  const data = { path: '.mlw/retrain/clf/x/holdout', sha256: 'cd'.repeat(32) };
  const at = '2026-12-04T20:00:00.000Z';
  const gate = parseGate('accuracy > champion + 0.01');
  const drift = { recorded: false as const, why: '' };

  it('compares the evaluations on the same held-out rows, over the run metrics and their different data', () => {
    const champion = v(1, { accuracy: 0.99 }, [{ data, at, metrics: { accuracy: 0.71, rows: 120 } }]);
    const candidate = v(2, { accuracy: 0.9 }, [{ data, at, metrics: { accuracy: 0.93, rows: 120 } }]);
    assert.deepEqual(evaluateGate(gate, candidate, champion, drift), {
      gate: 'accuracy > champion + 0.01',
      passed: true,
      detail: 'accuracy 0.93 > 0.72 (champion version 1: 0.71 + 0.01; on the same 120 held-out captured rows (.mlw/retrain/clf/x/holdout))',
    });
    const worse = v(3, { accuracy: 0.999 }, [{ data, at, metrics: { accuracy: 0.7, rows: 120 } }]);
    assert.equal(evaluateGate(gate, worse, champion, drift).passed, false);
  });

  it('keeps comparing run metrics when the evaluations are on other data', () => {
    const champion = v(1, { accuracy: 0.8 }, [{ data: { ...data, sha256: 'ef'.repeat(32) }, at, metrics: { accuracy: 0.71, rows: 120 } }]);
    const candidate = v(2, { accuracy: 0.9 }, [{ data, at, metrics: { accuracy: 0.93, rows: 120 } }]);
    assert.match(evaluateGate(gate, candidate, champion, drift).detail, /^not comparable: version 2 was evaluated on other data/);
  });
});

describe('retrainMessage', () => {
  it('says the challenger, both accuracies and the held-out rows they share', () => {
    assert.equal(
      retrainMessage({
        name: 'clf',
        candidate: { version: 2, metrics: { accuracy: 0.9764705882352941, rows: 170 } },
        champion: { version: 1, metrics: { accuracy: 0.8, rows: 170 } },
        rows: { captured: 569, labelled: 568, unlabelled: 1, mismatched: 0, train: 398, holdout: 170 },
      }),
      'clf v2 registered as challenger: accuracy 0.98 vs champion v1 0.80 on the same 170 held-out captured rows.',
    );
  });
});
