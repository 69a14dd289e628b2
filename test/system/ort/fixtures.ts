/** Models for the runtime system tests: a corpus model, and a classifier with symbolic dims built with python3-onnx. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS_DIR, SYSTEM_PYTHON, pythonHas } from '../../support/requires';

export const CORPUS_CONV = join(CORPUS_DIR, 'pytorch-converted', 'test_Conv2d', 'model.onnx');
export const CORPUS_SOFTMAX = join(CORPUS_DIR, 'pytorch-converted', 'test_Softmax');
export const HAS_PY_ONNX = pythonHas('onnx') && pythonHas('numpy');

/**
 * x: float[batch, seq, 16] -> ReduceMean over seq -> MatMul 16x64 + b, Relu -> MatMul 64x10 + b = logits[batch, 10];
 * probs = Softmax(logits). Also writes x.npy (v1) and x_v2.npy (v2) with shape [2, 3, 16].
 */
const SCRIPT = String.raw`
import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
out = sys.argv[1]
rng = np.random.default_rng(0)
w1 = numpy_helper.from_array(rng.standard_normal((16, 64)).astype(np.float32), 'w1')
b1 = numpy_helper.from_array(rng.standard_normal(64).astype(np.float32), 'b1')
w2 = numpy_helper.from_array(rng.standard_normal((64, 10)).astype(np.float32), 'w2')
b2 = numpy_helper.from_array(rng.standard_normal(10).astype(np.float32), 'b2')
nodes = [
  helper.make_node('ReduceMean', ['x'], ['m'], axes=[1], keepdims=0),
  helper.make_node('MatMul', ['m', 'w1'], ['h0']), helper.make_node('Add', ['h0', 'b1'], ['h1']),
  helper.make_node('Relu', ['h1'], ['h']),
  helper.make_node('MatMul', ['h', 'w2'], ['l0']), helper.make_node('Add', ['l0', 'b2'], ['logits']),
  helper.make_node('Softmax', ['logits'], ['probs'], axis=1),
]
g = helper.make_graph(nodes, 'mlp', [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['batch', 'seq', 16])],
  [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['batch', 10]), helper.make_tensor_value_info('probs', TensorProto.FLOAT, ['batch', 10])],
  [w1, b1, w2, b2])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)], producer_name='mlw-test')
m.ir_version = 8
onnx.checker.check_model(m)
onnx.save(m, out + '/mlp.onnx')
x = rng.standard_normal((2, 3, 16)).astype(np.float32)
np.save(out + '/x.npy', x)
with open(out + '/x_v2.npy', 'wb') as f:
  np.lib.format.write_array(f, x, version=(2, 0))
np.save(out + '/expected_logits.npy', np.maximum(x.mean(axis=1) @ numpy_helper.to_array(w1) + numpy_helper.to_array(b1), 0) @ numpy_helper.to_array(w2) + numpy_helper.to_array(b2))
`;

export function buildClassifier(): { dir: string; model: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mlw-runtime-'));
  execFileSync(SYSTEM_PYTHON, ['-c', SCRIPT, dir], { stdio: 'pipe', timeout: 60_000 });
  return { dir, model: join(dir, 'mlp.onnx'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
