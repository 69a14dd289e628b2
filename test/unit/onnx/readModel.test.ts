import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OnnxFormatError } from '../../../src/core/onnx/onnxFormatError';
import { bufferSource } from '../../../src/core/onnx/byteSource';
import { readModel, readModelFromSource } from '../../../src/core/onnx/readModel';
import { summarizeModel } from '../../../src/core/onnx/summarizeModel';
import { DataType } from '../../../src/core/onnx/dataTypes';
import { ProtoWriter, attrGraph, attrInt, attrTensor, f32, graph, model, node, valueInfo, type GraphSpec } from './protoWriter';
import { tempDir, type TempDir } from './tempFiles';

let dir: TempDir;
before(async () => {
  dir = await tempDir();
});
after(async () => {
  await dir.remove();
});

async function rejects(promise: Promise<unknown>, message: RegExp, offset?: number): Promise<OnnxFormatError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof OnnxFormatError, `expected OnnxFormatError, got ${String(caught)}`);
  assert.match(caught.message, message);
  if (offset !== undefined) assert.equal(caught.offset, offset);
  return caught;
}

/** A graph whose If node nests `depth` levels of then_branch subgraphs. */
function nestedIf(depth: number): GraphSpec {
  let inner: GraphSpec = { name: `level${depth}`, nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'] }] };
  for (let level = depth - 1; level >= 1; level--) {
    const sub = inner;
    inner = {
      name: `level${level}`,
      nodes: [{ opType: 'If', inputs: ['c'], outputs: ['y'], attributes: [attrGraph('then_branch', graph(sub))] }],
    };
  }
  return inner;
}

describe('readModel on synthetic models', () => {
  it('reads metadata, signature with symbolic and unknown dims, and non-tensor types', async () => {
    const seqType = (w: ProtoWriter): void => {
      w.bytes(1, 'tokens');
      w.message(2, (t) => t.message(4, (seq) => seq.message(1, (e) => e.message(1, (tt) => tt.varint(1, DataType.INT64)))));
    };
    const mapType = (w: ProtoWriter): void => {
      w.bytes(1, 'probs');
      w.message(2, (t) =>
        t.message(5, (m) => m.varint(1, DataType.STRING).message(2, (v) => v.message(1, (tt) => tt.varint(1, DataType.FLOAT)))),
      );
    };
    const optType = (w: ProtoWriter): void => {
      w.bytes(1, 'maybe');
      w.message(2, (t) => t.message(9, (o) => o.message(1, (e) => e.message(1, (tt) => tt.varint(1, DataType.FLOAT8E4M3FN)))));
    };
    const bytes = model({
      irVersion: 10,
      opsets: [
        ['', 21],
        ['com.microsoft', 1],
      ],
      metadata: { author: 'me' },
      graph: {
        name: 'main',
        nodes: [{ opType: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
        initializers: [{ name: 'w', dataType: DataType.FLOAT, dims: [4, 2], raw: f32([1, 2, 3, 4, 5, 6, 7, 8]) }],
        inputs: [valueInfo('x', DataType.FLOAT, ['batch', null, 4]), valueInfo('w', DataType.FLOAT, [4, 2]), seqType, optType],
        outputs: [valueInfo('y', DataType.FLOAT16), mapType],
      },
    });
    const path = await dir.write('meta.onnx', bytes);
    const s = await summarizeModel(path);
    assert.equal(s.irVersion, 10);
    assert.equal(s.producerName, 'mlw-test');
    assert.deepEqual(s.opsetImports, [
      { domain: 'ai.onnx', version: 21 },
      { domain: 'com.microsoft', version: 1 },
    ]);
    assert.deepEqual(s.metadataProps, [{ key: 'author', value: 'me' }]);
    assert.deepEqual(
      s.inputs.map((v) => [v.name, v.type, v.shape]),
      [
        ['x', 'tensor(float)', ['batch', null, 4]],
        ['tokens', 'seq(tensor(int64))', undefined],
        ['maybe', 'optional(tensor(float8e4m3fn))', undefined],
      ],
    );
    assert.deepEqual(
      s.outputs.map((v) => [v.name, v.type, v.elemTypeName, v.shape]),
      [
        ['y', 'tensor(float16)', 'float16', undefined],
        ['probs', 'map(string,tensor(float))', undefined, undefined],
      ],
    );
    assert.equal(s.initializerCount, 1);
    assert.equal(s.parameterCount, 8);
    assert.equal(s.parameterBytes, 32);
    assert.equal(s.fileSize, bytes.length);
    assert.ok(s.bytesRead <= bytes.length + 64);
  });

  it('counts weights in Constant nodes, subgraphs, sparse initializers and functions', async () => {
    const thenBranch: GraphSpec = {
      name: 'then',
      nodes: [
        {
          opType: 'Constant',
          outputs: ['k'],
          attributes: [attrTensor('value', { name: 'k', dataType: DataType.FLOAT16, dims: [10], int32Data: new Array(10).fill(15360) })],
        },
      ],
      initializers: [{ name: 'b', dataType: DataType.INT8, dims: [3, 3], raw: new Uint8Array(9) }],
    };
    const elseBranch: GraphSpec = { name: 'else', nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['k'] }] };
    const fn = (w: ProtoWriter): void => {
      w.bytes(1, 'MyFn');
      w.bytes(4, 'a');
      w.bytes(5, 'b');
      w.message(
        7,
        node({
          opType: 'Constant',
          outputs: ['c'],
          attributes: [attrTensor('value', { name: 'c', dataType: DataType.INT64, dims: [2], int64Data: [1, 2] })],
        }),
      );
      w.message(7, node({ opType: 'Add', inputs: ['a', 'c'], outputs: ['b'] }));
      w.bytes(10, 'local');
    };
    const bytes = model({
      opsets: [
        ['', 17],
        ['local', 1],
      ],
      functions: [fn],
      graph: {
        nodes: [
          {
            opType: 'Constant',
            outputs: ['w'],
            attributes: [attrTensor('value', { name: 'w', dataType: DataType.FLOAT, dims: [2, 3], floatData: [1, 2, 3, 4, 5, 6] })],
          },
          {
            opType: 'If',
            inputs: ['cond'],
            outputs: ['k'],
            attributes: [attrGraph('then_branch', graph(thenBranch)), attrGraph('else_branch', graph(elseBranch))],
          },
          { opType: 'MyFn', domain: 'local', inputs: ['k'], outputs: ['z'] },
        ],
        initializers: [{ name: 'u', dataType: DataType.UINT8, dims: [5], raw: new Uint8Array(5) }],
        sparseInitializers: [
          {
            values: { name: 'sp', dataType: DataType.FLOAT, dims: [3], floatData: [1, 2, 3] },
            indices: { name: 'sp_idx', dataType: DataType.INT64, dims: [3], int64Data: [0, 5, 9] },
            dims: [100],
          },
        ],
        inputs: [valueInfo('cond', DataType.BOOL, [])],
        outputs: [valueInfo('z', DataType.FLOAT16, [10])],
      },
    });
    const path = await dir.write('weights.onnx', bytes);
    const s = await summarizeModel(path);
    // 6 (Constant) + 10 (Constant in then) + 9 (then initializer) + 5 (initializer) + 3 (sparse values) + 2 (function Constant)
    assert.equal(s.parameterCount, 35);
    assert.deepEqual(
      s.parametersByDtype.map((d) => [d.dtype, d.tensors, d.elements, d.bytes]),
      [
        ['float', 2, 9, 36],
        ['float16', 1, 10, 20],
        ['int64', 1, 2, 16],
        ['int8', 1, 9, 9],
        ['uint8', 1, 5, 5],
      ],
    );
    assert.equal(s.parameterBytes, 86);
    assert.equal(s.attributeTensorCount, 3);
    assert.equal(s.nodeCount, 5);
    assert.equal(s.subgraphCount, 2);
    assert.deepEqual(s.operators, [
      { domain: 'ai.onnx', opType: 'Constant', count: 2 },
      { domain: 'ai.onnx', opType: 'Identity', count: 1 },
      { domain: 'ai.onnx', opType: 'If', count: 1 },
      { domain: 'local', opType: 'MyFn', count: 1 },
    ]);
    assert.deepEqual(s.functions, [{ name: 'MyFn', domain: 'local', nodeCount: 2, inputs: ['a'], outputs: ['b'] }]);
    assert.deepEqual(s.sparseInitializers, [{ name: 'sp', dtype: 'float', dims: [100], nnz: 3 }]);
    assert.equal(s.sparseInitializerCount, 1);
    assert.deepEqual(
      s.inputs.map((v) => v.shape),
      [[]],
    );
  });

  it('accepts 64 levels of graphs and rejects 65 with the offset', async () => {
    const ok = await dir.write('nest64.onnx', model({ graph: nestedIf(64) }));
    const s = await summarizeModel(ok);
    assert.equal(s.nodeCount, 64);
    assert.equal(s.subgraphCount, 63);
    const deep = await dir.write('nest65.onnx', model({ graph: nestedIf(65) }));
    await summarizeModel(deep).then(
      () => assert.fail('no error'),
      (error: unknown) => {
        assert.ok(error instanceof OnnxFormatError);
        assert.match(error.message, /subgraphs nested deeper than 64 levels at offset \d+/);
        assert.ok(error.offset > 0);
      },
    );
    // A lower limit through options.
    await rejects(readModel(ok, { limits: { maxGraphDepth: 8 } }), /subgraphs nested deeper than 8 levels/);
  });

  it('rejects deeply nested types without recursion (10,000 levels of seq)', async () => {
    let type = new ProtoWriter().message(1, (tt) => tt.varint(1, 1)).finish();
    for (let i = 0; i < 10_000; i++) type = new ProtoWriter().message(4, (seq) => seq.bytes(1, type)).finish();
    const vi = (w: ProtoWriter): void => {
      w.bytes(1, 'x').bytes(2, type);
    };
    const path = await dir.write('deeptype.onnx', model({ graph: { inputs: [vi] } }));
    await rejects(readModel(path), /messages nested deeper than 256 levels at offset \d+/);
  });

  it('names the offset and the field path when a length exceeds the file (truncated file)', async () => {
    const bytes = model({
      graph: { initializers: [{ name: 'w', dataType: DataType.FLOAT, dims: [256], raw: f32(new Array(256).fill(1)) }] },
    });
    const path = await dir.write('truncated.onnx', bytes.subarray(0, 600));
    const error = await rejects(readModel(path), /length \d+ at offset \d+ exceeds end of file at 600 \(in ModelProto\)/);
    assert.ok(error.offset < 600);
    // Cut inside the initializer: the graph's length is checked first, so the error names the graph field.
    for (let cut = 1; cut < bytes.length; cut += 37) {
      const p = await dir.write('cut.onnx', bytes.subarray(0, cut));
      await readModel(p).then(
        () => undefined,
        (e: unknown) => assert.ok(e instanceof OnnxFormatError, `cut ${cut}: ${String(e)}`),
      );
    }
  });

  it('reports a length inside a message that exceeds the message with both offsets', async () => {
    // A GraphProto (field 7) of 10 bytes whose node claims 50 bytes.
    const bytes = Uint8Array.from([0x08, 0x08, 0x3a, 10, 0x0a, 50, ...new Array(8).fill(0)]);
    const path = await dir.write('inner.onnx', bytes);
    await rejects(readModel(path), /^length 50 at offset 5 exceeds end of message at 14 \(in ModelProto > ModelProto\.graph\)$/, 5);
  });

  it('rejects a truncated varint at the end of the file', async () => {
    const path = await dir.write('varint.onnx', Uint8Array.from([0x08, 0x08, 0x28, 0x80]));
    await rejects(readModel(path), /truncated varint at offset 3: end of file at 4/, 3);
  });

  it('rejects non-ONNX files with the reason', async () => {
    const cases: [string, Uint8Array | string, RegExp][] = [
      ['empty.onnx', new Uint8Array(0), /not an ONNX model: empty file/],
      ['model.pt', Uint8Array.from([0x50, 0x4b, 3, 4, 0, 0, 0, 0]), /zip archive/],
      ['model.pkl', Uint8Array.from([0x80, 4, 0x95, 0, 0, 0]), /pickle/],
      ['model.json', '{"a": 1}', /JSON text/],
      ['model.ort', Uint8Array.from([0x18, 0, 0, 0, 0x4f, 0x52, 0x54, 0x4d, 0, 0]), /ORT format models are not supported/],
    ];
    for (const [name, bytes, message] of cases) await rejects(readModel(await dir.write(name, bytes)), message, 0);
  });

  it('caps strings, packed lists and items; honours an abort signal', async () => {
    const long = 'x'.repeat(2000);
    const bytes = model({ graph: { name: long, nodes: [{ opType: 'Relu', inputs: ['a'], outputs: ['b'] }] } });
    const m = (await readModelFromSource(bufferSource(bytes), '/virtual/m.onnx', { limits: { maxStringBytes: 100 } })).model;
    assert.match(m.graph.name, /^<2000 bytes at offset \d+>$/);
    await rejects(readModelFromSource(bufferSource(bytes), '/virtual/m.onnx', { limits: { maxItems: 3 } }), /more than 3 items/);
    const packed = model({
      graph: { nodes: [{ opType: 'Pad', attributes: [(w) => w.bytes(1, 'pads').packedVarints(8, new Array(100).fill(1))] }] },
    });
    await rejects(
      readModelFromSource(bufferSource(packed), '/v.onnx', { limits: { maxPackedBytes: 50 } }),
      /packed ints of 100 bytes exceeds the limit of 50/,
    );
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(readModelFromSource(bufferSource(bytes), '/v.onnx', { signal: controller.signal }), { name: 'AbortError' });
  });

  it('reads int64 attributes beyond 2^53 as bigint and old attributes without a type', async () => {
    const bytes = model({
      graph: {
        nodes: [{ opType: 'Slice', attributes: [attrInt('ends', 2n ** 63n - 1n), (w) => w.bytes(1, 'axis').varint(3, -1)] }],
      },
    });
    const m = (await readModelFromSource(bufferSource(bytes), '/v.onnx')).model;
    const [ends, axis] = m.graph.nodes[0].attributes;
    assert.equal(ends.i, 2n ** 63n - 1n);
    assert.equal(axis.i, -1);
    assert.equal(axis.type, 0);
  });

  it('skips unknown fields of every wire type, and typed values with the wrong wire type', async () => {
    const w = new ProtoWriter();
    w.varint(1, 9).varint(99, 5).double(98, 1).float(97, 1).bytes(96, 'junk');
    w.message(7, (g) => {
      g.bytes(2, 'g').varint(50, 1);
      g.message(5, (t) => t.varint(2, 1).packedVarints(1, [2]).bytes(8, 'w').varint(4, 7).float(4, 1.5).float(4, 2.5));
    });
    const m = (await readModelFromSource(bufferSource(w.finish()), '/v.onnx')).model;
    assert.equal(m.irVersion, 9);
    const t = m.graph.initializers[0];
    assert.deepEqual(t.dims, [2]);
    assert.equal(t.payload.length, 1, 'the two unpacked floats form one run; the varint float_data is ignored');
    assert.equal(t.payload[0].count, 2);
  });
});
