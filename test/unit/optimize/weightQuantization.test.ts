/**
 * The weight-quantisation recipes' pure parts: rounding, int8 scales, block scales and zero points, the packing of
 * 4-bit pairs (low nibble first), and the planning of the rewrite (which nodes qualify, which initializers go,
 * refusals); then the layouts against the kernels: small MatMul and Gemm models rewritten by planWeightOnly and
 * planInt8Dynamic must give, in onnxruntime-node with the graph as written, what the arithmetic here says.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rewriteModelFile } from '../../../src/core/onnx/edit';
import { readModel } from '../../../src/core/onnx/readModel';
import type { ModelSummary } from '../../../src/core/onnx/modelSummary';
import { planInt8Dynamic, type Int8DynamicForm } from '../../../src/core/optimize/int8DynamicRecipe';
import { checkQuantizable, NO_CONSTANT_WEIGHT, quantizableMatMuls } from '../../../src/core/optimize/quantizableMatMuls';
import { blockSizeProblem, planWeightOnly } from '../../../src/core/optimize/weightOnlyRecipe';
import {
  blockLayout,
  blockScale,
  dequantizeBlocks,
  int8Scale,
  quantizeBlocks,
  quantizeInt8,
  roundHalfEven,
  transpose,
} from '../../../src/core/optimize/weightQuantization';
import { attrFloat, attrInt, f32, model, valueInfo, type NodeSpec, type TensorSpec } from '../onnx/protoWriter';
import { runOnFloat32 } from '../onnx/runModel';
import { tempDir, type TempDir } from '../onnx/tempFiles';

const FLOAT = 1;

/** Seeded values in [-1, 1). */
function values(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

describe('quantisation arithmetic', () => {
  it('rounds half to even, as numpy.rint', () => {
    assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6, 3.5].map(roundHalfEven), [0, 2, 2, -0, -2, -2, 2, -3, 4]);
  });

  it('int8: symmetric per tensor and per output column, codes in [-127, 127], an all-zero column gets scale 1', () => {
    // [K=2, N=3]
    const w = Float32Array.from([1.27, -0.5, 0, -2.54, 0.3, 0]);
    const t = quantizeInt8(w, 2, 3, false);
    assert.deepEqual(Array.from(t.scales), [Math.fround(2.54 / 127)]);
    assert.deepEqual(Array.from(t.codes), [64, -25, 0, -127, 15, 0]);
    const c = quantizeInt8(w, 2, 3, true);
    assert.deepEqual(Array.from(c.scales), [Math.fround(2.54 / 127), Math.fround(0.5 / 127), 1]);
    assert.deepEqual(Array.from(c.codes), [64, -127, 0, -127, 76, 0]);
    assert.equal(int8Scale(0), 1);
  });

  it('block scales hold zero exactly, zero points round half to even', () => {
    assert.deepEqual(blockScale(0.5, 2, 15), { scale: 2 / 15, zeroPoint: 0 }, 'range widened down to 0');
    assert.deepEqual(blockScale(-2, -0.5, 15), { scale: 2 / 15, zeroPoint: 15 }, 'range widened up to 0');
    assert.deepEqual(blockScale(-1, 1, 15), { scale: 2 / 15, zeroPoint: 8 }, '7.5 rounds to 8');
    assert.deepEqual(blockScale(-1, 1, 255), { scale: 2 / 255, zeroPoint: 128 }, '127.5 rounds to 128');
    assert.deepEqual(blockScale(0, 0, 15), { scale: 1, zeroPoint: 0 });
  });

  it('packs 4-bit codes low nibble first, pads a partial block with its zero point, packs zero points alike', () => {
    // One row (N=1), K=20, blocks of 16: codes 0..15 then four more; a second, partial block.
    const row = Float32Array.from([...Array.from({ length: 16 }, (_, i) => i), 0, 15, 3, 0]);
    const q = quantizeBlocks(row, 20, 1, 4, 16);
    assert.deepEqual(q.layout, blockLayout(20, 1, 4, 16));
    assert.deepEqual([q.layout.blocks, q.layout.blobSize, q.layout.zeroPointBytesPerRow], [2, 8, 1]);
    assert.deepEqual(Array.from(q.scales), [1, 1]);
    assert.deepEqual(Array.from(q.packed.subarray(0, 8)), [0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe]);
    assert.deepEqual(Array.from(q.packed.subarray(8)), [0xf0, 0x03, 0, 0, 0, 0, 0, 0], 'padding codes are the zero point 0');
    assert.deepEqual(Array.from(q.zeroPoints), [0x00]);
    const neg = quantizeBlocks(Float32Array.from([-1, 1, ...new Array<number>(14).fill(0), -3]), 17, 1, 4, 16);
    // Block 0: [-1, 1] → zero point 8; block 1: [-3, 0] → zero point 15: one byte, low nibble first.
    assert.deepEqual(Array.from(neg.zeroPoints), [0xf8]);
    assert.equal(neg.packed[8 + 1], 0xff, 'block 1 padded with its zero point 15');
    // 8-bit: one code a byte, one zero point a byte.
    const q8 = quantizeBlocks(row, 20, 1, 8, 16);
    assert.deepEqual([q8.layout.blobSize, q8.packed.length, q8.zeroPoints.length], [16, 32, 2]);
  });

  it('dequantised blocks stay within half a step of the weights', () => {
    const [k, n] = [70, 6];
    const w = Float32Array.from(values(k * n, 3));
    for (const bits of [4, 8] as const) {
      const q = quantizeBlocks(w, k, n, bits, 32);
      const d = dequantizeBlocks(q);
      for (let i = 0; i < w.length; i++) {
        const step = q.scales[Math.floor(i / k) * q.layout.blocks + Math.floor((i % k) / 32)];
        assert.ok(Math.abs(d[i] - w[i]) <= step / 2 + 1e-6, `${bits}-bit element ${i}: ${d[i]} vs ${w[i]}`);
      }
    }
  });

  it('refuses block sizes the CPU kernel does not run', () => {
    assert.equal(blockSizeProblem(32), undefined);
    assert.equal(blockSizeProblem(256), undefined);
    for (const b of [8, 24, 48, 512]) assert.match(blockSizeProblem(b)!, /not one ONNX Runtime's CPU MatMulNBits kernel runs/);
  });
});

let dir: TempDir;
before(async () => {
  dir = await tempDir('mlw-quant-');
});
after(async () => {
  await dir.remove();
});

const [M, K, N] = [3, 40, 5];
const A = values(M * K, 11);
const W = values(K * N, 5); // MatMul's [K, N]
const WT = Array.from(transpose(Float32Array.from(W), K, N)); // Gemm's transB [N, K]
const C = values(N, 9);

async function writeModel(
  name: string,
  nodes: NodeSpec[],
  initializers: TensorSpec[],
  inputs = [valueInfo('a', FLOAT, [M, K])],
): Promise<string> {
  const path = join(dir.path, name);
  await writeFile(path, model({ opsets: [['', 14]], graph: { nodes, initializers, inputs, outputs: [valueInfo('y', FLOAT, [M, N])] } }));
  return path;
}

async function runAsWritten(path: string): Promise<Float32Array> {
  const out = await runOnFloat32(path, 'a', A, [M, K], { graphOptimizationLevel: 'disabled' });
  return out.y.data as Float32Array;
}

/** y = alpha · a · w + beta · c, w as [K, N]. */
function reference(a: ArrayLike<number>, w: ArrayLike<number>, alpha = 1, beta = 0, c?: ArrayLike<number>): number[] {
  const y: number[] = [];
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[m * K + k] * w[k * N + n];
      y.push(alpha * s + (c ? beta * c[n] : 0));
    }
  return y;
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= tol, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
}

/** DynamicQuantizeLinear's uint8 activations, dequantised: what the integer kernels multiply by. */
function dynamicallyQuantized(a: readonly number[]): number[] {
  const lo = Math.min(0, ...a.map(Math.fround));
  const hi = Math.max(0, ...a.map(Math.fround));
  const scale = Math.fround((hi - lo) / 255);
  const zp = Math.max(0, Math.min(255, roundHalfEven(-lo / scale)));
  return a.map((v) => (Math.max(0, Math.min(255, roundHalfEven(v / scale) + zp)) - zp) * scale);
}

const gemm = (transB: boolean): NodeSpec => ({
  opType: 'Gemm',
  name: 'fc',
  inputs: ['a', 'W', 'C'],
  outputs: ['y'],
  attributes: [attrFloat('alpha', 0.5), attrFloat('beta', 2), attrInt('transB', transB ? 1 : 0)],
});

describe('MatMulNBits layout against the CPU kernel', () => {
  for (const bits of [4, 8] as const)
    for (const blockSize of [16, 32]) {
      it(`MatMul, ${bits} bits, blocks of ${blockSize} (K=${K}: a partial last block): the kernel computes A · dequant(B)ᵀ`, async () => {
        const src = await writeModel(
          `mm${bits}_${blockSize}.onnx`,
          [{ opType: 'MatMul', inputs: ['a', 'W'], outputs: ['y'] }],
          [{ name: 'W', dataType: FLOAT, dims: [K, N], raw: f32(W) }],
        );
        const out = join(dir.path, `mm${bits}_${blockSize}.q.onnx`);
        await rewriteModelFile(src, out, (m) => planWeightOnly(m, { bits, blockSize, accuracyLevel: 0 }));
        const read = await readModel(out);
        assert.deepEqual(
          read.graph.nodes.map((n) => `${n.domain}.${n.opType}`),
          ['com.microsoft.MatMulNBits'],
        );
        assert.deepEqual(
          read.graph.initializers.map((t) => [t.name, t.dims]),
          [
            [`W_Q${bits}`, [N, Math.ceil(K / blockSize), (blockSize * bits) / 8]],
            ['W_scales', [N * Math.ceil(K / blockSize)]],
            ['W_zero_points', [N * Math.ceil((Math.ceil(K / blockSize) * bits) / 8)]],
          ],
        );
        const dq = transpose(dequantizeBlocks(quantizeBlocks(Float32Array.from(WT), K, N, bits, blockSize)), N, K);
        assertClose(await runAsWritten(out), reference(A, dq), 1e-5, 'y');
        // And near the float result: 4-bit blocks of uniform [-1, 1) weights are off by a few per cent.
        assertClose(await runAsWritten(out), reference(A, W), bits === 4 ? 0.5 : 0.05, 'y vs float');
      });
    }

  it('Gemm with transB, alpha, beta and a bias: alpha folded in, beta · C the bias input', async () => {
    const src = await writeModel(
      'gemm.onnx',
      [gemm(true)],
      [
        { name: 'W', dataType: FLOAT, dims: [N, K], raw: f32(WT) },
        { name: 'C', dataType: FLOAT, dims: [N], raw: f32(C) },
      ],
    );
    const out = join(dir.path, 'gemm.q4.onnx');
    await rewriteModelFile(src, out, (m) => planWeightOnly(m, { bits: 4, blockSize: 16, accuracyLevel: 0 }));
    const read = await readModel(out);
    assert.deepEqual(
      read.graph.nodes.map((n) => n.opType),
      ['MatMulNBits'],
      'beta · C is the bias input',
    );
    const scaled = Float32Array.from(WT, (v) => v * 0.5);
    const dq = transpose(dequantizeBlocks(quantizeBlocks(scaled, K, N, 4, 16)), N, K);
    assertClose(await runAsWritten(out), reference(A, dq, 1, 2, C), 1e-5, 'y');
  });
});

describe('int8-dynamic forms against the CPU kernels', () => {
  for (const form of ['com.microsoft', 'onnx'] as Int8DynamicForm[])
    for (const perChannel of [false, true])
      for (const transB of [false, true]) {
        it(`${form}, ${perChannel ? 'per channel' : 'per tensor'}, Gemm transB=${transB ? 1 : 0}: (A as uint8) · (W as int8) · scales + beta · C`, async () => {
          const src = await writeModel(
            `g${form}${perChannel}${transB}.onnx`,
            [gemm(transB)],
            [
              { name: 'W', dataType: FLOAT, dims: transB ? [N, K] : [K, N], raw: f32(transB ? WT : W) },
              { name: 'C', dataType: FLOAT, dims: [N], raw: f32(C) },
            ],
          );
          const out = join(dir.path, `g${form}${perChannel}${transB}.q.onnx`);
          await rewriteModelFile(src, out, (m) => planInt8Dynamic(m, { form, perChannel }));
          const read = await readModel(out);
          assert.deepEqual(
            read.graph.nodes.map((n) => n.opType),
            form === 'com.microsoft' ? ['DynamicQuantizeMatMul'] : ['DynamicQuantizeLinear', 'MatMulInteger', 'Cast', 'Mul', 'Mul', 'Add'],
          );
          assert.ok(!read.graph.initializers.some((t) => t.name === 'W'), 'the float weight is gone');
          const q = quantizeInt8(Float32Array.from(W), K, N, perChannel);
          const wq = Array.from(q.codes, (c, i) => c * q.scales[perChannel ? i % N : 0] * 0.5);
          assertClose(await runAsWritten(out), reference(dynamicallyQuantized(A), wq, 1, 2, C), 1e-4, 'y');
        });
      }

  it('MatMul without bias, default form: per-channel scales are [N], zero points int8 zeros, standard ops only', async () => {
    const src = await writeModel(
      'mm8.onnx',
      [{ opType: 'MatMul', inputs: ['a', 'W'], outputs: ['y'] }],
      [{ name: 'W', dataType: FLOAT, dims: [K, N], raw: f32(W) }],
    );
    const out = join(dir.path, 'mm8.q.onnx');
    await rewriteModelFile(src, out, (m) => planInt8Dynamic(m, { perChannel: true }));
    const read = await readModel(out);
    assert.deepEqual(
      read.graph.initializers.map((t) => [t.name, t.dataType, t.dims]),
      [
        ['W_quantized', 3, [K, N]],
        ['W_scale', 1, [N]],
        ['W_zero_point', 3, [N]],
      ],
    );
    assert.ok(!read.opsetImports.some((o) => o.domain === 'com.microsoft'), 'the standard form needs no contrib opset');
  });
});

describe('planning', () => {
  it('a weight that is a graph input is no constant: nothing to quantise', async () => {
    const src = await writeModel(
      'input-weight.onnx',
      [{ opType: 'MatMul', inputs: ['a', 'W'], outputs: ['y'] }],
      [],
      [valueInfo('a', FLOAT, [M, K]), valueInfo('W', FLOAT, [K, N])],
    );
    const m = await readModel(src);
    assert.deepEqual(quantizableMatMuls(m.graph), []);
    assert.throws(() => planInt8Dynamic(m), new RegExp(NO_CONSTANT_WEIGHT.slice(0, 30)));
    assert.throws(() => planWeightOnly(m, { bits: 4 }), /none of its MatMul or Gemm nodes has a constant float32 2-D weight/);
  });

  it('a weight another node still reads is kept; transA Gemms are left alone', async () => {
    const src = await writeModel(
      'shared.onnx',
      [
        { opType: 'MatMul', name: 'mm', inputs: ['a', 'W'], outputs: ['h'] },
        { opType: 'Gemm', name: 'ta', inputs: ['a', 'W'], outputs: ['g'], attributes: [attrInt('transA', 1)] },
        { opType: 'Add', inputs: ['h', 'W'], outputs: ['y'] },
      ],
      [{ name: 'W', dataType: FLOAT, dims: [K, N], raw: f32(W) }],
    );
    const m = await readModel(src);
    assert.deepEqual(
      quantizableMatMuls(m.graph).map((q) => q.node.name),
      ['mm'],
    );
    const plan = planInt8Dynamic(m);
    assert.deepEqual([...(plan.removeNodes ?? [])], [0]);
    assert.deepEqual([...(plan.removeInitializers ?? [])], []);
  });

  it('refuses models with nothing to quantise or already quantised, in one line', () => {
    const summary = (ops: [string, string][]): ModelSummary =>
      ({ operators: ops.map(([domain, opType]) => ({ domain, opType, count: 1 })), externalData: [] }) as unknown as ModelSummary;
    assert.deepEqual(checkQuantizable(summary([['ai.onnx', 'Conv']])), {
      ok: false,
      reason: 'it has no MatMul or Gemm: there is nothing to quantise',
    });
    assert.deepEqual(
      checkQuantizable(
        summary([
          ['ai.onnx', 'MatMul'],
          ['com.microsoft', 'DynamicQuantizeMatMul'],
          ['ai.onnx', 'MatMulInteger'],
        ]),
      ),
      { ok: false, reason: 'it is quantised already (it has com.microsoft.DynamicQuantizeMatMul, MatMulInteger)' },
    );
    assert.deepEqual(checkQuantizable(summary([['ai.onnx', 'Gemm']])), { ok: true });
  });
});
