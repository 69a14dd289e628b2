/**
 * `int8-dynamic`: the weights of MatMul and Gemm nodes (constant float32 initializers) to int8, activations
 * quantised at run time; the usual CPU path for transformers and MLPs.
 *
 * Each qualifying node becomes the standard ONNX form onnxruntime.quantization emits: DynamicQuantizeLinear(A)
 * (uint8, once per activation however many nodes read it) + MatMulInteger(A_q, W_int8, A_zero_point, W_zero_point)
 * + Cast to float + Mul by A_scale · W_scale. ORT's graph optimiser fuses it at its extended level (which its
 * default, 'all', includes) into com.microsoft MatMulIntegerToFloat / DynamicQuantizeMatMul, and it runs in any
 * ONNX runtime. The alternative, emitting com.microsoft DynamicQuantizeMatMul(A, W_int8, W_scale, W_zero_point,
 * bias) directly, is `form: 'com.microsoft'`. Measured by bench/optimize-int8.mjs on the 6-layer encoder (AVX-512
 * VNNI Xeon, 2 shared cores, ORT 1.30, sequence 128): at 'extended' and 'all' the two forms run alike (ORT fuses the
 * standard one into the same kernels), 2.6-3.7× faster than float32 with the same outputs; at 'disabled' either led
 * from run to run under load. Equal speed where deployments load models, and standard ops, make the standard form
 * the default. Per channel costs 1 % more weight bytes for a closer cosine (0.99970 against 0.99948 per tensor).
 *
 * Weights: signed int8, symmetric (zero point 0, codes in [-127, 127]), per tensor or with --per-channel per output
 * column; activations: uint8 (what DynamicQuantizeLinear produces). A Gemm's alpha is folded into the weight scale,
 * transB into the stored layout (the int8 weight is always [K, N]), beta · C (scaled into a new initializer when
 * beta ≠ 1) an Add after the product (DynamicQuantizeMatMul's bias input when C is N float32 values). Weights are
 * read and quantised one at a time as the file is written.
 *
 * On CPUs without AVX-512 VNNI / AVX-VNNI, MLAS's u8s8 kernel multiplies through 16-bit pairs that can saturate
 * with full-range int8 weights (ORT's quantizer offers reduce_range, 7-bit weights, for that); the check that every
 * variant runs on the evaluation inputs and agrees with the original (cosine in the report) is what catches it.
 */
import { allTensorNames } from '../onnx/edit/graphNames';
import { rewriteModelFile, type GraphRewrite } from '../onnx/edit';
import type { NewNode, NewTensor } from '../onnx/edit/newNodes';
import { DataType } from '../onnx/dataTypes';
import type { OnnxModel } from '../onnx/onnxModel';
import { readTensorData } from '../onnx/readTensorData';
import type { TensorRef } from '../onnx/tensorRef';
import {
  checkQuantizable,
  NameMaker,
  NO_CONSTANT_WEIGHT,
  quantizableMatMuls,
  replacedWeightEdits,
  type QuantizableMatMul,
} from './quantizableMatMuls';
import type { OptimizationRecipe } from './recipe';
import { quantizeInt8, transpose } from './weightQuantization';

export type Int8DynamicForm = 'com.microsoft' | 'onnx';

export interface Int8DynamicOptions {
  perChannel?: boolean;
  /** Default 'onnx' (DynamicQuantizeLinear + MatMulInteger). */
  form?: Int8DynamicForm;
  /** Reads a weight's float32 values; default readTensorData. */
  readWeight?: (ref: TensorRef) => Promise<Float32Array>;
}

export async function readFloatWeight(ref: TensorRef): Promise<Float32Array> {
  const data = await readTensorData(ref);
  if (!(data.values instanceof Float32Array)) throw new Error(`weight ${ref.name} is not float32`);
  return data.values;
}

const FLOAT = DataType.FLOAT;

/** beta · C as a new [N] initializer, produced when written. */
export function scaledBias(ref: TensorRef, beta: number, names: NameMaker, read: (ref: TensorRef) => Promise<Float32Array>): NewTensor {
  return {
    name: names.make(`${ref.name}_times_beta`),
    dataType: FLOAT,
    dims: ref.dims,
    byteLength: 4 * ref.dims[0],
    bytes: async () => new Uint8Array(Float32Array.from(await read(ref), (v) => v * beta).buffer),
  };
}
const INT8 = DataType.INT8;

/** One quantised weight: its code and scale tensors, produced together from one read of the float weight. */
interface QuantizedWeight {
  codes: NewTensor;
  scale: NewTensor;
  zeroPoint: NewTensor;
}

/** Plans the rewrite; tensors are produced when the writer reaches them. Throws one line when nothing qualifies. */
export function planInt8Dynamic(model: OnnxModel, options: Int8DynamicOptions = {}): GraphRewrite {
  const graph = model.graph;
  const form = options.form ?? 'onnx';
  const perChannel = options.perChannel ?? false;
  const read = options.readWeight ?? readFloatWeight;
  const opset = model.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0;
  if (form === 'onnx' && opset < 11)
    throw new Error(`its ai.onnx opset is ${opset}: DynamicQuantizeLinear needs 11 or later (convert the opset first)`);
  // A Gemm with beta ≠ 1 and a C that is not a plain [N] initializer would need a Mul too: left in float.
  const nodes = quantizableMatMuls(graph).filter((q) => q.bias === undefined || q.beta === 1 || q.biasRef !== undefined);
  if (nodes.length === 0) throw new Error(NO_CONSTANT_WEIGHT);
  const names = new NameMaker([...allTensorNames(graph), ...graph.nodes.map((n) => n.name)]);

  const addInitializers: NewTensor[] = [];
  const weights = new Map<string, QuantizedWeight>();
  // The last weight read and quantised: codes and scale are written one after the other, so one read serves both.
  let cached: { key: string; result: Promise<{ codes: Int8Array; scales: Float32Array }> } | undefined;
  const quantized = (q: QuantizableMatMul, key: string) => {
    if (cached?.key !== key)
      cached = {
        key,
        result: read(q.weight).then((values) => {
          const w = q.transB ? transpose(values, q.n, q.k) : values;
          const r = quantizeInt8(w, q.k, q.n, perChannel);
          if (q.alpha !== 1) for (let i = 0; i < r.scales.length; i++) r.scales[i] *= q.alpha;
          return r;
        }),
      };
    return cached.result;
  };
  const weightOf = (q: QuantizableMatMul): QuantizedWeight => {
    const key = `${q.weight.name}\u0000${q.transB}\u0000${q.alpha}`;
    const known = weights.get(key);
    if (known) return known;
    const channels = perChannel ? q.n : 1;
    const dims = perChannel ? [q.n] : [];
    const w: QuantizedWeight = {
      codes: {
        name: names.make(`${q.weight.name}_quantized`),
        dataType: INT8,
        dims: [q.k, q.n],
        byteLength: q.k * q.n,
        bytes: async () => {
          const { codes } = await quantized(q, key);
          return new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength);
        },
      },
      scale: {
        name: names.make(`${q.weight.name}_scale`),
        dataType: FLOAT,
        dims,
        byteLength: 4 * channels,
        bytes: async () => {
          const { scales } = await quantized(q, key);
          return new Uint8Array(scales.buffer, scales.byteOffset, scales.byteLength);
        },
      },
      zeroPoint: {
        name: names.make(`${q.weight.name}_zero_point`),
        dataType: INT8,
        dims,
        byteLength: channels,
        bytes: () => new Uint8Array(channels),
      },
    };
    weights.set(key, w);
    addInitializers.push(w.codes, w.scale, w.zeroPoint);
    return w;
  };

  const insertBefore = new Map<number, NewNode[]>();
  const removeNodes = new Set<number>();
  // The standard form quantises each activation once, however many MatMuls read it.
  const quantizedActivations = new Map<string, { q: string; scale: string; zeroPoint: string }>();
  for (const q of nodes) {
    const w = weightOf(q);
    const base = q.node.name !== '' ? q.node.name : `${q.op}_${q.index}`;
    const out: NewNode[] = [];
    // beta · C: C itself, or a scaled copy, as a [N] bias; otherwise an Add of C after the product.
    let bias: string | undefined;
    let addAfter: string | undefined;
    if (q.bias !== undefined) {
      if (q.biasRef !== undefined && q.beta !== 1) {
        const scaled = scaledBias(q.biasRef, q.beta, names, read);
        addInitializers.push(scaled);
        bias = scaled.name;
      } else if (q.biasRef !== undefined) bias = q.bias;
      else addAfter = q.bias;
    }
    const product = addAfter !== undefined ? names.make(`${q.output}_product`) : q.output;
    if (form === 'com.microsoft') {
      out.push({
        opType: 'DynamicQuantizeMatMul',
        domain: 'com.microsoft',
        name: names.make(`${base}_quant`),
        inputs: [q.a, w.codes.name, w.scale.name, w.zeroPoint.name, ...(bias !== undefined ? [bias] : [])],
        outputs: [product],
      });
    } else {
      let act = quantizedActivations.get(q.a);
      if (act === undefined) {
        act = { q: names.make(`${q.a}_quantized`), scale: names.make(`${q.a}_scale`), zeroPoint: names.make(`${q.a}_zero_point`) };
        quantizedActivations.set(q.a, act);
        out.push({
          opType: 'DynamicQuantizeLinear',
          name: names.make(`${q.a}_QuantizeLinear`),
          inputs: [q.a],
          outputs: [act.q, act.scale, act.zeroPoint],
        });
      }
      const integer = names.make(`${q.output}_output_quantized`);
      const asFloat = names.make(`${q.output}_output_quantized_cast_output`);
      const scale = names.make(`${q.output}_scales_mul`);
      const scaledProduct = bias !== undefined ? names.make(`${q.output}_scaled`) : product;
      out.push(
        {
          opType: 'MatMulInteger',
          name: names.make(`${base}_quant`),
          inputs: [act.q, w.codes.name, act.zeroPoint, w.zeroPoint.name],
          outputs: [integer],
        },
        {
          opType: 'Cast',
          name: names.make(`${base}_output_cast`),
          inputs: [integer],
          outputs: [asFloat],
          attributes: [{ name: 'to', kind: 'int', value: FLOAT }],
        },
        { opType: 'Mul', name: names.make(`${base}_scales_mul`), inputs: [act.scale, w.scale.name], outputs: [scale] },
        { opType: 'Mul', name: names.make(`${base}_output_scale_mul`), inputs: [asFloat, scale], outputs: [scaledProduct] },
      );
      if (bias !== undefined)
        out.push({ opType: 'Add', name: names.make(`${base}_bias_add`), inputs: [scaledProduct, bias], outputs: [product] });
    }
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
    dropValueInfo: new Set(),
    opsets: form === 'com.microsoft' ? [{ domain: 'com.microsoft', version: 1 }] : [],
    changes: [
      `${nodes.length - gemms} MatMul and ${gemms} Gemm weights to int8 (${perChannel ? 'per output channel' : 'per tensor'}), ` +
        `activations quantised at run time (${form === 'com.microsoft' ? 'com.microsoft DynamicQuantizeMatMul' : 'DynamicQuantizeLinear + MatMulInteger'})`,
    ],
  };
}

export function int8DynamicRecipe(form: Int8DynamicForm = 'onnx'): OptimizationRecipe {
  return {
    name: 'int8-dynamic',
    description: 'MatMul/Gemm weights to int8 (per tensor, or --per-channel), activations quantised at run time',
    applies: checkQuantizable,
    async apply(input, output, options, signal) {
      await rewriteModelFile(input, output, (model) => planInt8Dynamic(model, { perChannel: options.perChannel, form }), { signal });
    },
  };
}
