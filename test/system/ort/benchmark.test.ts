/** benchmarkModel and tryModel on real models: a corpus Conv2d and a generated classifier with symbolic dims. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readTensorData, readTensorFile, summarizeModel } from '../../../src/core/onnx';
import {
  benchmarkModel,
  compareBenchmarks,
  createSession,
  loadFeeds,
  OrtSessionError,
  readNpy,
  tensorFromData,
  tryModel,
  type BenchmarkProgress,
} from '../../../src/core/ort';
import { hasCorpus, needs } from '../../support/requires';
import { buildClassifier, CORPUS_CONV, CORPUS_SOFTMAX, HAS_PY_ONNX } from './fixtures';

let classifier: ReturnType<typeof buildClassifier> | undefined;
before(() => {
  if (HAS_PY_ONNX) classifier = buildClassifier();
});
after(() => classifier?.cleanup());

test('benchmark of a corpus model gives sane figures', async (t) => {
  if (!needs(t, 'the libonnx-testdata corpus', hasCorpus(), 'apt-get install libonnx-testdata')) return;
  const progress: BenchmarkProgress[] = [];
  const r = await benchmarkModel(CORPUS_CONV, { warmup: 3, runs: 50, intraOpThreads: 1, hash: true, onProgress: (p) => progress.push(p) });
  assert.equal(r.latenciesMs.length, 50);
  assert.ok(r.min <= r.p50 && r.p50 <= r.p90 && r.p90 <= r.p99 && r.p99 <= r.max, JSON.stringify(r));
  assert.ok(r.min > 0 && r.mean > 0 && r.stddev >= 0 && r.throughput > 0 && r.sessionCreateMs > 0 && r.firstRunMs > 0);
  assert.ok(r.peakRssBytes > 10 * 1024 * 1024);
  assert.match(r.model.sha256 ?? '', /^[0-9a-f]{64}$/);
  assert.ok(r.model.sizeBytes > 0);
  assert.ok(!Number.isNaN(Date.parse(r.startedAt)));
  assert.equal(r.config.runs, 50);
  assert.equal(r.config.intraOpThreads, 1);
  assert.deepEqual(r.config.inputs[0].shape, [2, 3, 7, 5]);
  assert.deepEqual(progress.at(-1), { phase: 'measure', done: 50, total: 50 });
  assert.ok(progress.some((p) => p.phase === 'load'));
  const again = await benchmarkModel(CORPUS_CONV, { warmup: 1, runs: 10, graphOptimizationLevel: 'disabled' });
  const cmp = compareBenchmarks(r, again);
  assert.ok(Number.isFinite(cmp.figures.p50.ratio));
  assert.ok(cmp.configDifferences.some((d) => d.startsWith('graphOptimizationLevel')));
});

test('abort stops a benchmark between runs', async (t) => {
  if (!needs(t, 'the libonnx-testdata corpus', hasCorpus(), 'apt-get install libonnx-testdata')) return;
  const controller = new AbortController();
  let measured = 0;
  await assert.rejects(
    benchmarkModel(CORPUS_CONV, {
      warmup: 0,
      runs: 1_000_000,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'measure') {
          measured = p.done;
          controller.abort();
        }
      },
    }),
    (e: Error) => e.name === 'AbortError',
  );
  assert.ok(measured >= 1 && measured < 1_000_000);
  const already = AbortSignal.abort();
  await assert.rejects(benchmarkModel(CORPUS_CONV, { signal: already }), (e: Error) => e.name === 'AbortError');
});

test('errors name the model and the cause', async () => {
  await assert.rejects(
    createSession('/nonexistent/model.onnx'),
    (e: Error) => e instanceof OrtSessionError && /\/nonexistent\/model\.onnx: file not found/.test(e.message),
  );
  await assert.rejects(
    createSession(__filename),
    (e: Error) => e instanceof OrtSessionError && e.message.includes(__filename) && e.message.length > __filename.length + 20,
  );
  await assert.rejects(benchmarkModel(CORPUS_CONV, { runs: 0 }), /runs must be an integer/);
});

test('symbolic dims are honoured: batch for the leading dim, --dim for the others', async (t) => {
  if (!needs(t, 'python3-onnx and numpy', HAS_PY_ONNX, 'apt-get install python3-onnx')) return;
  const r = await benchmarkModel(classifier!.model, { warmup: 1, runs: 20, batchSize: 3, dims: { seq: 5 } });
  assert.deepEqual(r.config.inputs, [{ name: 'x', type: 'float32', shape: [3, 5, 16] }]);
  assert.deepEqual(r.config.dims, { seq: 5 });
  assert.ok(r.throughput > 0);
  const tried = await tryModel(classifier!.model, {}, { batchSize: 2, dims: { seq: 4 } });
  assert.deepEqual(
    tried.outputs.map((o) => [o.name, o.shape]),
    [
      ['logits', [2, 10]],
      ['probs', [2, 10]],
    ],
  );
});

test('tryModel: top-k of logits and probabilities agree with NumPy', async (t) => {
  if (!needs(t, 'python3-onnx and numpy', HAS_PY_ONNX, 'apt-get install python3-onnx')) return;
  const summary = await summarizeModel(classifier!.model);
  const feeds = await loadFeeds(summary, [join(classifier!.dir, 'x.npy')]);
  const v2 = await loadFeeds(summary, [`x=${join(classifier!.dir, 'x_v2.npy')}`]);
  assert.deepEqual(Array.from(v2.x.data as Float32Array), Array.from(feeds.x.data as Float32Array));
  const r = await tryModel(classifier!.model, feeds, { topK: 3 });
  const logits = r.outputs.find((o) => o.name === 'logits')!;
  const probs = r.outputs.find((o) => o.name === 'probs')!;
  assert.equal(logits.scores, 'logits');
  assert.equal(probs.scores, 'probabilities');
  const expected = await readNpy(join(classifier!.dir, 'expected_logits.npy'));
  for (let row = 0; row < 2; row++) {
    const values = Array.from((expected.values as Float64Array).subarray(row * 10, row * 10 + 10));
    const best = values.indexOf(Math.max(...values));
    assert.equal(logits.topK![row].length, 3);
    assert.equal(logits.topK![row][0].index, best);
    assert.equal(probs.topK![row][0].index, best);
    assert.ok(Math.abs(logits.topK![row][0].prob - probs.topK![row][0].value) < 1e-5, 'softmax of logits = Softmax output');
    assert.ok(Math.abs(logits.topK![row][0].value - values[best]) < 1e-3);
  }
  assert.equal(logits.first.length, 10);
  assert.equal(logits.nanCount, 0);
});

test('tryModel on a corpus Softmax model: top-k follows the input order, probabilities kept', async (t) => {
  if (!needs(t, 'the libonnx-testdata corpus', hasCorpus(), 'apt-get install libonnx-testdata')) return;
  const input = await readTensorData(await readTensorFile(join(CORPUS_SOFTMAX, 'test_data_set_0', 'input_0.pb')));
  const r = await tryModel(join(CORPUS_SOFTMAX, 'model.onnx'), { [input.name || '0']: tensorFromData(input) }, { topK: 3, maxRows: 2 });
  const out = r.outputs[0];
  assert.deepEqual(out.shape, [10, 20]);
  assert.equal(out.scores, 'probabilities');
  assert.equal(out.topK!.length, 2);
  const x = input.values as Float32Array;
  for (let row = 0; row < 2; row++) {
    const values = Array.from(x.subarray(row * 20, row * 20 + 20));
    const order = values
      .map((v, i) => [v, i])
      .sort((a, b) => b[0] - a[0])
      .slice(0, 3)
      .map((p) => p[1]);
    assert.deepEqual(
      out.topK![row].map((e) => e.index),
      order,
    );
    for (const e of out.topK![row]) assert.equal(e.prob, e.value);
  }
});
