import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchKey, concatRows, splitRows } from '../../../src/core/serve/batching';
import { DynamicBatcher, type BatchRunner } from '../../../src/core/serve/dynamicBatcher';
import type { HostTensor } from '../../../src/core/serve/datatypes';
import { HttpError } from '../../../src/core/serve/httpError';
import type { InferRequest } from '../../../src/core/serve/inferRequest';

const f32 = (shape: number[], values: number[]): HostTensor => ({ datatype: 'FP32', shape, data: new Float32Array(values) });

test('batchKey: datatypes and non-batch dims; undefined when dim 0 disagrees or a rank is 0', () => {
  assert.equal(batchKey([f32([2, 3], [0, 0, 0, 0, 0, 0])]), 'FP32[3];');
  assert.equal(batchKey([f32([5, 3], new Array(15).fill(0))]), batchKey([f32([1, 3], [0, 0, 0])]));
  assert.notEqual(batchKey([f32([1, 3], [0, 0, 0])]), batchKey([f32([1, 4], [0, 0, 0, 0])]));
  assert.equal(batchKey([f32([1, 2], [0, 0]), f32([2, 1], [0, 0])]), undefined);
  assert.equal(batchKey([f32([], [0])]), undefined);
  assert.equal(batchKey([]), undefined);
});

test('concatRows and splitRows are inverse along dim 0 (typed arrays and strings)', () => {
  const a = f32([1, 2], [1, 2]);
  const b = f32([2, 2], [3, 4, 5, 6]);
  const c = concatRows([a, b]);
  assert.deepEqual(c.shape, [3, 2]);
  assert.deepEqual(Array.from(c.data as Float32Array), [1, 2, 3, 4, 5, 6]);
  const [a2, b2] = splitRows(c, [1, 2]);
  assert.deepEqual(a2, a);
  assert.deepEqual(b2, b);
  // Views, not copies.
  assert.equal((b2.data as Float32Array).buffer, (c.data as Float32Array).buffer);

  const s = concatRows([
    { datatype: 'BYTES', shape: [1], data: ['x'] },
    { datatype: 'BYTES', shape: [2], data: ['y', 'z'] },
  ]);
  assert.deepEqual(s, { datatype: 'BYTES', shape: [3], data: ['x', 'y', 'z'] });
  assert.deepEqual(
    splitRows(s, [2, 1]).map((t) => t.data),
    [['x', 'y'], ['z']],
  );
  const i64 = concatRows([
    { datatype: 'INT64', shape: [1, 1], data: new BigInt64Array([1n]) },
    { datatype: 'INT64', shape: [1, 1], data: new BigInt64Array([-1n]) },
  ]);
  assert.deepEqual(Array.from(i64.data as BigInt64Array), [1n, -1n]);
  assert.throws(() => splitRows(c, [1, 1]), /cannot split/);
  // Zero-row parts are fine.
  assert.deepEqual(
    splitRows(f32([0, 2], []), [0]).map((t) => t.shape),
    [[0, 2]],
  );
});

/** A fake model: y = 2x per element, counting the runs and the rows each one got. */
function fakeRunner(options: { fail?: (x: Float32Array) => boolean; rowsOut?: (rows: number) => number } = {}) {
  const runs: number[] = [];
  const runner: BatchRunner = {
    async run(inputs) {
      await new Promise((r) => setTimeout(r, 2));
      const x = inputs[0];
      runs.push(x.shape[0]);
      const data = x.data as Float32Array;
      if (options.fail?.(data)) throw new HttpError(400, 'bad value');
      const rows = options.rowsOut ? options.rowsOut(x.shape[0]) : x.shape[0];
      const width = x.shape[0] ? data.length / x.shape[0] : 0;
      const y = new Float32Array(rows * width);
      for (let i = 0; i < y.length; i++) y[i] = data[i % data.length] * 2;
      return new Map([['y', { datatype: 'FP32', shape: [rows, ...x.shape.slice(1)], data: y } as HostTensor]]);
    },
  };
  return { runner, runs };
}

const req = (rows: number, width: number, start: number): InferRequest => ({
  inputs: [
    f32(
      [rows, width],
      Array.from({ length: rows * width }, (_, i) => start + i),
    ),
  ],
  outputs: [{ name: 'y', binary: false }],
  rows,
});

const opts = { maxBatchSize: 8, maxQueueDelayMs: 5, batchable: true, outputNames: ['y'] };

test('concurrent requests share a run and get their own rows back', async () => {
  const { runner, runs } = fakeRunner();
  const sizes: number[] = [];
  const b = new DynamicBatcher(runner, { ...opts, onRun: (n) => sizes.push(n) });
  const first = await b.submit(req(1, 2, 0)); // warm-up: alone (no recent batch)
  assert.equal(first.batchSize, 1);
  const results = await Promise.all([1, 2, 3, 4, 5].map((i) => b.submit(req(1, 2, i * 10))));
  results.forEach((r, i) => {
    assert.deepEqual(Array.from(r.outputs.get('y')!.data as Float32Array), [(i + 1) * 20, (i + 1) * 20 + 2]);
    assert.deepEqual(r.outputs.get('y')!.shape, [1, 2]);
    assert.ok(r.queueMs >= 0 && r.inferenceMs > 0);
  });
  assert.ok(Math.max(...sizes) > 1, `batches: ${sizes}`);
  assert.equal(
    runs.reduce((a, b) => a + b, 0),
    6,
  );
  await b.idle();
  assert.equal(b.pending, 0);
});

test('maxBatchSize caps the rows per run; incompatible shapes run separately', async () => {
  const { runner, runs } = fakeRunner();
  const b = new DynamicBatcher(runner, { ...opts, maxBatchSize: 4 });
  const all = await Promise.all([req(3, 2, 0), req(3, 2, 100), req(1, 3, 200), req(2, 2, 300), req(9, 2, 400)].map((r) => b.submit(r)));
  assert.ok(
    runs.every((r) => r <= 4 || r === 9),
    `runs: ${runs}`,
  );
  assert.deepEqual(all[2].outputs.get('y')!.shape, [1, 3]);
  assert.equal((all[4].outputs.get('y')!.data as Float32Array)[17], (400 + 17) * 2);
  assert.equal(
    runs.reduce((a, b) => a + b, 0),
    18,
  );
});

test('with batching off every request runs alone', async () => {
  const { runner, runs } = fakeRunner();
  const b = new DynamicBatcher(runner, { ...opts, batchable: false });
  assert.equal(b.isBatching, false);
  await Promise.all([0, 1, 2, 3].map((i) => b.submit(req(1, 2, i))));
  assert.deepEqual(runs, [1, 1, 1, 1]);
  const one = new DynamicBatcher(fakeRunner().runner, { ...opts, maxBatchSize: 1 });
  assert.equal(one.isBatching, false);
});

test('a failing batch is retried request by request: only the bad request fails', async () => {
  const { runner } = fakeRunner({ fail: (x) => x.includes(666) });
  const b = new DynamicBatcher(runner, opts);
  await b.submit(req(1, 1, 0));
  const settled = await Promise.allSettled([b.submit(req(1, 1, 1)), b.submit(req(1, 1, 666)), b.submit(req(1, 1, 3))]);
  assert.deepEqual(
    settled.map((s) => s.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  assert.match(String((settled[1] as PromiseRejectedResult).reason), /bad value/);
});

test('outputs without the batch rows on dim 0 turn batching off and each request runs alone', async () => {
  const { runner } = fakeRunner({ rowsOut: () => 1 });
  const reasons: string[] = [];
  const b = new DynamicBatcher(runner, { ...opts, onUnbatchable: (r) => reasons.push(r) });
  await b.submit(req(1, 1, 0));
  const all = await Promise.all([b.submit(req(1, 1, 1)), b.submit(req(1, 1, 2)), b.submit(req(1, 1, 3))]);
  assert.deepEqual(
    all.map((r) => (r.outputs.get('y')!.data as Float32Array)[0]),
    [2, 4, 6],
  );
  if (reasons.length) {
    assert.equal(b.isBatching, false);
    assert.match(reasons[0], /output 'y' has shape \[1,1\] for a batch of/);
  }
});

test('a lone client does not wait for companions; a busy queue waits at most maxQueueDelayMs', async () => {
  const { runner } = fakeRunner();
  const b = new DynamicBatcher(runner, { ...opts, maxQueueDelayMs: 200 });
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) await b.submit(req(1, 1, i));
  assert.ok(performance.now() - t0 < 150, 'sequential requests never wait the 200 ms delay');
  // After a batch of 4, a lone request waits for companions, but no longer than the delay.
  await Promise.all([0, 1, 2, 3].map((i) => b.submit(req(1, 1, i))));
  const t1 = performance.now();
  const r = await b.submit(req(1, 1, 9));
  const waited = performance.now() - t1;
  assert.ok(r.queueMs <= 260 && waited < 400, `waited ${waited} ms`);
});
