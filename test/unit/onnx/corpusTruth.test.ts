/**
 * Conformance: for every model of the ONNX backend-test corpus, the lazy reader's summary must match what
 * the official python `onnx` package reads (Debian python3-onnx), and every test-data tensor must read with
 * the same values.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readModel, readModelFromSource } from '../../../src/core/onnx/readModel';
import { bufferSource, type ByteSource } from '../../../src/core/onnx/byteSource';
import { readGraph, type GraphView } from '../../../src/core/onnx/readGraph';
import { readTensorFile } from '../../../src/core/onnx/readTensorFile';
import { sniffModelFormat } from '../../../src/core/onnx/sniffModelFormat';
import { summarizeModel, summarizeOnnxModel } from '../../../src/core/onnx/summarizeModel';
import { tensorStatistics } from '../../../src/core/onnx/tensorStatistics';
import type { ValueSummary } from '../../../src/core/onnx/modelSummary';
import { CORPUS_DIR, hasCorpus, needs, pythonHas } from '../../support/requires';
import { listCorpusModels, loadModelTruth, loadTensorTruth, type ModelTruth, type ValueTruth } from './corpus';

const haveTools = (t: Parameters<typeof needs>[0]): boolean =>
  needs(t, 'libonnx-testdata', hasCorpus(), 'apt-get install libonnx-testdata') &&
  needs(t, 'python3-onnx', pythonHas('onnx'), 'apt-get install python3-onnx');

const valueTruth = (v: ValueSummary): ValueTruth => ({
  name: v.name,
  type: v.type,
  elem_type: v.elemType ?? null,
  shape: v.shape ?? null,
});

function countGraphNodes(g: GraphView): number {
  let n = 0;
  for (const node of g.nodes) {
    n++;
    for (const sub of node.subgraphs) for (const s of sub.graphs) n += countGraphNodes(s);
  }
  return n;
}

describe('ONNX backend-test corpus', () => {
  it('every model summary matches python onnx', async (t) => {
    if (!haveTools(t)) return;
    const truths = loadModelTruth();
    const models = listCorpusModels();
    assert.equal(truths.length, models.length, 'the truth script saw every model');
    if (CORPUS_DIR === '/usr/share/libonnx-testdata/data') assert.ok(models.length >= 1000, `${models.length} models`);
    const failures: string[] = [];
    let pass = 0;
    for (const truth of truths) {
      const path = join(CORPUS_DIR, truth.path);
      try {
        assert.ok(truth.ok, `python could not load it: ${truth.error}`);
        const model = await readModel(path);
        const s = await summarizeOnnxModel(model);
        const ops: Record<string, Record<string, number>> = {};
        for (const o of s.operators) (ops[o.domain] ??= {})[o.opType] = o.count;
        const mine: Partial<ModelTruth> = {
          ir_version: s.irVersion,
          producer_name: s.producerName,
          producer_version: s.producerVersion,
          model_version: s.modelVersion,
          opsets: s.opsetImports.map((o) => [o.domain, o.version]),
          graph_name: s.graphName,
          inputs: s.inputs.map(valueTruth),
          outputs: s.outputs.map(valueTruth),
          initializers: model.graph.initializers.map((i) => i.name),
          initializer_types: model.graph.initializers.map((i) => i.dataType),
          sparse_initializers: s.sparseInitializerCount,
          node_count: s.nodeCount,
          ops,
          param_count: s.parameterCount,
          functions: s.functions.map((f) => [f.name, f.domain, f.nodeCount]),
        };
        const { path: _p, ok: _o, ...expected } = truth;
        assert.deepStrictEqual(mine, expected);
        assert.equal(s.initializerCount, truth.initializers.length);
        assert.equal(s.fileSize, (await readFile(path)).length);
        pass++;
      } catch (error) {
        failures.push(`${truth.path}: ${(error as Error).message.slice(0, 600)}`);
      }
    }
    t.diagnostic(`${pass}/${truths.length} corpus models match python onnx`);
    assert.deepEqual(failures.slice(0, 10), []);
    assert.equal(pass, truths.length);
  });

  it('every test-data tensor reads with the values python onnx reads', async (t) => {
    if (!haveTools(t)) return;
    const truths = loadTensorTruth();
    assert.ok(truths.length > 0);
    const failures: string[] = [];
    const show = (v: number | string | boolean): number | string => {
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'string') return Number(v);
      return Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v;
    };
    const close = (a: number | undefined, b: number | undefined): boolean =>
      a === b || (a !== undefined && b !== undefined && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)));
    let pass = 0;
    for (const truth of truths) {
      try {
        assert.ok(truth.ok, truth.error);
        const ref = await readTensorFile(join(CORPUS_DIR, truth.path));
        assert.equal(ref.dataType, truth.data_type);
        assert.deepEqual(ref.dims, truth.dims);
        const stats = await tensorStatistics(ref, { maxValues: 8 });
        assert.equal(stats.count, truth.count);
        if (truth.first !== undefined) {
          const first = truth.data_type === 8 ? stats.first : stats.first.map(show);
          assert.deepEqual(first, truth.first);
        }
        if (truth.nan_count !== undefined) assert.equal(stats.nanCount, truth.nan_count);
        assert.equal(stats.min, truth.min);
        assert.equal(stats.max, truth.max);
        assert.ok(close(stats.mean, truth.mean), `mean ${stats.mean} vs ${truth.mean}`);
        pass++;
      } catch (error) {
        failures.push(`${truth.path}: ${(error as Error).message.slice(0, 400)}`);
      }
    }
    t.diagnostic(`${pass}/${truths.length} test-data tensors match python onnx`);
    assert.deepEqual(failures.slice(0, 10), []);
  });

  it('every model sniffs as ONNX, reads the same with syncReads, and yields a graph consistent with its summary', async (t) => {
    if (!needs(t, 'libonnx-testdata', hasCorpus(), 'apt-get install libonnx-testdata')) return;
    const failures: string[] = [];
    for (const path of listCorpusModels()) {
      try {
        const bytes = await readFile(path);
        const sniff = sniffModelFormat(bytes.subarray(0, 64), bytes.length);
        assert.equal(sniff.format, 'onnx', sniff.reason);
        const model = await readModel(path);
        const summary = await summarizeOnnxModel(model);
        const viaSyncReads = await summarizeModel(path, { syncReads: true });
        assert.ok(viaSyncReads.bytesRead > 0 && viaSyncReads.bytesRead <= bytes.length + 64);
        assert.deepStrictEqual({ ...viaSyncReads, bytesRead: 0 }, summary);
        const view = await readGraph(path);
        assert.equal(countGraphNodes(view.graph), summary.nodeCount);
        assert.equal(view.graph.initializers.length, summary.initializerCount);
        JSON.stringify(view); // JSON-able
      } catch (error) {
        failures.push(`${path}: ${(error as Error).message.slice(0, 300)}`);
      }
    }
    assert.deepEqual(failures.slice(0, 10), []);
  });
});

describe('window refills', () => {
  it('reads every corpus model the same through a 1..16-byte window and a source that returns 3 bytes per read', async (t) => {
    if (!needs(t, 'libonnx-testdata', hasCorpus(), 'apt-get install libonnx-testdata')) return;
    const failures: string[] = [];
    for (const path of listCorpusModels()) {
      try {
        const bytes = new Uint8Array(await readFile(path));
        const expected = await readModel(path);
        const stingy: ByteSource = {
          size: bytes.length,
          read: (into, offset, length, position) => {
            const n = Math.min(3, length, bytes.length - position);
            into.set(bytes.subarray(position, position + n), offset);
            return Promise.resolve(n);
          },
        };
        const tiny = await readModelFromSource(stingy, path, { window: { minRead: 1, maxRead: 16 } });
        assert.deepStrictEqual(tiny.model, expected);
        const tinySync = await readModelFromSource(bufferSource(bytes), path, { syncReads: true, window: { minRead: 1, maxRead: 5 } });
        assert.deepStrictEqual(tinySync.model, expected);
      } catch (error) {
        failures.push(`${path}: ${(error as Error).message.slice(0, 300)}`);
      }
    }
    assert.deepEqual(failures.slice(0, 10), []);
  });
});
