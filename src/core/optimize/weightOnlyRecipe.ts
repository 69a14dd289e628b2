/**
 * `int4-weights` and `int8-weights`: weight-only block quantisation through ONNX Runtime's com.microsoft MatMulNBits
 * (Y = A · dequant(B)ᵀ + bias), for MatMul and Gemm nodes whose weight is a constant float32 initializer.
 *
 * MatMulNBits(A, B, scales, zero_points, g_idx, bias), attributes K, N, bits, block_size, accuracy_level:
 * - B: uint8 [N, ceil(K / block_size), block_size · bits / 8], the [N, K] weight cut into blocks along K, codes
 *   packed low-first (4-bit: the first of a pair in the low nibble); a last partial block is padded;
 * - scales: float [N · n_blocks]; zero_points: uint8 [N · ceil(n_blocks · bits / 8)], packed like B;
 * - bias (input 5): float [N]: Gemm's beta · C when C is N float32 values (an Add of C after it otherwise, beta = 1).
 * See weightQuantization.ts for the arithmetic. Gemm's alpha is folded into the weight before quantisation.
 *
 * Where the CPU kernel runs it: ORT 1.30's CPU kernel takes bits 2, 4 and 8 and block sizes that are powers of two
 * from 16 (MLAS's packed kernels: 16 to 256); other block sizes are refused. accuracy_level 4 (activations
 * quantised to int8 per block, int32 accumulation) is MLAS's fast path for both widths on x86-64 (for 8 bits the
 * only packed one: at level 0 the kernel dequantises the whole weight on every run); `accuracyLevel` overrides it.
 */
import { allTensorNames } from '../onnx/edit/graphNames';
import { rewriteModelFile, type GraphRewrite } from '../onnx/edit';
import type { NewNode, NewTensor } from '../onnx/edit/newNodes';
import { DataType } from '../onnx/dataTypes';
import type { OnnxModel } from '../onnx/onnxModel';
import type { TensorRef } from '../onnx/tensorRef';
import { readFloatWeight, scaledBias } from './int8DynamicRecipe';
import {
  checkQuantizable,
  NameMaker,
  NO_CONSTANT_WEIGHT,
  quantizableMatMuls,
  replacedWeightEdits,
  type QuantizableMatMul,
} from './quantizableMatMuls';
import type { OptimizationRecipe } from './recipe';
import { blockLayout, quantizeBlocks, transpose, type BlockWeights } from './weightQuantization';

export const DEFAULT_BLOCK_SIZE = 32;
/** The block sizes MLAS's packed MatMulNBits kernels take. */
export const KERNEL_BLOCK_SIZES: readonly number[] = [16, 32, 64, 128, 256];

export interface WeightOnlyOptions {
  bits: 4 | 8;
  blockSize?: number;
  /** MatMulNBits' accuracy_level; default 4 (int8 compute). */
  accuracyLevel?: 0 | 1 | 4;
  readWeight?: (ref: TensorRef) => Promise<Float32Array>;
}

/** One line when the block size is not one the CPU kernel runs; undefined when it is. */
export function blockSizeProblem(blockSize: number): string | undefined {
  if (KERNEL_BLOCK_SIZES.includes(blockSize)) return undefined;
  return `--block-size ${blockSize} is not one ONNX Runtime's CPU MatMulNBits kernel runs (${KERNEL_BLOCK_SIZES.join(', ')})`;
}

export function planWeightOnly(model: OnnxModel, options: WeightOnlyOptions): GraphRewrite {
  const graph = model.graph;
  const { bits } = options;
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  const problem = blockSizeProblem(blockSize);
  if (problem) throw new Error(problem);
  const accuracyLevel = options.accuracyLevel ?? 4;
  const read = options.readWeight ?? readFloatWeight;
  const nodes = quantizableMatMuls(graph).filter((q) => q.bias === undefined || q.beta === 1 || q.biasRef !== undefined);
  if (nodes.length === 0) throw new Error(NO_CONSTANT_WEIGHT);
  const names = new NameMaker([...allTensorNames(graph), ...graph.nodes.map((n) => n.name)]);

  const addInitializers: NewTensor[] = [];
  let cached: { key: string; result: Promise<BlockWeights> } | undefined;
  const quantized = (q: QuantizableMatMul, key: string): Promise<BlockWeights> => {
    if (cached?.key !== key)
      cached = {
        key,
        result: read(q.weight).then((values) => {
          // MatMulNBits wants [N, K]: Gemm's transB weight as stored, MatMul's [K, N] transposed.
          const wT = q.transB ? values : transpose(values, q.k, q.n);
          if (q.alpha !== 1) for (let i = 0; i < wT.length; i++) wT[i] *= q.alpha;
          return quantizeBlocks(wT, q.k, q.n, bits, blockSize);
        }),
      };
    return cached.result;
  };
  const bytesOf = (a: Uint8Array | Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const weights = new Map<string, { b: string; scales: string; zeroPoints: string }>();
  const insertBefore = new Map<number, NewNode[]>();
  const removeNodes = new Set<number>();
  for (const q of nodes) {
    const key = `${q.weight.name}\u0000${q.transB}\u0000${q.alpha}`;
    let w = weights.get(key);
    if (w === undefined) {
      const layout = blockLayout(q.k, q.n, bits, blockSize);
      const tensors: NewTensor[] = [
        {
          name: names.make(`${q.weight.name}_Q${bits}`),
          dataType: DataType.UINT8,
          dims: [q.n, layout.blocks, layout.blobSize],
          byteLength: q.n * layout.blocks * layout.blobSize,
          bytes: async () => bytesOf((await quantized(q, key)).packed),
        },
        {
          name: names.make(`${q.weight.name}_scales`),
          dataType: DataType.FLOAT,
          dims: [q.n * layout.blocks],
          byteLength: 4 * q.n * layout.blocks,
          bytes: async () => bytesOf((await quantized(q, key)).scales),
        },
        {
          name: names.make(`${q.weight.name}_zero_points`),
          dataType: DataType.UINT8,
          dims: [q.n * layout.zeroPointBytesPerRow],
          byteLength: q.n * layout.zeroPointBytesPerRow,
          bytes: async () => bytesOf((await quantized(q, key)).zeroPoints),
        },
      ];
      addInitializers.push(...tensors);
      w = { b: tensors[0].name, scales: tensors[1].name, zeroPoints: tensors[2].name };
      weights.set(key, w);
    }
    const base = q.node.name !== '' ? q.node.name : `${q.op}_${q.index}`;
    let bias: string | undefined;
    if (q.biasRef !== undefined && q.beta !== 1) {
      const scaled = scaledBias(q.biasRef, q.beta, names, read);
      addInitializers.push(scaled);
      bias = scaled.name;
    } else if (q.biasRef !== undefined) bias = q.bias;
    const addAfter = q.bias !== undefined && bias === undefined ? q.bias : undefined;
    const product = addAfter !== undefined ? names.make(`${q.output}_product`) : q.output;
    const out: NewNode[] = [
      {
        opType: 'MatMulNBits',
        domain: 'com.microsoft',
        name: names.make(`${base}_Q${bits}`),
        inputs: [q.a, w.b, w.scales, w.zeroPoints, ...(bias !== undefined ? ['', bias] : [])],
        outputs: [product],
        attributes: [
          { name: 'K', kind: 'int', value: q.k },
          { name: 'N', kind: 'int', value: q.n },
          { name: 'bits', kind: 'int', value: bits },
          { name: 'block_size', kind: 'int', value: blockSize },
          { name: 'accuracy_level', kind: 'int', value: accuracyLevel },
        ],
      },
    ];
    if (addAfter !== undefined)
      out.push({ opType: 'Add', name: names.make(`${base}_bias_add`), inputs: [product, addAfter], outputs: [q.output] });
    insertBefore.set(q.index, out);
    removeNodes.add(q.index);
  }
  const gemms = nodes.filter((q) => q.op === 'Gemm').length;
  return {
    removeNodes,
    insertBefore,
    ...replacedWeightEdits(model, nodes, removeNodes, addInitializers),
    opsets: [{ domain: 'com.microsoft', version: 1 }],
    changes: [
      `${nodes.length - gemms} MatMul and ${gemms} Gemm weights to ${bits}-bit blocks of ${blockSize} (com.microsoft MatMulNBits, accuracy_level ${accuracyLevel})`,
    ],
  };
}

export function weightOnlyRecipe(bits: 4 | 8): OptimizationRecipe {
  return {
    name: `int${bits}-weights`,
    description: `weight-only: MatMul/Gemm weights to ${bits}-bit blocks (--block-size N, default ${DEFAULT_BLOCK_SIZE}), com.microsoft MatMulNBits`,
    applies: checkQuantizable,
    async apply(input, output, options, signal) {
      const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
      const problem = blockSizeProblem(blockSize);
      if (problem) throw new Error(problem);
      await rewriteModelFile(input, output, (model) => planWeightOnly(model, { bits, blockSize }), { signal });
    },
  };
}
