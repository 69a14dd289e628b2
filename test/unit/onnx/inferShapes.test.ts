/** Shape inference, operator family by family, on small graphs built in memory: exact shapes, symbolic dims, errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DataType } from '../../../src/core/onnx/dataTypes';
import { AttributeType, type OnnxAttribute, type OnnxGraph, type OnnxNode, type ValueInfo } from '../../../src/core/onnx/onnxModel';
import { broadcastShapes } from '../../../src/core/onnx/shapes/broadcastShapes';
import { inferShapes } from '../../../src/core/onnx/shapes/inferShapes';
import type { ConstantTensor, Dim, ShapeInferenceResult } from '../../../src/core/onnx/shapes/shapeTypes';
import type { TensorRef } from '../../../src/core/onnx/tensorRef';

const F = DataType.FLOAT;
const I64 = DataType.INT64;

type AttrValue = number | number[] | string | { f: number } | { floats: number[] } | { g: OnnxGraph };

function attribute(name: string, v: AttrValue): OnnxAttribute {
  if (typeof v === 'number') return { name, type: AttributeType.INT, i: v };
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: v };
  if (Array.isArray(v)) return { name, type: AttributeType.INTS, ints: v };
  if ('f' in v) return { name, type: AttributeType.FLOAT, f: v.f };
  if ('floats' in v) return { name, type: AttributeType.FLOATS, floats: v.floats };
  return { name, type: AttributeType.GRAPH, g: v.g };
}

const node = (opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, domain = ''): OnnxNode => ({
  name: '',
  opType,
  domain,
  overload: '',
  inputs,
  outputs,
  attributes: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
  docString: '',
});

const input = (name: string, elemType: number, shape?: Dim[]): ValueInfo => ({
  name,
  docString: '',
  type: { kind: 'tensor', elemType, shape },
});

const ref = (name: string, dataType: number, dims: number[]): TensorRef => ({
  name,
  dataType,
  dims,
  docString: '',
  dataLocation: 'default',
  externalData: {},
  payload: [],
  offset: 0,
  length: 0,
  modelPath: '',
});

interface Build {
  inputs: ValueInfo[];
  nodes: OnnxNode[];
  /** Constants by name: initializers with their values. */
  consts?: Record<string, { dataType?: number; dims?: number[]; values: number[] }>;
  outputs?: string[];
  valueInfo?: ValueInfo[];
  opset?: number;
}

function graphOf(b: Build): { graph: OnnxGraph; constants: Map<string, ConstantTensor> } {
  const constants = new Map<string, ConstantTensor>();
  const initializers: TensorRef[] = [];
  for (const [name, c] of Object.entries(b.consts ?? {})) {
    const dims = c.dims ?? [c.values.length];
    constants.set(name, { dataType: c.dataType ?? I64, dims, values: c.values });
    initializers.push(ref(name, c.dataType ?? I64, dims));
  }
  const graph: OnnxGraph = {
    name: 'g',
    docString: '',
    nodes: b.nodes,
    initializers,
    sparseInitializers: [],
    inputs: b.inputs,
    outputs: (b.outputs ?? []).map((name) => ({ name, docString: '' })),
    valueInfo: b.valueInfo ?? [],
    offset: 0,
    length: 0,
  };
  return { graph, constants };
}

function infer(b: Build): ShapeInferenceResult {
  const { graph, constants } = graphOf(b);
  return inferShapes(graph, { opsetImports: [{ domain: '', version: b.opset ?? 17 }], constants });
}

/** name -> [elemType, shape] of the result's tensors. */
function types(b: Build): Record<string, [number | null, Dim[] | null]> {
  const out: Record<string, [number | null, Dim[] | null]> = {};
  for (const t of infer(b).tensors) out[t.name] = [t.elemType, t.shape];
  return out;
}

const x = (shape: Dim[], elemType = F): ValueInfo => input('x', elemType, shape);

describe('inferShapes: broadcasting', () => {
  it('broadcasts numpy-style, keeping symbolic dims', () => {
    assert.deepEqual(broadcastShapes([['batch', 3, 1], [4]]), ['batch', 3, 4]);
    assert.deepEqual(
      broadcastShapes([
        ['N', 1],
        ['N', 5],
      ]),
      ['N', 5],
    );
    assert.deepEqual(broadcastShapes([['N'], ['M']]), [null]);
    assert.deepEqual(broadcastShapes([[], [2, 3]]), [2, 3]);
    assert.deepEqual(broadcastShapes([['N'], [7]]), [7]);
    assert.equal(broadcastShapes([null, [3]]), null);
  });

  it('gives Add the first input type, Equal bool, Where the branches type', () => {
    const t = types({
      inputs: [x(['batch', 3, 1]), input('y', F, [4]), input('c', DataType.BOOL, [1, 4])],
      nodes: [
        node('Add', ['x', 'y'], ['s']),
        node('Equal', ['x', 'y'], ['e']),
        node('Where', ['c', 'x', 'y'], ['w']),
        node('Relu', ['s'], ['r']),
      ],
    });
    assert.deepEqual(t.s, [F, ['batch', 3, 4]]);
    assert.deepEqual(t.e, [DataType.BOOL, ['batch', 3, 4]]);
    assert.deepEqual(t.w, [F, ['batch', 3, 4]]);
    assert.deepEqual(t.r, [F, ['batch', 3, 4]]);
  });

  it('turns shapes that do not broadcast into a warning and leaves the output unknown', () => {
    const r = infer({ inputs: [x([2, 3]), input('y', F, [4])], nodes: [node('Mul', ['x', 'y'], ['z']), node('Relu', ['z'], ['r'])] });
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0].message, /do not broadcast/);
    assert.equal(r.warnings[0].opType, 'Mul');
    assert.deepEqual(
      r.tensors.filter((t) => t.name === 'z' || t.name === 'r').map((t) => [t.elemType, t.shape]),
      [
        [null, null],
        [null, null],
      ],
    );
  });
});

describe('inferShapes: convolution and pooling', () => {
  it('applies pads, strides, dilations, auto_pad and ceil_mode', () => {
    const t = types({
      inputs: [x(['N', 3, 224, 224]), input('w', F, [64, 3, 7, 7]), input('w2', F, [8, 64, 3, 3]), input('wt', F, [64, 16, 4, 4])],
      nodes: [
        node('Conv', ['x', 'w'], ['c1'], { strides: [2, 2], pads: [3, 3, 3, 3] }),
        node('Conv', ['x', 'w'], ['c2'], { strides: [2, 2], auto_pad: 'SAME_UPPER' }),
        node('Conv', ['c1', 'w2'], ['c3'], { dilations: [2, 2], auto_pad: 'VALID' }),
        node('MaxPool', ['c1'], ['p1', 'idx'], { kernel_shape: [3, 3], strides: [2, 2] }),
        node('MaxPool', ['c1'], ['p2'], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1, pads: [0, 0, 1, 1] }),
        node('AveragePool', ['c1'], ['p3'], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }),
        node('GlobalAveragePool', ['c1'], ['g']),
        node('ConvTranspose', ['c1', 'wt'], ['ct'], { strides: [2, 2], pads: [1, 1, 1, 1] }),
        node('ConvTranspose', ['c1', 'wt'], ['ct2'], { strides: [2, 2], output_shape: [225, 225] }),
      ],
    });
    assert.deepEqual(t.c1[1], ['N', 64, 112, 112]);
    assert.deepEqual(t.c2[1], ['N', 64, 112, 112]);
    assert.deepEqual(t.c3[1], ['N', 8, 108, 108]);
    assert.deepEqual(t.p1[1], ['N', 64, 55, 55]);
    assert.deepEqual(t.idx, [I64, ['N', 64, 55, 55]]);
    assert.deepEqual(t.p2[1], ['N', 64, 57, 57]);
    assert.deepEqual(t.p3[1], ['N', 64, 112, 112]);
    assert.deepEqual(t.g[1], ['N', 64, 1, 1]);
    assert.deepEqual(t.ct[1], ['N', 16, 224, 224]);
    assert.deepEqual(t.ct2[1], ['N', 16, 225, 225]);
  });
});

describe('inferShapes: MatMul and Gemm', () => {
  it('broadcasts batch dims and handles 1-D operands', () => {
    const t = types({
      inputs: [
        x(['b', 's', 768]),
        input('w', F, [768, 3072]),
        input('v', F, [768]),
        input('m', F, [7, 1, 4, 768]),
        input('k', F, [5, 768, 2]),
      ],
      nodes: [
        node('MatMul', ['x', 'w'], ['y']),
        node('MatMul', ['x', 'v'], ['y1']),
        node('MatMul', ['v', 'w'], ['y2']),
        node('MatMul', ['m', 'k'], ['y3']),
        node('MatMul', ['v', 'v'], ['dot']),
      ],
    });
    assert.deepEqual(t.y[1], ['b', 's', 3072]);
    assert.deepEqual(t.y1[1], ['b', 's']);
    assert.deepEqual(t.y2[1], [3072]);
    assert.deepEqual(t.y3[1], [7, 5, 4, 2]);
    assert.deepEqual(t.dot[1], []);
  });

  it('transposes Gemm operands and refuses mismatched inner dims', () => {
    const t = types({
      inputs: [x(['N', 512]), input('w', F, [1000, 512]), input('c', F, [1000])],
      nodes: [node('Gemm', ['x', 'w', 'c'], ['y'], { transB: 1 }), node('MatMul', ['x', 'w'], ['bad'])],
    });
    assert.deepEqual(t.y[1], ['N', 1000]);
    assert.deepEqual(t.bad, [null, null]);
  });
});

describe('inferShapes: Reshape and value propagation', () => {
  it('folds Shape -> Gather -> Unsqueeze -> Concat -> Reshape keeping the symbolic batch', () => {
    const t = types({
      inputs: [x(['batch', 'seq', 768])],
      consts: { zero: { values: [0], dims: [] }, one: { values: [1], dims: [] }, heads: { values: [12, 64] }, axes: { values: [0] } },
      nodes: [
        node('Shape', ['x'], ['shape']),
        node('Gather', ['shape', 'zero'], ['b'], { axis: 0 }),
        node('Gather', ['shape', 'one'], ['s'], { axis: 0 }),
        node('Unsqueeze', ['b', 'axes'], ['b1']),
        node('Unsqueeze', ['s', 'axes'], ['s1']),
        node('Concat', ['b1', 's1', 'heads'], ['target'], { axis: 0 }),
        node('Reshape', ['x', 'target'], ['y']),
        node('Shape', ['x'], ['tail'], { start: -1 }),
        node('Size', ['x'], ['n']),
      ],
    });
    assert.deepEqual(t.shape, [I64, [3]]);
    assert.deepEqual(t.b, [I64, []]);
    assert.deepEqual(t.target, [I64, [4]]);
    assert.deepEqual(t.y, [F, ['batch', 'seq', 12, 64]]);
    assert.deepEqual(t.tail, [I64, [1]]);
    assert.deepEqual(t.n, [I64, []]);
  });

  it('applies 0 (copy), -1 (infer, cancelling symbols) and allowzero', () => {
    const t = types({
      inputs: [x(['batch', 3, 4, 5])],
      consts: { a: { values: [0, -1] }, b: { values: [0, 0, 20] }, c: { values: [-1, 60] }, z: { values: [0, 3, 20] } },
      nodes: [
        node('Reshape', ['x', 'a'], ['ya']),
        node('Reshape', ['x', 'b'], ['yb']),
        node('Reshape', ['x', 'c'], ['yc']),
        node('Reshape', ['x', 'z'], ['yz'], { allowzero: 1 }),
        node('Flatten', ['x'], ['f'], { axis: 2 }),
        node('Flatten', ['x'], ['f1']),
      ],
    });
    assert.deepEqual(t.ya[1], ['batch', 60]);
    assert.deepEqual(t.yb[1], ['batch', 3, 20]);
    assert.deepEqual(t.yc[1], ['batch', 60]);
    assert.deepEqual(t.yz[1], [0, 3, 20]);
    assert.deepEqual(t.f[1], [null, 20]);
    assert.deepEqual(t.f1[1], ['batch', 60]);
  });

  it('leaves a Reshape by a computed shape of known length with unknown dims', () => {
    const t = types({ inputs: [x([2, 3]), input('s', I64, [3])], nodes: [node('Reshape', ['x', 's'], ['y'])] });
    assert.deepEqual(t.y[1], [null, null, null]);
  });
});

describe('inferShapes: slicing, joining, axes', () => {
  it('infers Slice with constant inputs, and the attribute form before opset 10', () => {
    const t = types({
      inputs: [x(['N', 10, 20])],
      consts: {
        st: { values: [1, -5] },
        en: { values: [9e18, 100] },
        ax: { values: [1, 2] },
        sp: { values: [2, 1] },
        r: { values: [-1] },
        far: { values: [-9e18] },
        a1: { values: [1] },
      },
      nodes: [node('Slice', ['x', 'st', 'en', 'ax', 'sp'], ['y']), node('Slice', ['x', 'r', 'far', 'a1', 'r'], ['rev'])],
    });
    assert.deepEqual(t.y[1], ['N', 5, 5]);
    assert.deepEqual(t.rev[1], ['N', 10, 20]);
    const old = types({ opset: 9, inputs: [x([4, 10])], nodes: [node('Slice', ['x'], ['y'], { starts: [1], ends: [-1], axes: [1] })] });
    assert.deepEqual(old.y[1], [4, 8]);
  });

  it('infers Squeeze and Unsqueeze in attribute form (opset 11) and input form (opset 13)', () => {
    const a = types({
      opset: 11,
      inputs: [x(['N', 1, 5, 1])],
      nodes: [
        node('Squeeze', ['x'], ['s'], { axes: [1, -1] }),
        node('Unsqueeze', ['s'], ['u'], { axes: [0, -1] }),
        node('Squeeze', ['x'], ['all']),
      ],
    });
    assert.deepEqual(a.s[1], ['N', 5]);
    assert.deepEqual(a.u[1], [1, 'N', 5, 1]);
    assert.equal(a.all[1], null, 'without axes a symbolic dim might be 1');
    const b = types({
      inputs: [x([3, 1, 5])],
      consts: { ax: { values: [1] }, ax2: { values: [0, 3] } },
      nodes: [node('Squeeze', ['x', 'ax'], ['s']), node('Unsqueeze', ['s', 'ax2'], ['u']), node('Squeeze', ['x'], ['all'])],
    });
    assert.deepEqual(b.s[1], [3, 5]);
    assert.deepEqual(b.u[1], [1, 3, 5, 1]);
    assert.deepEqual(b.all[1], [3, 5]);
  });

  it('infers Concat, Split (attribute, input and equal), Transpose, Gather, Expand, Tile, Pad', () => {
    const t = types({
      inputs: [x(['N', 4, 6]), input('y', F, ['N', 2, 6]), input('idx', I64, [2, 3])],
      consts: { sp: { values: [1, 3] }, ex: { values: [2, 1, 1, 1] }, rep: { values: [1, 2, 3] }, pads: { values: [0, 1, 0, 0, 1, 2] } },
      nodes: [
        node('Concat', ['x', 'y'], ['c'], { axis: 1 }),
        node('Split', ['x', 'sp'], ['a', 'b'], { axis: 1 }),
        node('Split', ['x'], ['e1', 'e2', 'e3'], { axis: 2 }),
        node('Transpose', ['x'], ['tr'], { perm: [2, 0, 1] }),
        node('Transpose', ['x'], ['rev']),
        node('Gather', ['x', 'idx'], ['g'], { axis: 1 }),
        node('Expand', ['x', 'ex'], ['xe']),
        node('Tile', ['x', 'rep'], ['ti']),
        node('Pad', ['x', 'pads'], ['pd']),
        node('GatherElements', ['x', 'idx'], ['ge']),
      ],
    });
    assert.deepEqual(t.c[1], ['N', 6, 6]);
    assert.deepEqual(
      [t.a[1], t.b[1]],
      [
        ['N', 1, 6],
        ['N', 3, 6],
      ],
    );
    assert.deepEqual(t.e3[1], ['N', 4, 2]);
    assert.deepEqual(t.tr[1], [6, 'N', 4]);
    assert.deepEqual(t.rev[1], [6, 4, 'N']);
    assert.deepEqual(t.g[1], ['N', 2, 3, 6]);
    assert.deepEqual(t.xe[1], [2, 'N', 4, 6]);
    assert.deepEqual(t.ti[1], ['N', 8, 18]);
    assert.deepEqual(t.pd[1], ['N', 6, 8]);
    assert.deepEqual(t.ge[1], [2, 3]);
  });
});

describe('inferShapes: reductions, normalizations, types', () => {
  it('reduces by attribute axes (opset 13) or input axes (opset 18), with keepdims and noop_with_empty_axes', () => {
    const t = types({
      opset: 13,
      inputs: [x(['N', 3, 8, 8])],
      consts: { ax: { values: [2, 3] } },
      nodes: [
        node('ReduceMean', ['x'], ['m'], { axes: [2, 3] }),
        node('ReduceMax', ['x'], ['k'], { axes: [-1], keepdims: 0 }),
        node('ReduceSum', ['x', 'ax'], ['s'], { keepdims: 0 }),
        node('ReduceSum', ['x'], ['all']),
        node('ReduceSum', ['x'], ['noop'], { noop_with_empty_axes: 1 }),
        node('ArgMax', ['x'], ['am'], { axis: 1, keepdims: 0 }),
      ],
    });
    assert.deepEqual(t.m[1], ['N', 3, 1, 1]);
    assert.deepEqual(t.k[1], ['N', 3, 8]);
    assert.deepEqual(t.s[1], ['N', 3]);
    assert.deepEqual(t.all[1], [1, 1, 1, 1]);
    assert.deepEqual(t.noop[1], ['N', 3, 8, 8]);
    assert.deepEqual(t.am, [I64, ['N', 8, 8]]);
  });

  it('follows each op type constraint: Cast, CastLike, Shape, QuantizeLinear, DequantizeLinear, Dropout mask, LayerNorm stats', () => {
    const t = types({
      inputs: [x(['N', 16]), input('h', DataType.FLOAT16, [1]), input('s', F, []), input('zp', DataType.INT8, [])],
      nodes: [
        node('Cast', ['x'], ['c'], { to: DataType.INT32 }),
        node('CastLike', ['x', 'h'], ['cl']),
        node('QuantizeLinear', ['x', 's', 'zp'], ['q']),
        node('DequantizeLinear', ['q', 's', 'zp'], ['dq']),
        node('Dropout', ['x'], ['d', 'mask']),
        node('LayerNormalization', ['x', 's'], ['ln', 'mean', 'inv']),
        node('Softmax', ['x'], ['sm']),
      ],
    });
    assert.deepEqual(t.c, [DataType.INT32, ['N', 16]]);
    assert.deepEqual(t.cl, [DataType.FLOAT16, ['N', 16]]);
    assert.deepEqual(t.q, [DataType.INT8, ['N', 16]]);
    assert.deepEqual(t.dq, [F, ['N', 16]]);
    assert.deepEqual(t.mask, [DataType.BOOL, ['N', 16]]);
    assert.deepEqual(t.mean, [F, ['N', 1]]);
    assert.deepEqual(t.sm, [F, ['N', 16]]);
  });

  it('infers LSTM, GRU (bidirectional, layout 1), Resize by scales and sizes, TopK, OneHot, Range, ConstantOfShape', () => {
    const t = types({
      inputs: [
        x(['T', 'B', 10]),
        input('w', F, [1, 80, 10]),
        input('r', F, [2, 60, 20]),
        input('img', F, ['N', 3, 10, 10]),
        input('xb', F, ['B', 'T', 10]),
      ],
      consts: {
        scales: { dataType: F, values: [1, 1, 2, 1.5] },
        sizes: { values: [1, 3, 32, 32] },
        k: { values: [3] },
        depth: { values: [10] },
        st: { values: [0], dims: [] },
        lim: { values: [10], dims: [] },
        dl: { values: [3], dims: [] },
        shp: { values: [2, 5] },
      },
      nodes: [
        node('LSTM', ['x', 'w', 'r'], ['y', 'yh', 'yc'], { hidden_size: 20 }),
        node('GRU', ['xb', 'w', 'r'], ['gy', 'gh'], { hidden_size: 20, direction: 'bidirectional', layout: 1 }),
        node('Resize', ['img', '', 'scales'], ['up'], { mode: 'nearest' }),
        node('Resize', ['img', '', '', 'sizes'], ['up2']),
        node('TopK', ['img', 'k'], ['tv', 'ti'], { axis: 1 }),
        node('OneHot', ['ti', 'depth', 'k'], ['oh']),
        node('Range', ['st', 'lim', 'dl'], ['rg']),
        node('ConstantOfShape', ['shp'], ['zeros']),
      ],
    });
    assert.deepEqual(t.y[1], ['T', 1, 'B', 20]);
    assert.deepEqual(t.yc[1], [1, 'B', 20]);
    assert.deepEqual(t.gy[1], ['B', 'T', 2, 20]);
    assert.deepEqual(t.gh[1], ['B', 2, 20]);
    assert.deepEqual(t.up[1], ['N', 3, 20, 15]);
    assert.deepEqual(t.up2[1], [1, 3, 32, 32]);
    assert.deepEqual(t.ti, [I64, ['N', 3, 10, 10]]);
    assert.deepEqual(t.oh, [I64, ['N', 3, 10, 10, 10]]);
    assert.deepEqual(t.rg, [I64, [4]]);
    assert.deepEqual(t.zeros, [F, [2, 5]]);
  });

  it('infers Einsum with explicit and implicit outputs', () => {
    const t = types({
      inputs: [input('a', F, ['b', 3, 4]), input('c', F, ['b', 4, 5])],
      nodes: [node('Einsum', ['a', 'c'], ['y'], { equation: 'bij,bjk->bik' }), node('Einsum', ['a'], ['tr'], { equation: '...ij' })],
    });
    assert.deepEqual(t.y[1], ['b', 3, 5]);
    assert.deepEqual(t.tr[1], ['b', 3, 4]);
  });
});

describe('inferShapes: the graph around the rules', () => {
  it('marks what the file states as file and what it works out as inferred, and fills file dims left unknown', () => {
    const r = infer({
      inputs: [x(['N', 4])],
      consts: { w: { dataType: F, dims: [4, 2], values: [0, 0, 0, 0, 0, 0, 0, 0] } },
      valueInfo: [input('y', F, ['N', 2]), input('z', F, [null, null])],
      nodes: [node('MatMul', ['x', 'w'], ['y']), node('Relu', ['y'], ['z']), node('Relu', ['z'], ['u'])],
    });
    assert.deepEqual(
      r.tensors.map((t) => [t.name, t.shape, t.source]),
      [
        ['x', ['N', 4], 'file'],
        ['w', [4, 2], 'file'],
        ['y', ['N', 2], 'file'],
        ['z', ['N', 2], 'inferred'],
        ['u', ['N', 2], 'inferred'],
      ],
    );
  });

  it('leaves custom-domain and unknown ops unknown without throwing, and sorts nodes given out of order', () => {
    const r = infer({
      inputs: [x(['N', 4])],
      nodes: [node('Relu', ['c'], ['after']), node('FancyOp', ['x'], ['c'], {}, 'com.example'), node('NoSuchOp', ['x'], ['d'])],
    });
    assert.deepEqual(
      r.tensors.map((t) => [t.name, t.elemType, t.shape]),
      [
        ['x', F, ['N', 4]],
        ['c', null, null],
        ['d', null, null],
        ['after', null, null],
      ],
    );
    assert.deepEqual(r.warnings, []);
  });

  it('infers If branches and Loop bodies in the outer scope', () => {
    const thenG = graphOf({ inputs: [], nodes: [node('Relu', ['x'], ['t'])], outputs: ['t'] }).graph;
    const elseG = graphOf({ inputs: [], nodes: [node('Neg', ['x'], ['e'])], outputs: ['e'] }).graph;
    const body = graphOf({
      inputs: [input('i', I64, []), input('cond', DataType.BOOL, []), { name: 'acc', docString: '' }],
      nodes: [node('Add', ['acc', 'x'], ['acc2']), node('Identity', ['cond'], ['cond2']), node('Relu', ['acc2'], ['scan'])],
      outputs: ['cond2', 'acc2', 'scan'],
    }).graph;
    const r = infer({
      inputs: [x(['N', 4]), input('flag', DataType.BOOL, []), input('trip', I64, [])],
      nodes: [
        node('If', ['flag'], ['out'], { then_branch: { g: thenG }, else_branch: { g: elseG } }),
        node('Loop', ['trip', 'flag', 'x'], ['final', 'stacked'], { body: { g: body } }),
      ],
    });
    const t = Object.fromEntries(r.tensors.map((v) => [v.name, v.shape]));
    assert.deepEqual(t.out, ['N', 4]);
    assert.deepEqual(t.final, ['N', 4]);
    assert.deepEqual(t.stacked, [null, 'N', 4]);
    assert.equal(r.subgraphs.length, 3);
    assert.deepEqual(
      r.subgraphs[2].result.tensors.find((v) => v.name === 'acc2'),
      { name: 'acc2', elemType: F, shape: ['N', 4], source: 'inferred' },
    );
  });
});
