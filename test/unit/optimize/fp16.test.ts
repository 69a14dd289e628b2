/**
 * The fp16 recipe's parts: the float32-bits-to-float16 conversion against encodeFloat16, the plan on a graph that
 * mixes converted ops, float32-only ops (Range, a user-kept Softmax), a Cast(to=FLOAT), a Constant, a graph output
 * that is also read inside the graph and a value_info entry; the rewritten file read back and run in
 * onnxruntime-node against the float32 model; and the one-line refusals.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataType } from '../../../src/core/onnx/dataTypes';
import { encodeFloat16 } from '../../../src/core/onnx/float16';
import { readModel } from '../../../src/core/onnx/readModel';
import { summarizeModel } from '../../../src/core/onnx/summarizeModel';
import { checkFp16, convertToFp16 } from '../../../src/core/optimize/fp16Recipe';
import { Fp16Error, planFp16 } from '../../../src/core/optimize/fp16Plan';
import { float32BitsToFloat16 } from '../../../src/core/optimize/fp16Tensors';
import { attrFloat, attrGraph, attrInt, attrTensor, f32, graph, model, valueInfo, type GraphSpec } from '../onnx/protoWriter';
import { runOnFloat32 } from '../onnx/runModel';
import { tempDir, type TempDir } from '../onnx/tempFiles';

const { FLOAT, FLOAT16, INT64 } = DataType;
let dir: TempDir;
let source: string;
const W = Array.from({ length: 16 }, (_, i) => ((i * 7) % 11) / 10 - 0.5);

/** x[2,4] · W -> h (also a graph output); Softmax(h) kept float32 by the user; + Range(0, 4, 1) (float32-only);
 * Cast(to=FLOAT) retargeted; · a Constant -> y. value_info for h and s. */
const spec: GraphSpec = {
  nodes: [
    { opType: 'MatMul', name: 'mm', inputs: ['x', 'W'], outputs: ['h'] },
    { opType: 'Softmax', name: 'sm', inputs: ['h'], outputs: ['s'], attributes: [attrInt('axis', -1)] },
    { opType: 'Range', name: 'range', inputs: ['start', 'limit', 'delta'], outputs: ['r'] },
    { opType: 'Add', name: 'add', inputs: ['s', 'r'], outputs: ['a'] },
    { opType: 'Cast', name: 'cast', inputs: ['a'], outputs: ['c'], attributes: [attrInt('to', FLOAT)] },
    {
      opType: 'Constant',
      name: 'k',
      outputs: ['k'],
      attributes: [attrTensor('value', { name: 'k', dataType: FLOAT, dims: [4], raw: f32([0.5, 1, 1.5, 2]) })],
    },
    { opType: 'Mul', name: 'mul', inputs: ['c', 'k'], outputs: ['m'] },
    { opType: 'Mul', name: 'scale', inputs: ['m', 'two'], outputs: ['y'] },
  ],
  initializers: [
    { name: 'W', dataType: FLOAT, dims: [4, 4], raw: f32(W) },
    { name: 'start', dataType: FLOAT, dims: [], raw: f32([0]) },
    { name: 'limit', dataType: FLOAT, dims: [], raw: f32([4]) },
    { name: 'delta', dataType: FLOAT, dims: [], raw: f32([1]) },
    { name: 'two', dataType: FLOAT, dims: [], floatData: [2] },
  ],
  inputs: [valueInfo('x', FLOAT, ['batch', 4])],
  outputs: [valueInfo('y', FLOAT, ['batch', 4]), valueInfo('h', FLOAT, ['batch', 4])],
};

before(async () => {
  dir = await tempDir('mlw-fp16-');
  source = join(dir.path, 'mixed.onnx');
  await writeFile(
    source,
    model({
      graph: (w) => {
        graph(spec)(w);
        w.message(13, valueInfo('h', FLOAT, ['batch', 4]));
        w.message(13, valueInfo('s', FLOAT, ['batch', 4]));
      },
    }),
  );
});
after(async () => {
  await dir.remove();
});

async function run(path: string, x: number[]): Promise<{ y: Float32Array; h: Float32Array; types: string[] }> {
  const out = await runOnFloat32(path, 'x', x, [2, 4], { graphOptimizationLevel: 'disabled' });
  return { y: out.y.data as Float32Array, h: out.h.data as Float32Array, types: [out.y.type, out.h.type] };
}

describe('float32BitsToFloat16', () => {
  it('rounds as encodeFloat16 does, on edge values and a million random bit patterns', () => {
    const bits = new Uint32Array(1);
    const asFloat = new Float32Array(bits.buffer);
    const edges = [0, -0, 1, -1, 65504, 65519.99, 65520, 1e9, -1e9, 2 ** -24, 2 ** -25, 2 ** -25 * 1.0001, 3 * 2 ** -26, 2 ** -14];
    edges.push(2 ** -14 - 2 ** -25, 1 + 2 ** -11, 1 + 3 * 2 ** -11, Infinity, -Infinity, NaN, 1e-30, 0.1, 1 / 3);
    for (const v of edges) {
      asFloat[0] = v;
      assert.equal(float32BitsToFloat16(bits[0]), encodeFloat16(asFloat[0]), `value ${v}`);
    }
    let s = 12345;
    for (let i = 0; i < 1_000_000; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      bits[0] = s;
      if (Number.isNaN(asFloat[0])) continue;
      const got = float32BitsToFloat16(bits[0]);
      if (got !== encodeFloat16(asFloat[0])) assert.fail(`bits 0x${s.toString(16)}: ${got} vs ${encodeFloat16(asFloat[0])}`);
    }
  });
});

describe('fp16 rewrite', () => {
  it('converts weights and compute, keeps float32-only ops and the signature, and runs close to float32', async () => {
    const out = join(dir.path, 'mixed.fp16.onnx');
    const changes = await convertToFp16(source, out, { keepFp32Ops: ['Softmax'] });
    assert.ok(
      changes.some((c) => /^2 float32 initializers \(68 bytes\) to float16, 1 Constant/.test(c)),
      changes.join('\n'),
    );
    assert.ok(changes.includes('1 Cast(to=float) now cast to float16 (Identity where the input was float already)'), changes.join('\n'));
    assert.ok(changes.includes('kept in float32: Softmax ×1, Range ×1'), changes.join('\n'));

    const m = await readModel(out);
    const inits = new Map(m.graph.initializers.map((t) => [t.name, t.dataType]));
    assert.equal(inits.get('W'), FLOAT16);
    assert.equal(inits.get('two'), FLOAT16, 'float_data weights too');
    for (const name of ['start', 'limit', 'delta']) assert.equal(inits.get(name), FLOAT, `${name}: only Range reads it`);
    assert.deepEqual(
      m.graph.inputs.map((v) => [v.name, v.type?.kind === 'tensor' ? v.type.elemType : 0]),
      [['x', FLOAT]],
    );
    assert.deepEqual(
      m.graph.outputs.map((v) => [v.name, v.type?.kind === 'tensor' ? v.type.elemType : 0]),
      [
        ['y', FLOAT],
        ['h', FLOAT],
      ],
    );
    assert.deepEqual(
      m.graph.valueInfo.map((v) => v.name),
      ['s'],
      "h's value_info is dropped (now float16), s stays float32",
    );
    const castsTo = (t: number) =>
      m.graph.nodes.filter((n) => n.opType === 'Cast' && Number(n.attributes.find((a) => a.name === 'to')?.i) === t).length;
    // To float16: x, Softmax's s, Range's r. To float32: h for Softmax and for the output, y.
    // The float-to-float Cast is an Identity now.
    assert.equal(castsTo(FLOAT16), 3);
    assert.deepEqual(m.graph.nodes.find((n) => n.name === 'cast')?.opType, 'Identity');
    assert.equal(castsTo(FLOAT), 2);
    const k = m.graph.nodes.find((n) => n.opType === 'Constant');
    assert.equal(k?.attributes[0].t?.dataType, FLOAT16);
    const mm = m.graph.nodes.find((n) => n.opType === 'MatMul')!;
    assert.deepEqual([mm.inputs, mm.outputs], [['x_fp16', 'W'], ['h_fp16']]);
    assert.deepEqual(m.graph.nodes.find((n) => n.opType === 'Softmax')!.inputs, ['h'], 'Softmax reads the float32 output h');

    const x = [0.1, -0.4, 0.9, 0.3, -1, 0.25, 0.5, -0.75];
    const want = await run(source, x);
    const got = await run(out, x);
    assert.deepEqual(got.types, ['float32', 'float32']);
    for (const key of ['y', 'h'] as const)
      for (let i = 0; i < want[key].length; i++)
        assert.ok(Math.abs(want[key][i] - got[key][i]) <= 2e-3 * Math.max(1, Math.abs(want[key][i])), `${key}[${i}]`);
  });

  it('refuses in one line what it cannot do', async () => {
    const halfPath = join(dir.path, 'half.onnx');
    await writeFile(
      halfPath,
      model({
        graph: {
          nodes: [{ opType: 'Add', inputs: ['x', 'b'], outputs: ['y'] }],
          initializers: [{ name: 'b', dataType: FLOAT16, dims: [1], int32Data: [0x3c00] }],
          inputs: [valueInfo('x', FLOAT16, [1])],
          outputs: [valueInfo('y', FLOAT16, [1])],
        },
      }),
    );
    assert.deepEqual(checkFp16(await summarizeModel(halfPath)), { ok: false, reason: 'its weights are already float16' });
    const intPath = join(dir.path, 'ints.onnx');
    await writeFile(
      intPath,
      model({
        graph: {
          nodes: [{ opType: 'Add', inputs: ['x', 'b'], outputs: ['y'] }],
          initializers: [{ name: 'b', dataType: INT64, dims: [1], int64Data: [1] }],
          inputs: [valueInfo('x', INT64, [1])],
          outputs: [valueInfo('y', INT64, [1])],
        },
      }),
    );
    assert.deepEqual(checkFp16(await summarizeModel(intPath)), { ok: false, reason: 'it has no float32 weights to convert' });
    assert.deepEqual(checkFp16(await summarizeModel(source)), { ok: true });

    const tensors = { half: () => assert.fail(), copy: () => assert.fail(), halfValues: () => assert.fail() };
    const ifPath = join(dir.path, 'if.onnx');
    const branch = graph({ nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['o'] }], outputs: [valueInfo('o', FLOAT, [1])] });
    await writeFile(
      ifPath,
      model({
        graph: {
          nodes: [{ opType: 'If', inputs: ['c'], outputs: ['y'], attributes: [attrGraph('then_branch', branch), attrFloat('f', 1)] }],
          inputs: [valueInfo('c', DataType.BOOL, []), valueInfo('x', FLOAT, [1])],
          outputs: [valueInfo('y', FLOAT, [1])],
        },
      }),
    );
    const ifModel = await readModel(ifPath);
    assert.throws(
      () => planFp16({ graph: ifModel.graph, opset: 17, elemTypes: new Map(), tensors }),
      (e: unknown) => e instanceof Fp16Error && /control flow \(If with a subgraph\)/.test(e.message),
    );
    // A tensor of unknown type between a float32-only node and a converted one.
    const m = await readModel(source);
    const types = new Map<string, number | null>([
      ['x', FLOAT],
      ['W', FLOAT],
      ['h', FLOAT],
      ['s', null],
    ]);
    assert.throws(
      () => planFp16({ graph: m.graph, opset: 17, elemTypes: types, keepFp32Ops: ['Softmax'], tensors }),
      /the type of tensor s \(from Softmax to Add\) is unknown/,
    );
  });
});
