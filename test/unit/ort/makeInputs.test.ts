/** Input planning and generation from a ModelSummary's inputs, and feeds read from JSON and .npy files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType, type ValueSummary } from '../../../src/core/onnx';
import { flattenNested, loadFeeds, makeInputs, planInputs } from '../../../src/core/ort';
import { npy } from './npyFixture';

const input = (name: string, elemType: number, shape?: (number | string | null)[]): ValueSummary => ({
  name,
  type: 'tensor',
  kind: 'tensor',
  elemType,
  ...(shape ? { shape } : {}),
});
const model = (...inputs: ValueSummary[]) => ({ path: '/m.onnx', inputs });

test('symbolic dims: from dims, else batch size for the first dim, else 16 (never a silent 1)', () => {
  const plans = planInputs(
    model(input('x', DataType.FLOAT, ['batch', 'seq', 16]), input('mask', DataType.BOOL, [null, 'seq']), input('n', DataType.INT64, [])),
    {
      batchSize: 4,
      dims: { seq: 7 },
    },
  );
  assert.deepEqual(
    plans.map((p) => [p.name, p.type, p.shape]),
    [
      ['x', 'float32', [4, 7, 16]],
      ['mask', 'bool', [4, 7]],
      ['n', 'int64', []],
    ],
  );
  assert.deepEqual(plans[0].resolved, { batch: 4, seq: 7 });
  assert.deepEqual(planInputs(model(input('x', DataType.FLOAT, [3, 'other'])), { batchSize: 8 })[0].shape, [3, 16]);
  assert.deepEqual(planInputs(model(input('x', DataType.FLOAT)), { batchSize: 2 })[0].shape, [2]);
  assert.deepEqual(planInputs(model(input('x', DataType.FLOAT, ['batch'])), { dims: { batch: 5 }, batchSize: 2 })[0].shape, [5]);
});

test('every element type gets values of its kind; the seed makes them repeatable', () => {
  const types = [
    DataType.FLOAT,
    DataType.DOUBLE,
    DataType.INT8,
    DataType.UINT8,
    DataType.INT16,
    DataType.UINT16,
    DataType.INT32,
    DataType.UINT32,
    DataType.INT64,
    DataType.UINT64,
    DataType.BOOL,
    DataType.STRING,
    DataType.FLOAT16,
  ];
  const summary = model(...types.map((t, i) => input(`i${i}`, t, [2, 3])));
  const a = makeInputs(summary, { seed: 7 });
  const b = makeInputs(summary, { seed: 7 });
  const c = makeInputs(summary, { seed: 8 });
  assert.deepEqual(
    Object.values(a).map((t) => t.type),
    ['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool', 'string', 'float16'],
  );
  for (const t of Object.values(a)) assert.deepEqual(t.dims, [2, 3]);
  assert.deepEqual(Array.from(a.i0.data as Float32Array), Array.from(b.i0.data as Float32Array));
  assert.notDeepEqual(Array.from(a.i0.data as Float32Array), Array.from(c.i0.data as Float32Array));
  for (const v of a.i0.data as Float32Array) assert.ok(v >= 0 && v < 1);
  for (const v of a.i10.data as Uint8Array) assert.ok(v === 0 || v === 1);
  for (const v of a.i8.data as BigInt64Array) assert.ok(v >= 0n && v < 10n);
  assert.ok((a.i11.data as string[]).every((s) => typeof s === 'string' && s.length === 1));
});

test('refuses inputs that cannot be generated, naming the model and input', () => {
  const seq: ValueSummary = { name: 's', type: 'seq(tensor(float))', kind: 'sequence' };
  assert.throws(() => makeInputs(model(seq)), /\/m\.onnx: input 's' is seq\(tensor\(float\)\)/);
  assert.throws(() => makeInputs(model(input('c', DataType.COMPLEX64, [1]))), /input 'c'.*cannot feed/);
  assert.throws(() => makeInputs(model(input('x', DataType.FLOAT, ['b'])), { batchSize: -1 }), /batch size/);
  const provided = makeInputs(model(seq, input('x', DataType.FLOAT, [1])), {
    provided: makeInputs(model({ ...input('s', DataType.FLOAT, [1]) })),
  });
  assert.deepEqual(Object.keys(provided).sort(), ['s', 'x']);
});

test('flattenNested gives shape and values, and catches ragged arrays', () => {
  assert.deepEqual(
    flattenNested(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      'x',
    ),
    { shape: [3, 2], values: [1, 2, 3, 4, 5, 6] },
  );
  assert.deepEqual(flattenNested(5, 'x'), { shape: [], values: [5] });
  assert.throws(() => flattenNested([[1, 2], [3]], 'x'), /ragged/);
  assert.throws(() => flattenNested([[1, 2], 3], 'x'), /ragged/);
});

test('loadFeeds reads JSON and .npy files, converting to the input types', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mlw-feeds-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const summary = model(input('x', DataType.FLOAT, ['b', 2]), input('ids', DataType.INT64, ['b']), input('flag', DataType.BOOL, [1]));
  writeFileSync(
    join(dir, 'in.json'),
    JSON.stringify({
      x: [
        [1, 2],
        [3, 4.5],
      ],
      ids: [1, 2],
      flag: [true],
    }),
  );
  const feeds = await loadFeeds(summary, [join(dir, 'in.json')]);
  assert.deepEqual(feeds.x.dims, [2, 2]);
  assert.deepEqual(Array.from(feeds.x.data as Float32Array), [1, 2, 3, 4.5]);
  assert.equal(feeds.ids.type, 'int64');
  assert.deepEqual(Array.from(feeds.ids.data as BigInt64Array), [1n, 2n]);
  assert.deepEqual(Array.from(feeds.flag.data as Uint8Array), [1]);

  writeFileSync(join(dir, 'x.npy'), npy('<f8', [1, 2], new Uint8Array(new Float64Array([0.5, 1.5]).buffer)));
  writeFileSync(join(dir, 'ids_file.npy'), npy('<i4', [1], new Uint8Array(new Int32Array([9]).buffer)));
  const fromNpy = await loadFeeds(summary, [join(dir, 'x.npy'), `ids=${join(dir, 'ids_file.npy')}`]);
  assert.equal(fromNpy.x.type, 'float32');
  assert.deepEqual(Array.from(fromNpy.x.data as Float32Array), [0.5, 1.5]);
  assert.deepEqual(Array.from(fromNpy.ids.data as BigInt64Array), [9n]);

  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ nope: [1] }));
  await assert.rejects(loadFeeds(summary, [join(dir, 'bad.json')]), /no input named 'nope'/);
  await assert.rejects(loadFeeds(summary, [join(dir, 'ids_file.npy')]), /name it as input=/);
  await assert.rejects(loadFeeds(summary, [join(dir, 'x.txt')]), /must be .json or .npy/);
});
