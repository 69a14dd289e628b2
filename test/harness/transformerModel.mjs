// A transformer-like ONNX model of about n nodes, for the inspector's browser test and bench: blocks of 17
// nodes (LayerNorm, Q/K/V MatMuls, attention, an MLP, residual Adds) with small weights, written with the
// tests' protobuf writer (compiled to out/ by `npm run compile-tests`).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repoRoot } from './codeServer.mjs';

const require = createRequire(import.meta.url);
const { model, f32, attrInts, attrInt, attrFloat, valueInfo } = require(join(repoRoot, 'out/test/unit/onnx/protoWriter.js'));

const FLOAT = 1;
const D = 8;

/** The model's bytes: names `<op>_<index>`, weights `b<block>.<name>`, input `x` [batch, seq, 8], output `y`. */
export function transformerModel(n) {
  const nodes = [];
  const initializers = [];
  const weight = (name, dims) => {
    const count = dims.reduce((a, b) => a * b, 1);
    initializers.push({ name, dataType: FLOAT, dims, raw: f32(Array.from({ length: count }, (_, i) => ((i % 7) - 3) / 10)) });
    return name;
  };
  const op = (opType, inputs, attributes = []) => {
    const out = `t${nodes.length}`;
    nodes.push({ opType, name: `${opType.toLowerCase()}_${nodes.length}`, inputs, outputs: [out], attributes });
    return out;
  };
  let x = 'x';
  for (let b = 0; nodes.length + 17 <= n; b++) {
    const ln1 = op('LayerNormalization', [x, weight(`b${b}.ln1.scale`, [D]), weight(`b${b}.ln1.bias`, [D])], [attrInt('axis', -1)]);
    const q = op('MatMul', [ln1, weight(`b${b}.wq`, [D, D])]);
    const k = op('MatMul', [ln1, weight(`b${b}.wk`, [D, D])]);
    const v = op('MatMul', [ln1, weight(`b${b}.wv`, [D, D])]);
    const kt = op('Transpose', [k], [attrInts('perm', [0, 2, 1])]);
    const att = op('MatMul', [q, kt]);
    const scaled = op('Mul', [att, weight(`b${b}.scale`, [])]);
    const sm = op('Softmax', [scaled], [attrInt('axis', -1)]);
    const o = op('MatMul', [sm, v]);
    const proj = op('MatMul', [o, weight(`b${b}.wo`, [D, D])]);
    const r1 = op('Add', [x, proj]);
    const ln2 = op('LayerNormalization', [r1, weight(`b${b}.ln2.scale`, [D]), weight(`b${b}.ln2.bias`, [D])], [attrInt('axis', -1)]);
    const h1 = op('MatMul', [ln2, weight(`b${b}.w1`, [D, 2 * D])]);
    const h1b = op('Add', [h1, weight(`b${b}.b1`, [2 * D])]);
    const g = op('LeakyRelu', [h1b], [attrFloat('alpha', 0.1)]);
    const h2 = op('MatMul', [g, weight(`b${b}.w2`, [2 * D, D])]);
    x = op('Add', [r1, h2]);
  }
  nodes[nodes.length - 1].outputs = ['y'];
  return model({
    opsets: [['', 17]],
    graph: {
      name: `transformer_${n}`,
      nodes,
      initializers,
      inputs: [valueInfo('x', FLOAT, ['batch', 'seq', D])],
      outputs: [valueInfo('y', FLOAT, ['batch', 'seq', D])],
    },
  });
}
