/** chooseDims/chooseScalars: every free dim and scalar input gets a value with its reason, and makeInputs uses them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, type ValueSummary } from '../../../src/core/onnx';
import { makeInputs, planInputs } from '../../../src/core/ort';
import { chooseDims, chooseScalars, describeChoices } from '../../../src/core/ort/inputDims';

const input = (name: string, elemType: number, shape?: (number | string | null)[]): ValueSummary => ({
  name,
  type: 'tensor',
  kind: 'tensor',
  elemType,
  elemTypeName: elemType === DataType.INT64 ? 'int64' : 'float',
  ...(shape ? { shape } : {}),
});
const model = (inputs: ValueSummary[], metadata: Record<string, string> = {}) => ({
  path: '/m.onnx',
  inputs,
  metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
});

test("PP-OCR's x [?,3,48,?]: width takes the image's other side, not 1", () => {
  const m = model([input('x', DataType.FLOAT, ['DynamicDimension.0', 3, 48, 'DynamicDimension.1'])]);
  assert.deepEqual(planInputs(m)[0].shape, [1, 3, 48, 48]);
  assert.deepEqual(
    chooseDims(m).map((c) => [c.key, c.value, c.source]),
    [
      ['DynamicDimension.0', 1, 'batch'],
      ['DynamicDimension.1', 48, 'image'],
    ],
  );
  assert.deepEqual(planInputs(model([input('img', DataType.FLOAT, [null, null, null, 3])]))[0].shape, [1, 224, 224, 3]);
  assert.deepEqual(planInputs(m, { dims: { 'DynamicDimension.1': 320 } })[0].shape, [1, 3, 48, 320]);
});

test('given by name or input:axis, metadata named like the dim, batch for a leading dim, else 16; shared names once', () => {
  const m = model([input('ids', DataType.INT64, ['batch', 'sequence']), input('mask', DataType.INT64, ['batch', 'sequence', null])], {
    sequence: '128',
  });
  assert.deepEqual(
    chooseDims(m, { batchSize: 2, dims: { 'mask:2': 5 } }).map((c) => [c.key, c.uses.length, c.value, c.source]),
    [
      ['batch', 2, 2, 'batch'],
      ['sequence', 2, 128, 'metadata'],
      ['mask:2', 1, 5, 'given'],
    ],
  );
  const plans = planInputs(m, { batchSize: 2, dims: { 'mask:2': 5 } });
  assert.deepEqual(
    plans.map((p) => p.shape),
    [
      [2, 128],
      [2, 128, 5],
    ],
  );
  assert.deepEqual(planInputs(model([input('audio', DataType.FLOAT, [null, null])]))[0].shape, [1, 16]);
  assert.deepEqual(describeChoices(chooseDims(model([input('audio', DataType.FLOAT, ['batch', 'samples'])]))), [
    'dim batch (audio[0]) = 1: batch size; --dim batch=N to change',
    'dim samples (audio[1]) = 16: no hint; --dim samples=N to change',
  ]);
});

test('scalar inputs: given, metadata, a sample rate by name, else random; makeInputs fills them', () => {
  const m = model(
    [
      input('audio', DataType.FLOAT, [1, 'samples']),
      input('sr', DataType.INT64, []),
      input('k', DataType.INT64, [1]),
      input('t', DataType.FLOAT, []),
    ],
    { k: '7' },
  );
  assert.deepEqual(
    chooseScalars(m, { t: 0.5 }).map((s) => [s.input, s.value, s.source]),
    [
      ['sr', 16000, 'name'],
      ['k', 7, 'metadata'],
      ['t', 0.5, 'given'],
    ],
  );
  const feeds = makeInputs(m, { scalars: { t: 0.5 }, dims: { samples: 512 } });
  assert.deepEqual(feeds.audio.dims, [1, 512]);
  assert.deepEqual(Array.from(feeds.sr.data as BigInt64Array), [16000n]);
  assert.deepEqual(Array.from(feeds.k.data as BigInt64Array), [7n]);
  assert.deepEqual(Array.from(feeds.t.data as Float32Array), [0.5]);
  assert.deepEqual(chooseScalars(model([input('n', DataType.INT64, [])]))[0].source, 'random');
});
