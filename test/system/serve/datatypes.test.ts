/**
 * Every protocol datatype through the real server, with ONNX backend corpus models whose inputs or outputs have that
 * type: JSON requests and responses, and the binary tensor data extension both ways. Answers must equal an
 * in-process session.run on the same inputs exactly, and the corpus's expected outputs (numerics within 1e-6).
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { startServer, type RunningServer } from '../../../src/core/serve/startServer';
import { decodeFloat16, encodeFloat16 } from '../../../src/core/onnx/float16';
import { silentLogger } from '../../../src/core/logger';
import { CORPUS_DIR, hasCorpus, needs, pythonHas } from '../../support/requires';
import {
  binaryBody,
  corpusCases,
  destroyAgent,
  parseBinaryResponse,
  postJson,
  request,
  type CorpusCase,
  type CorpusTensor,
} from './fixtures';

const MODELS = [
  'node/test_cast_FLOAT16_to_FLOAT', // FP16 in
  'node/test_cast_FLOAT_to_FLOAT16', // FP16 out
  'node/test_cast_DOUBLE_to_FLOAT', // FP64 in
  'node/test_cast_FLOAT_to_DOUBLE', // FP64 out
  'node/test_and2d', // BOOL
  'node/test_max_int8',
  'node/test_mod_mixed_sign_int16', // ORT has no int16 Max
  'node/test_max_int32',
  'node/test_max_int64',
  'node/test_max_uint8',
  'node/test_mod_uint16',
  'node/test_max_uint32',
  'node/test_max_uint64',
  'node/test_cast_STRING_to_FLOAT', // BYTES in
  'node/test_cast_FLOAT_to_STRING', // BYTES out
];

const DTYPE: Record<string, { dt: string; ort: ort.Tensor.Type; size: number }> = {
  bool: { dt: 'BOOL', ort: 'bool', size: 1 },
  uint8: { dt: 'UINT8', ort: 'uint8', size: 1 },
  uint16: { dt: 'UINT16', ort: 'uint16', size: 2 },
  uint32: { dt: 'UINT32', ort: 'uint32', size: 4 },
  uint64: { dt: 'UINT64', ort: 'uint64', size: 8 },
  int8: { dt: 'INT8', ort: 'int8', size: 1 },
  int16: { dt: 'INT16', ort: 'int16', size: 2 },
  int32: { dt: 'INT32', ort: 'int32', size: 4 },
  int64: { dt: 'INT64', ort: 'int64', size: 8 },
  float16: { dt: 'FP16', ort: 'float16', size: 2 },
  float32: { dt: 'FP32', ort: 'float32', size: 4 },
  float64: { dt: 'FP64', ort: 'float64', size: 8 },
  object: { dt: 'BYTES', ort: 'string', size: 0 },
};

const HAS_PY = pythonHas('onnx');
let server: Promise<RunningServer> | undefined;
let cases: Record<string, CorpusCase> | undefined;
const nameOf = (m: string) => m.replace('node/test_', '');

function ready(t: TestContext): boolean {
  return (
    needs(t, 'libonnx-testdata', hasCorpus(), 'apt-get install libonnx-testdata') &&
    needs(t, 'python3-onnx', HAS_PY, 'apt-get install python3-onnx')
  );
}

function setup(): Promise<RunningServer> {
  cases ??= corpusCases(MODELS);
  server ??= startServer(
    { models: MODELS.map((m) => ({ name: nameOf(m), path: path.join(CORPUS_DIR, m, 'model.onnx') })), port: 0 },
    silentLogger,
  );
  return server;
}

after(async () => {
  if (server) await (await server).close();
  destroyAgent();
});

const nonFinite = (v: unknown) => (v === 'nan' ? 'NaN' : v === 'inf' ? 'Infinity' : v === '-inf' ? '-Infinity' : v);

/** Corpus values -> the JSON the protocol takes (64-bit integers stay decimal strings: exact). */
function jsonData(t: CorpusTensor): unknown[] {
  return t.data.map(nonFinite);
}

/** Independent little-endian encoder for binary requests (BYTES: 4-byte length prefix). */
function toBytes(t: CorpusTensor): Buffer {
  const info = DTYPE[t.dtype];
  if (info.dt === 'BYTES')
    return Buffer.concat((t.data as string[]).flatMap((s) => [Buffer.from(Uint32Array.of(Buffer.byteLength(s)).buffer), Buffer.from(s)]));
  const b = Buffer.alloc(t.data.length * info.size);
  t.data.forEach((raw, i) => {
    const v = nonFinite(raw);
    const num = v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : (v as number);
    const o = i * info.size;
    switch (info.dt) {
      case 'BOOL':
        return void b.writeUInt8(v ? 1 : 0, o);
      case 'UINT8':
        return void b.writeUInt8(num, o);
      case 'INT8':
        return void b.writeInt8(num, o);
      case 'UINT16':
        return void b.writeUInt16LE(num, o);
      case 'INT16':
        return void b.writeInt16LE(num, o);
      case 'UINT32':
        return void b.writeUInt32LE(num, o);
      case 'INT32':
        return void b.writeInt32LE(num, o);
      case 'UINT64':
        return void b.writeBigUInt64LE(BigInt(v as string), o);
      case 'INT64':
        return void b.writeBigInt64LE(BigInt(v as string), o);
      case 'FP16':
        return void b.writeUInt16LE(encodeFloat16(num), o);
      case 'FP32':
        return void b.writeFloatLE(num, o);
      case 'FP64':
        return void b.writeDoubleLE(num, o);
    }
  });
  return b;
}

/** In-process ORT tensor of a corpus tensor. */
function ortTensor(t: CorpusTensor): ort.Tensor {
  const info = DTYPE[t.dtype];
  const bytes = toBytes(t);
  const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const data: Record<string, () => ort.Tensor.DataType> = {
    BOOL: () => new Uint8Array(copy),
    UINT8: () => new Uint8Array(copy),
    INT8: () => new Int8Array(copy),
    UINT16: () => new Uint16Array(copy),
    INT16: () => new Int16Array(copy),
    FP16: () => new Uint16Array(copy),
    UINT32: () => new Uint32Array(copy),
    INT32: () => new Int32Array(copy),
    FP32: () => new Float32Array(copy),
    UINT64: () => new BigUint64Array(copy),
    INT64: () => new BigInt64Array(copy),
    FP64: () => new Float64Array(copy),
    BYTES: () => t.data as string[],
  };
  return new ort.Tensor(info.ort, data[info.dt](), t.shape);
}

/** A tensor's values as JSON would carry them: numbers (non-finite as strings), booleans, strings, exact integers. */
function canonical(dt: string, data: ort.Tensor.DataType): unknown[] {
  const arr = Array.from(data as ArrayLike<unknown>);
  return arr.map((v) => {
    if (dt === 'BOOL') return Boolean(v);
    if (typeof v === 'bigint') return v.toString();
    if (dt === 'FP16') v = decodeFloat16(v as number);
    if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    return v;
  });
}

/** Reads a binary output independently of the server code. */
function fromBytes(dt: string, b: Buffer): unknown[] {
  const out: unknown[] = [];
  const size = Object.values(DTYPE).find((d) => d.dt === dt)!.size;
  if (dt === 'BYTES') {
    for (let o = 0; o < b.length;) {
      const n = b.readUInt32LE(o);
      out.push(b.toString('utf8', o + 4, o + 4 + n));
      o += 4 + n;
    }
    return out;
  }
  for (let o = 0; o < b.length; o += size) {
    const read: Record<string, () => unknown> = {
      BOOL: () => b[o] !== 0,
      UINT8: () => b.readUInt8(o),
      INT8: () => b.readInt8(o),
      UINT16: () => b.readUInt16LE(o),
      INT16: () => b.readInt16LE(o),
      UINT32: () => b.readUInt32LE(o),
      INT32: () => b.readInt32LE(o),
      UINT64: () => b.readBigUInt64LE(o).toString(),
      INT64: () => b.readBigInt64LE(o).toString(),
      FP16: () => decodeFloat16(b.readUInt16LE(o)),
      FP32: () => b.readFloatLE(o),
      FP64: () => b.readDoubleLE(o),
    };
    out.push(read[dt]());
  }
  return canonical(dt === 'FP16' ? 'FP32' : dt, out as unknown as ort.Tensor.DataType);
}

/** JSON output values, with integers as exact strings (the server writes exact integer literals). */
function jsonValues(dt: string, data: unknown[], raw: string, outputIndex: number): unknown[] {
  if (dt !== 'INT64' && dt !== 'UINT64') return data;
  const m = raw.match(/"data":\[([^\]]*)\]/g)![outputIndex];
  return m
    .slice(8, -1)
    .split(',')
    .filter((s) => s.length);
}

for (const model of MODELS) {
  test(`datatypes: ${nameOf(model)} over JSON and binary`, async (t) => {
    if (!ready(t)) return;
    const { url } = await setup();
    const c = cases![model];
    const session = await ort.InferenceSession.create(c.model, { logSeverityLevel: 3 });
    const feeds: Record<string, ort.Tensor> = {};
    for (const i of c.inputs) feeds[i.name] = ortTensor(i);
    const expected = await session.run(feeds);
    await session.release();
    const inputs = c.inputs.map((i) => ({ name: i.name, shape: i.shape, datatype: DTYPE[i.dtype].dt }));

    // JSON both ways.
    const r = await postJson(`${url}/v2/models/${nameOf(model)}/infer`, {
      inputs: inputs.map((i, k) => ({ ...i, data: jsonData(c.inputs[k]) })),
    });
    assert.equal(r.status, 200, r.body.toString());
    c.outputs.forEach((o, k) => {
      const out = r.json.outputs[k];
      const dt = DTYPE[o.dtype].dt;
      assert.equal(out.name, o.name);
      assert.equal(out.datatype, dt);
      assert.deepEqual(out.shape, o.shape);
      const got = jsonValues(dt, out.data, r.body.toString(), k);
      assert.deepEqual(got, canonical(dt, expected[o.name].data), `${model} JSON output equals in-process ORT`);
      if (dt !== 'BYTES') {
        got.forEach((v, i) => {
          const e = nonFinite(o.data[i]);
          if (typeof v === 'number' && typeof e === 'number')
            assert.ok(Math.abs(v - e) <= 1e-6 * Math.max(1, Math.abs(e)), `${model}[${i}]: ${v} vs ${e}`);
          else assert.equal(String(v), String(e), `${model}[${i}]`);
        });
      }
    });

    // Binary both ways.
    const { body, headers } = binaryBody(
      {
        inputs: inputs.map((i, k) => ({ ...i, parameters: { binary_data_size: toBytes(c.inputs[k]).length } })),
        parameters: { binary_data_output: true },
      },
      c.inputs.map(toBytes),
    );
    const b = await request(`${url}/v2/models/${nameOf(model)}/infer`, { method: 'POST', body, headers });
    assert.equal(b.status, 200, b.body.toString());
    assert.equal(b.headers['content-type'], 'application/octet-stream');
    const { json, blobs } = parseBinaryResponse(b);
    c.outputs.forEach((o, k) => {
      const dt = DTYPE[o.dtype].dt;
      assert.equal(json.outputs[k].data, undefined);
      assert.deepEqual(fromBytes(dt, blobs.get(o.name)!), canonical(dt, expected[o.name].data), `${model} binary output`);
    });
  });
}

test('binary extension: mixed JSON and binary inputs, per-output binary_data, errors', async (t) => {
  if (!ready(t)) return;
  const { url } = await setup();
  const c = cases!['node/test_max_int32'];
  const [a, b] = c.inputs;
  const ab = toBytes(a);
  const mixed = binaryBody(
    {
      inputs: [
        { name: a.name, shape: a.shape, datatype: 'INT32', parameters: { binary_data_size: ab.length } },
        { name: b.name, shape: b.shape, datatype: 'INT32', data: b.data },
      ],
      outputs: [{ name: 'result', parameters: { binary_data: true } }],
    },
    [ab],
  );
  const r = await request(`${url}/v2/models/max_int32/infer`, { method: 'POST', ...mixed });
  assert.equal(r.status, 200, r.body.toString());
  const { json, blobs } = parseBinaryResponse(r);
  assert.deepEqual(json.outputs[0].parameters, { binary_data_size: 12 });
  assert.deepEqual(fromBytes('INT32', blobs.get('result')!), c.outputs[0].data);
  // binary_data_output with a per-output false: JSON response.
  const plain = binaryBody(
    {
      inputs: [
        { name: a.name, shape: a.shape, datatype: 'INT32', parameters: { binary_data_size: ab.length } },
        { name: b.name, shape: b.shape, datatype: 'INT32', data: b.data },
      ],
      parameters: { binary_data_output: true },
      outputs: [{ name: 'result', parameters: { binary_data: false } }],
    },
    [ab],
  );
  const p = await request(`${url}/v2/models/max_int32/infer`, { method: 'POST', ...plain });
  assert.equal(p.headers['content-type'], 'application/json');
  assert.equal(p.headers['inference-header-content-length'], undefined);
  assert.deepEqual(p.json.outputs[0].data, c.outputs[0].data);
  // Wrong binary sizes.
  const short = binaryBody(
    {
      inputs: [
        { name: a.name, shape: a.shape, datatype: 'INT32', parameters: { binary_data_size: 8 } },
        { name: b.name, shape: b.shape, datatype: 'INT32', data: b.data },
      ],
    },
    [ab.subarray(0, 8)],
  );
  const s = await request(`${url}/v2/models/max_int32/infer`, { method: 'POST', ...short });
  assert.equal(s.status, 400);
  assert.match(s.json.error, /binary_data_size is 8 bytes but shape and datatype INT32 need 12/);
  const extra = binaryBody(
    {
      inputs: [
        { name: a.name, shape: a.shape, datatype: 'INT32', data: a.data },
        { name: b.name, shape: b.shape, datatype: 'INT32', data: b.data },
      ],
    },
    [Buffer.alloc(3)],
  );
  const e = await request(`${url}/v2/models/max_int32/infer`, { method: 'POST', ...extra });
  assert.equal(e.status, 400);
  assert.match(e.json.error, /3 bytes of binary data that no input's binary_data_size accounts for/);
});
