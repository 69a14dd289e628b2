/**
 * Measure Shapes over the ONNX backend-test corpus, each model fed its test_data_set_0 inputs: every graph output's
 * measured shape equals the expected output's dims, every intermediate tensor python-onnx's shape inference gives
 * fully known dims is measured at exactly those dims, and the copy with added outputs loads wherever the model
 * itself does (a model onnxruntime-node cannot load or run is not counted against Measure Shapes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { readModel, readTensorData, readTensorFile } from '../../../src/core/onnx';
import { createSession, tensorFromData, type Feeds } from '../../../src/core/ort';
import { measureShapes } from '../../../src/core/ort/measure/measureShapes';
import { CORPUS_DIR, hasCorpus, needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { listCorpusModels } from '../onnx/corpus';
import { loadShapeTruth } from '../onnx/shapeTruth';

const indexOf = (file: string): number => Number(/_(\d+)\.pb$/.exec(file)?.[1] ?? -1);
const pbFiles = (dir: string, prefix: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
    .sort((a, b) => indexOf(a) - indexOf(b))
    .map((f) => join(dir, f));

async function plainRuns(path: string, feeds: Feeds): Promise<boolean> {
  try {
    const { session } = await createSession(path, { logSeverityLevel: 4 });
    try {
      await session.run(feeds);
      return true;
    } finally {
      await session.release();
    }
  } catch {
    return false;
  }
}

test('the corpus: measured shapes equal the expected outputs and python-onnx inference', async (t) => {
  if (!needs(t, 'the ONNX corpus', hasCorpus(), 'apt-get install libonnx-testdata')) return;
  if (!needs(t, 'python3-onnx', pythonHas('onnx'), `apt-get install python3-onnx (${SYSTEM_PYTHON})`)) return;
  const truth = new Map(loadShapeTruth().map((s) => [s.path, s]));
  let measuredModels = 0;
  let outputsChecked = 0;
  let intermediatesChecked = 0;
  const failures: string[] = [];
  for (const path of listCorpusModels()) {
    const rel = relative(CORPUS_DIR, path);
    const dataSet = join(dirname(path), 'test_data_set_0');
    let feeds: Feeds = {};
    const expected: { name: string; dims: number[] }[] = [];
    let model;
    try {
      model = await readModel(path);
      const initializers = new Set(model.graph.initializers.map((i) => i.name));
      const inputs = model.graph.inputs.filter((i) => !initializers.has(i.name)).map((i) => i.name);
      for (const [i, file] of pbFiles(dataSet, 'input_').entries()) {
        const data = await readTensorData(await readTensorFile(file));
        feeds[data.name && inputs.includes(data.name) ? data.name : inputs[i]] = tensorFromData(data);
      }
      for (const [i, file] of pbFiles(dataSet, 'output_').entries()) {
        const ref = await readTensorFile(file);
        expected.push({
          name: ref.name && model.graph.outputs.some((o) => o.name === ref.name) ? ref.name : model.graph.outputs[i].name,
          dims: ref.dims,
        });
      }
    } catch {
      continue; // inputs onnxruntime-node cannot hold (sequences, bfloat16, ...)
    }
    let result;
    try {
      result = await measureShapes(path, { feeds, logSeverityLevel: 4 });
    } catch (e) {
      if (await plainRuns(path, feeds)) failures.push(`${rel}: ${(e as Error).message.slice(0, 300)}`);
      feeds = {};
      continue;
    }
    measuredModels++;
    const byName = new Map(result.tensors.map((x) => [x.name, x.shape]));
    for (const e of expected) {
      const shape = byName.get(e.name);
      if (shape === undefined) continue; // a non-tensor output
      outputsChecked++;
      if (JSON.stringify(shape) !== JSON.stringify(e.dims))
        failures.push(`${rel}: output ${e.name} measured [${shape}], expected [${e.dims}]`);
    }
    for (const [name, , dims] of truth.get(rel)?.values ?? []) {
      if (dims === null || !dims.every((d) => typeof d === 'number')) continue;
      if (model.graph.outputs.some((o) => o.name === name)) continue;
      const shape = byName.get(name);
      if (shape === undefined) continue;
      intermediatesChecked++;
      if (JSON.stringify(shape) !== JSON.stringify(dims))
        failures.push(`${rel}: ${name} measured [${shape}], python-onnx infers [${dims}]`);
    }
  }
  t.diagnostic(`${measuredModels} models measured, ${outputsChecked} outputs and ${intermediatesChecked} intermediates checked`);
  assert.deepEqual(failures, []);
  assert.ok(measuredModels > 800, `${measuredModels} models measured`);
  assert.ok(intermediatesChecked > 300, `${intermediatesChecked} intermediates checked`);
});
