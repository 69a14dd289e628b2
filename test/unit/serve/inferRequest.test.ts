import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInferRequest, type ModelSignature } from '../../../src/core/serve/inferRequest';
import { HttpError } from '../../../src/core/serve/httpError';

const model: ModelSignature = {
  name: 'm',
  inputs: [
    { name: 'x', datatype: 'FP32', shape: [-1, 2] },
    { name: 'ids', datatype: 'INT64', shape: [-1, 3] },
  ],
  outputs: [
    { name: 'y', datatype: 'FP32', shape: [-1, 2] },
    { name: 'z', datatype: 'INT64', shape: [-1] },
  ],
};
const none = Buffer.alloc(0);
const x = { name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] };
const ids = { name: 'ids', datatype: 'INT64', shape: [1, 3], data: [1, 2, 3] };
const is400 = (re: RegExp) => (e: unknown) => e instanceof HttpError && e.status === 400 && re.test(e.message);
const parse = (body: unknown, binary = none) => parseInferRequest(model, body, binary);

test('a valid request: inputs in model order, every output by default, rows from dim 0', () => {
  const r = parse({ id: '7', inputs: [ids, x] });
  assert.equal(r.id, '7');
  assert.deepEqual(
    r.inputs.map((t) => t.datatype),
    ['FP32', 'INT64'],
  );
  assert.deepEqual(r.outputs, [
    { name: 'y', binary: false },
    { name: 'z', binary: false },
  ]);
  assert.equal(r.rows, 1);
  const b = parse({
    inputs: [x, ids],
    parameters: { binary_data_output: true },
    outputs: [{ name: 'z' }, { name: 'y', parameters: { binary_data: false } }],
  });
  assert.deepEqual(b.outputs, [
    { name: 'z', binary: true },
    { name: 'y', binary: false },
  ]);
  assert.equal(b.id, undefined);
});

test('binary inputs are taken from the binary section in order', () => {
  const xb = Buffer.alloc(8);
  xb.writeFloatLE(1.5, 0);
  xb.writeFloatLE(-1, 4);
  const ib = Buffer.alloc(24);
  ib.writeBigInt64LE(2n ** 60n, 0);
  const r = parse(
    {
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [1, 2], parameters: { binary_data_size: 8 } },
        { name: 'ids', datatype: 'INT64', shape: [1, 3], parameters: { binary_data_size: 24 } },
      ],
    },
    Buffer.concat([xb, ib]),
  );
  assert.deepEqual(Array.from(r.inputs[0].data as Float32Array), [1.5, -1]);
  assert.equal((r.inputs[1].data as BigInt64Array)[0], 2n ** 60n);
});

test('malformed requests are 400 with a precise message', () => {
  assert.throws(() => parse([]), is400(/must be a JSON object/));
  assert.throws(() => parse({ inputs: {} }), is400(/"inputs" must be an array/));
  assert.throws(() => parse({ id: 5, inputs: [x, ids] }), is400(/"id" must be a string/));
  assert.throws(
    () => parse({ inputs: [x, ids, { ...x, name: 'nope' }] }),
    is400(/unexpected input 'nope' for model 'm'; it expects 'x', 'ids'/),
  );
  assert.throws(() => parse({ inputs: [x] }), is400(/expects 2 inputs; missing 'ids'/));
  assert.throws(() => parse({ inputs: [x, x, ids] }), is400(/input 'x' appears more than once/));
  assert.throws(() => parse({ inputs: [{ ...x, datatype: 'FP64' }, ids] }), is400(/datatype is FP64 but model 'm' expects FP32/));
  assert.throws(() => parse({ inputs: [{ ...x, datatype: 'FLOAT' }, ids] }), is400(/unknown datatype "FLOAT"/));
  assert.throws(() => parse({ inputs: [{ ...x, shape: [2] }, ids] }), is400(/shape \[2\] does not match the model's \[-1,2\]/));
  assert.throws(() => parse({ inputs: [{ ...x, shape: [1, 3] }, ids] }), is400(/does not match/));
  assert.throws(() => parse({ inputs: [{ ...x, shape: [-1, 2] }, ids] }), is400(/non-negative integers/));
  assert.throws(() => parse({ inputs: [{ ...x, shape: '1,2' }, ids] }), is400(/"shape" must be an array/));
  assert.throws(() => parse({ inputs: [{ ...x, data: [1, 2, 3] }, ids] }), is400(/needs 2 elements but "data" has 3/));
  assert.throws(() => parse({ inputs: [{ ...x, data: undefined }, ids] }), is400(/needs "data" or parameters.binary_data_size/));
  assert.throws(() => parse({ inputs: [{ ...x, parameters: 3 }, ids] }), is400(/"parameters" must be an object/));
  assert.throws(() => parse({ inputs: [x, ids], outputs: [{ name: 'w' }] }), is400(/unexpected output 'w'/));
  assert.throws(() => parse({ inputs: [x, ids], outputs: [{ name: 'y' }, { name: 'y' }] }), is400(/requested more than once/));
  assert.throws(
    () => parse({ inputs: [x, ids], outputs: [{ name: 'y', parameters: { binary_data: 'yes' } }] }),
    is400(/binary_data must be a boolean/),
  );
  assert.throws(
    () => parse({ inputs: [x, ids] }, Buffer.alloc(4)),
    is400(/4 bytes of binary data that no input's binary_data_size accounts for/),
  );
  const bx = { ...x, data: undefined, parameters: { binary_data_size: 8 } };
  assert.throws(() => parse({ inputs: [bx, ids] }, Buffer.alloc(4)), is400(/binary_data_size 8 runs past the 4 bytes/));
  assert.throws(() => parse({ inputs: [{ ...bx, data: [1, 2] }, ids] }, Buffer.alloc(8)), is400(/both "data" and binary_data_size/));
  assert.throws(
    () => parse({ inputs: [{ ...bx, parameters: { binary_data_size: -8 } }, ids] }, Buffer.alloc(8)),
    is400(/non-negative integer/),
  );
  assert.throws(() => parse({ inputs: [{ ...x, shape: [2 ** 20, 2 ** 20] }, ids] }), is400(/does not match|more than 2\^31/));
});
