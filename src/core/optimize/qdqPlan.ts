/**
 * Where int8-static puts its QuantizeLinear/DequantizeLinear pairs, before any value is known. Kept to the
 * patterns ONNX Runtime's CPU provider fuses into integer kernels (its QDQ selectors):
 *
 * - Conv, Gemm and MatMul with float32 constant weights are replaced by the same op reading DequantizeLinear
 *   outputs: the activation input (uint8 asymmetric), the weight (int8 symmetric, per tensor or per output
 *   channel), and the bias as int32 with scale x_scale × w_scale and zero point 0 (so DQ → Conv → Q becomes
 *   QLinearConv, DQ → Gemm [→ Q] QGemm, DQ → MatMul → Q QLinearMatMul, DQ → MatMul → float MatMulIntegerToFloat).
 * - A BatchNormalization right after a Conv (its only consumer) is folded into the Conv's weights and bias, and a
 *   Relu right after (its only consumer) into the output's QuantizeLinear: a uint8 zero point of 0 clamps
 *   negatives to 0 exactly as Relu does, so the Relu node goes.
 * - A Conv's output is quantised (QLinearConv needs its Q); a Gemm's or MatMul's only when it feeds another
 *   quantised op, else it stays float (the integer kernels write float directly).
 * - MaxPool, Flatten, Reshape, Transpose, Squeeze and Unsqueeze after a quantised tensor get their output
 *   quantised with the same scale and zero point (exact: they only move or pick values), so ORT drops the DQ/Q
 *   around them and runs them on uint8.
 */
import { AttributeType, type OnnxAttribute, type OnnxModel, type OnnxNode } from '../onnx/onnxModel';
import type { NewAttribute } from '../onnx/edit/newNodes';
import type { TensorRef } from '../onnx/tensorRef';

const FLOAT = 1;
export const QUANTIZED_OPS = ['Conv', 'Gemm', 'MatMul'] as const;
/**
 * A (non-depthwise) Conv whose dot products are shorter than this (input channels per group × kernel size) stays
 * float32: ORT's QLinearConv has no fast path for them. Measured on the test CNN's first layer (1 channel, 3×3,
 * 28×28, batch 32, ORT 1.30, AVX-512 VNNI): QLinearConv 616 µs against 72 µs for the float (NCHWc) Conv.
 */
const MIN_CONV_DEPTH = 16;
const PASS_THROUGH = new Set(['MaxPool', 'Flatten', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze']);

/** One Conv/Gemm/MatMul replaced by its QDQ form. */
export interface PlannedNode {
  index: number;
  node: OnnxNode;
  /** The activation input (input 0). */
  input: string;
  weight: TensorRef;
  bias?: TensorRef;
  /** Gemm's beta, folded into the bias. */
  biasFactor: number;
  /** A BatchNormalization folded into the weights and bias. */
  batchNorm?: { index: number; scale: TensorRef; bias: TensorRef; mean: TensorRef; variance: TensorRef; epsilon: number };
  /** A Relu folded into the output's QuantizeLinear. */
  relu?: { index: number };
  /** The tensor the replaced chain writes (the Relu's, the BatchNorm's or the node's own output). */
  output: string;
  /** Whether `output` is quantised. */
  quantizeOutput: boolean;
  /** The weight's axis of output channels. */
  outputAxis: number;
  /** The axis of per-channel scales (outputAxis), or undefined when per tensor. */
  channelAxis?: number;
  attributes: NewAttribute[];
}

/** A quantised activation: its own range, or the same parameters as another quantised tensor. */
export interface PlannedActivation {
  name: string;
  /** Produced by a Relu folded into its QuantizeLinear: the range starts at 0. */
  relu: boolean;
  /** Same scale and zero point as this tensor (a pass-through op's output). */
  shareFrom?: string;
}

export interface QdqPlan {
  nodes: PlannedNode[];
  /** In graph order. */
  activations: Map<string, PlannedActivation>;
  /** Tensors whose range calibration measures, in graph order (graph inputs first). */
  calibrated: string[];
  /** Ops left in float that a user might have expected quantised, with why (one line each). */
  skipped: string[];
}

function attribute(node: OnnxNode, name: string): OnnxAttribute | undefined {
  return node.attributes.find((a) => a.name === name);
}

/** A node's attribute as a new node's, or undefined for kinds a rewrite cannot copy. */
export function copyAttribute(a: OnnxAttribute): NewAttribute | undefined {
  switch (a.type) {
    case AttributeType.FLOAT:
      return { name: a.name, kind: 'float', value: a.f ?? 0 };
    case AttributeType.INT:
      return { name: a.name, kind: 'int', value: a.i ?? 0 };
    case AttributeType.STRING:
      return typeof a.s === 'string' ? { name: a.name, kind: 'string', value: a.s } : undefined;
    case AttributeType.FLOATS:
      return { name: a.name, kind: 'floats', value: a.floats ?? [] };
    case AttributeType.INTS:
      return { name: a.name, kind: 'ints', value: a.ints ?? [] };
    case AttributeType.STRINGS:
      return a.strings?.every((s) => typeof s === 'string') ? { name: a.name, kind: 'strings', value: a.strings as string[] } : undefined;
    default:
      return undefined;
  }
}

export function planQdq(model: OnnxModel, perChannel: boolean): QdqPlan {
  const g = model.graph;
  const initializers = new Map(g.initializers.map((t) => [t.name, t]));
  const graphInputs = new Set(g.inputs.map((v) => v.name).filter((n) => !initializers.has(n)));
  const graphOutputs = new Set(g.outputs.map((v) => v.name));
  const consumers = new Map<string, number[]>();
  g.nodes.forEach((n, i) => {
    for (const name of new Set(n.inputs)) if (name !== '') consumers.set(name, [...(consumers.get(name) ?? []), i]);
  });
  const floatConst = (name: string | undefined): TensorRef | undefined => {
    const t = name ? initializers.get(name) : undefined;
    return t && t.dataType === FLOAT ? t : undefined;
  };
  const only = (tensor: string, op: string): number | undefined => {
    const c = consumers.get(tensor) ?? [];
    if (c.length !== 1 || graphOutputs.has(tensor)) return undefined;
    const n = g.nodes[c[0]];
    return n.opType === op && (n.domain === '' || n.domain === 'ai.onnx') && n.outputs.filter((o) => o !== '').length === 1
      ? c[0]
      : undefined;
  };
  const skipped: string[] = [];

  // 1. The nodes to replace, each with what it folds in.
  const candidates: Omit<PlannedNode, 'quantizeOutput' | 'output' | 'relu'>[] = [];
  const outputsAfterFold = new Map<number, { beforeRelu: string; relu?: { index: number; output: string } }>();
  for (const [index, node] of g.nodes.entries()) {
    if (!(QUANTIZED_OPS as readonly string[]).includes(node.opType) || (node.domain !== '' && node.domain !== 'ai.onnx')) continue;
    const label = `${node.opType} ${node.name || node.outputs[0]}`;
    const [x, w, b] = node.inputs;
    const weight = floatConst(w);
    if (!x || initializers.has(x) || weight === undefined || node.outputs.length !== 1) {
      if (node.opType === 'MatMul' && x && !initializers.has(x) && w && !initializers.has(w)) continue; // activation × activation
      skipped.push(`${label}: no float32 constant weight`);
      continue;
    }
    const attributes: NewAttribute[] = [];
    let copyable = true;
    for (const a of node.attributes) {
      const copy = copyAttribute(a);
      if (copy) attributes.push(copy);
      else copyable = false;
    }
    if (!copyable) {
      skipped.push(`${label}: an attribute of a kind the rewrite cannot copy`);
      continue;
    }
    let bias: TensorRef | undefined;
    let biasFactor = 1;
    let channelAxis: number;
    if (node.opType === 'Conv') {
      if (weight.dims.length < 3) continue;
      const group = Number(attribute(node, 'group')?.i ?? 1);
      const depth = weight.dims.slice(1).reduce((a, d) => a * d, 1);
      if (depth < MIN_CONV_DEPTH && !(group > 1 && weight.dims[1] === 1)) {
        skipped.push(
          `${label}: ${weight.dims[1]} input channel${weight.dims[1] === 1 ? '' : 's'} × ${weight.dims.slice(2).join('×')} kernel, where QLinearConv is slower than float Conv`,
        );
        continue;
      }
      if (b) {
        bias = floatConst(b);
        if (!bias) {
          skipped.push(`${label}: its bias is not a float32 constant`);
          continue;
        }
      }
      channelAxis = 0;
    } else if (node.opType === 'Gemm') {
      const alpha = attribute(node, 'alpha')?.f ?? 1;
      const beta = attribute(node, 'beta')?.f ?? 1;
      const transB = Number(attribute(node, 'transB')?.i ?? 0);
      if (weight.dims.length !== 2 || alpha !== 1) {
        skipped.push(`${label}: alpha ≠ 1`);
        continue;
      }
      const n = weight.dims[transB ? 0 : 1];
      if (b) {
        bias = floatConst(b);
        if (!bias || bias.dims.reduce((p, d) => p * d, 1) !== n || bias.dims.length !== 1) {
          skipped.push(`${label}: its C is not a float32 constant vector of ${n}`);
          continue;
        }
        biasFactor = beta;
        const at = attributes.findIndex((a) => a.name === 'beta');
        if (at >= 0) attributes.splice(at, 1);
      }
      channelAxis = transB ? 0 : 1;
    } else {
      if (weight.dims.length !== 2) {
        skipped.push(`${label}: its weight has rank ${weight.dims.length}, not 2`);
        continue;
      }
      channelAxis = 1;
    }
    let output = node.outputs[0];
    let batchNorm: PlannedNode['batchNorm'];
    if (node.opType === 'Conv') {
      const bn = only(output, 'BatchNormalization');
      const bnNode = bn === undefined ? undefined : g.nodes[bn];
      const params = bnNode?.inputs.slice(1, 5).map(floatConst) ?? [];
      const channels = weight.dims[0];
      if (
        bn !== undefined &&
        bnNode &&
        params.length === 4 &&
        params.every((p) => p !== undefined && p.dims.length === 1 && p.dims[0] === channels) &&
        Number(attribute(bnNode, 'training_mode')?.i ?? 0) === 0
      ) {
        const [scale, bnBias, mean, variance] = params as TensorRef[];
        batchNorm = { index: bn, scale, bias: bnBias, mean, variance, epsilon: attribute(bnNode, 'epsilon')?.f ?? 1e-5 };
        output = bnNode.outputs[0];
      }
    }
    const relu = only(output, 'Relu');
    outputsAfterFold.set(index, {
      beforeRelu: output,
      ...(relu === undefined ? {} : { relu: { index: relu, output: g.nodes[relu].outputs[0] } }),
    });
    candidates.push({
      index,
      node,
      input: x,
      weight,
      ...(bias ? { bias } : {}),
      biasFactor,
      ...(batchNorm ? { batchNorm } : {}),
      outputAxis: channelAxis,
      channelAxis: perChannel ? channelAxis : undefined,
      attributes,
    });
  }

  // 2. Which outputs are quantised: a Conv's always (unless a graph output), a Gemm's or MatMul's when it feeds
  // another replaced node, directly or through pass-through ops.
  const replacedInputs = new Set(candidates.map((c) => c.input));
  const feedsQuantized = (tensor: string, depth = 0): boolean =>
    replacedInputs.has(tensor) ||
    (depth < 16 &&
      (consumers.get(tensor) ?? []).some((i) => {
        const n = g.nodes[i];
        return PASS_THROUGH.has(n.opType) && n.inputs[0] === tensor && n.outputs.length === 1 && feedsQuantized(n.outputs[0], depth + 1);
      }));
  const nodes: PlannedNode[] = candidates.map((c) => {
    const after = outputsAfterFold.get(c.index)!;
    const last = after.relu?.output ?? after.beforeRelu;
    const quantizeOutput =
      !graphOutputs.has(after.beforeRelu) && !graphOutputs.has(last) && (c.node.opType === 'Conv' || feedsQuantized(last));
    return quantizeOutput && after.relu
      ? { ...c, relu: { index: after.relu.index }, output: after.relu.output, quantizeOutput }
      : { ...c, output: after.beforeRelu, quantizeOutput };
  });

  // 3. The activations, in graph order: replaced nodes' inputs and quantised outputs, then pass-through outputs.
  const own = new Map<string, PlannedActivation>();
  for (const n of nodes) {
    if (!own.has(n.input)) own.set(n.input, { name: n.input, relu: false });
    if (n.quantizeOutput) own.set(n.output, { name: n.output, relu: n.relu !== undefined });
  }
  const activations = new Map<string, PlannedActivation>();
  for (const name of g.inputs.map((v) => v.name)) {
    const a = own.get(name);
    if (a && graphInputs.has(name)) activations.set(name, a);
  }
  const plannedAt = new Map<number, PlannedNode>(nodes.map((n) => [n.index, n]));
  const removedIndices = new Set(nodes.flatMap((n) => [n.batchNorm?.index, n.relu?.index].filter((i): i is number => i !== undefined)));
  for (const [i, node] of g.nodes.entries()) {
    if (removedIndices.has(i)) continue;
    const planned = plannedAt.get(i);
    if (planned) {
      if (planned.quantizeOutput) activations.set(planned.output, own.get(planned.output)!);
    } else if (PASS_THROUGH.has(node.opType) && node.outputs.length === 1 && activations.has(node.inputs[0])) {
      activations.set(node.outputs[0], { name: node.outputs[0], relu: false, shareFrom: node.inputs[0] });
    } else {
      for (const out of node.outputs) if (own.has(out) && !activations.has(out)) activations.set(out, own.get(out)!);
    }
  }
  // Shared parameters resolve to the tensor that owns them.
  for (const a of activations.values()) {
    let from = a.shareFrom;
    while (from !== undefined && activations.get(from)?.shareFrom !== undefined) from = activations.get(from)!.shareFrom;
    if (from !== undefined) a.shareFrom = from;
  }
  const calibrated = [...activations.values()].filter((a) => a.shareFrom === undefined).map((a) => a.name);
  return { nodes, activations, calibrated, skipped };
}
