/**
 * Which MatMul and Gemm nodes of a model the weight-quantisation recipes (int8-dynamic, int8-weights, int4-weights)
 * can rewrite, and why a model is refused: pure functions over the model's structure (no tensor values).
 *
 * A node qualifies when its weight B is a constant: a float32 2-D initializer of the main graph that is not also a
 * graph input (IR < 4 lets a caller override such an initializer, so it is not a constant). Gemm also needs
 * transA = 0 (A is then the usual [M, K] activation); its transB, alpha, beta and bias C are carried over.
 */
import { DataType } from '../onnx/dataTypes';
import { outerReferences } from '../onnx/edit/graphNames';
import type { ModelSummary } from '../onnx/modelSummary';
import type { NewTensor } from '../onnx/edit/newNodes';
import type { OnnxAttribute, OnnxGraph, OnnxModel, OnnxNode } from '../onnx/onnxModel';
import { readTensorData } from '../onnx/readTensorData';
import { tensorByteSize, type TensorRef } from '../onnx/tensorRef';
import type { RecipeCheck } from './recipe';

/** Operators that mean the model is quantised already (QDQ, integer or block-quantised compute). */
export const QUANTIZED_OPERATORS: ReadonlySet<string> = new Set([
  'ai.onnx.QuantizeLinear',
  'ai.onnx.DequantizeLinear',
  'ai.onnx.DynamicQuantizeLinear',
  'ai.onnx.MatMulInteger',
  'ai.onnx.ConvInteger',
  'ai.onnx.QLinearMatMul',
  'ai.onnx.QLinearConv',
  'com.microsoft.DynamicQuantizeMatMul',
  'com.microsoft.MatMulIntegerToFloat',
  'com.microsoft.DynamicQuantizeLSTM',
  'com.microsoft.QAttention',
  'com.microsoft.QGemm',
  'com.microsoft.QLinearAdd',
  'com.microsoft.QLinearMul',
  'com.microsoft.MatMulNBits',
  'com.microsoft.MatMulBnb4',
  'com.microsoft.MatMulFpQ4',
  'com.microsoft.GatherBlockQuantized',
  'com.microsoft.QuantizeLinear',
  'com.microsoft.DequantizeLinear',
]);

/** One MatMul or Gemm whose weight can be quantised. */
export interface QuantizableMatMul {
  /** Index in the main graph's nodes. */
  index: number;
  node: OnnxNode;
  op: 'MatMul' | 'Gemm';
  /** The activation input. */
  a: string;
  weight: TensorRef;
  /** Y = A · W, W as [K, N] (Gemm's transB = 1 weight is stored [N, K]). */
  k: number;
  n: number;
  /** Gemm's B is stored [N, K]. */
  transB: boolean;
  alpha: number;
  beta: number;
  /** Gemm's C, when given (and beta ≠ 0). */
  bias?: string;
  /** C as an initializer of N float32 values (then it can be the fused op's bias input). */
  biasRef?: TensorRef;
  output: string;
}

function attribute(node: OnnxNode, name: string): OnnxAttribute | undefined {
  return node.attributes.find((a) => a.name === name);
}
const intAttribute = (node: OnnxNode, name: string, fallback: number): number => {
  const a = attribute(node, name);
  return a?.i !== undefined ? Number(a.i) : fallback;
};
const floatAttribute = (node: OnnxNode, name: string, fallback: number): number => attribute(node, name)?.f ?? fallback;

/** The domain-qualified name summaries and QUANTIZED_OPERATORS use. */
const qualified = (node: OnnxNode): string => `${node.domain === '' ? 'ai.onnx' : node.domain}.${node.opType}`;

/** Constant float32 2-D initializers of the graph, by name. */
function constantWeights(graph: OnnxGraph): Map<string, TensorRef> {
  const inputs = new Set(graph.inputs.map((v) => v.name));
  const found = new Map<string, TensorRef>();
  for (const t of graph.initializers)
    if (!inputs.has(t.name) && t.dataType === DataType.FLOAT && t.dims.length === 2 && t.dims.every((d) => d > 0)) found.set(t.name, t);
  return found;
}

/** The main graph's MatMul and Gemm nodes with a constant weight, in graph order. */
export function quantizableMatMuls(graph: OnnxGraph): QuantizableMatMul[] {
  const weights = constantWeights(graph);
  const inputs = new Set(graph.inputs.map((v) => v.name));
  const floatInits = new Map(
    graph.initializers.filter((t) => !inputs.has(t.name) && t.dataType === DataType.FLOAT).map((t) => [t.name, t]),
  );
  const found: QuantizableMatMul[] = [];
  graph.nodes.forEach((node, index) => {
    if (node.domain !== '' && node.domain !== 'ai.onnx') return;
    if (node.opType !== 'MatMul' && node.opType !== 'Gemm') return;
    const weight = weights.get(node.inputs[1] ?? '');
    if (weight === undefined || node.inputs[0] === undefined || node.inputs[0] === '' || node.outputs[0] === undefined) return;
    if (node.opType === 'MatMul') {
      const [k, n] = weight.dims;
      found.push({ index, node, op: 'MatMul', a: node.inputs[0], weight, k, n, transB: false, alpha: 1, beta: 1, output: node.outputs[0] });
      return;
    }
    if (intAttribute(node, 'transA', 0) !== 0) return;
    const transB = intAttribute(node, 'transB', 0) !== 0;
    const [k, n] = transB ? [weight.dims[1], weight.dims[0]] : weight.dims;
    const beta = floatAttribute(node, 'beta', 1);
    const c = node.inputs[2];
    const bias = c !== undefined && c !== '' && beta !== 0 ? c : undefined;
    const biasInit = bias !== undefined ? floatInits.get(bias) : undefined;
    const biasRef = biasInit !== undefined && biasInit.dims.length === 1 && biasInit.dims[0] === n ? biasInit : undefined;
    found.push({
      index,
      node,
      op: 'Gemm',
      a: node.inputs[0],
      weight,
      k,
      n,
      transB,
      alpha: floatAttribute(node, 'alpha', 1),
      beta,
      ...(bias !== undefined ? { bias } : {}),
      ...(biasRef !== undefined ? { biasRef } : {}),
      output: node.outputs[0],
    });
  });
  return found;
}

/** The quantised operators a graph already has (main graph only; the summary check covers subgraphs). */
export function quantizedOperatorsIn(graph: OnnxGraph): string[] {
  return [...new Set(graph.nodes.map(qualified).filter((op) => QUANTIZED_OPERATORS.has(op)))];
}

/** Whether a weight-quantisation recipe can apply, from the summary: MatMul or Gemm present, nothing quantised yet. */
export function checkQuantizable(model: ModelSummary): RecipeCheck {
  const quantized = model.operators.filter((o) => QUANTIZED_OPERATORS.has(`${o.domain}.${o.opType}`));
  if (quantized.length > 0)
    return {
      ok: false,
      reason: `it is quantised already (it has ${quantized.map((o) => (o.domain === 'ai.onnx' ? o.opType : `${o.domain}.${o.opType}`)).join(', ')})`,
    };
  if (!model.operators.some((o) => o.domain === 'ai.onnx' && (o.opType === 'MatMul' || o.opType === 'Gemm')))
    return { ok: false, reason: 'it has no MatMul or Gemm: there is nothing to quantise' };
  const missing = model.externalData.find((f) => f.error !== undefined || f.size === undefined);
  if (missing)
    return { ok: false, reason: `its external data file ${missing.location} cannot be read${missing.error ? `: ${missing.error}` : ''}` };
  return { ok: true };
}

/** The one line when a model has MatMul/Gemm nodes but none with a constant float32 weight. */
export const NO_CONSTANT_WEIGHT =
  'none of its MatMul or Gemm nodes has a constant float32 2-D weight (an initializer): there is nothing to quantise';

/** Fresh tensor and node names, avoiding every name the graph already uses. */
export class NameMaker {
  private readonly used: Set<string>;
  constructor(used: Iterable<string>) {
    this.used = new Set(used);
  }
  make(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}

/** Inline copies of external data are written up to this many bytes (a protobuf message stays far below 2 GiB). */
const INLINE_EXTERNAL_LIMIT = 1 << 30;

/**
 * Initializers the rewrite keeps that live in external data, moved inline (read one at a time as the file is
 * written) so the variant does not carry a copy of its parent's whole data file, quantised-away weights included.
 * Left external (copied, as the writer does) when they are over 1 GiB together with the new tensors, hold strings,
 * or the IR version lists initializers as graph inputs (< 4).
 */
export function inlineKeptExternal(
  model: OnnxModel,
  removed: ReadonlySet<string>,
  newBytes: number,
): { remove: string[]; add: NewTensor[] } {
  const kept = model.graph.initializers.filter((t) => t.dataLocation === 'external' && !removed.has(t.name));
  const bytes = kept.reduce((sum, t) => sum + tensorByteSize(t), 0);
  if (
    kept.length === 0 ||
    model.irVersion < 4 ||
    bytes + newBytes > INLINE_EXTERNAL_LIMIT ||
    kept.some((t) => t.dataType === DataType.STRING)
  )
    return { remove: [], add: [] };
  return {
    remove: kept.map((t) => t.name),
    add: kept.map((t) => ({
      name: t.name,
      dataType: t.dataType,
      dims: t.dims,
      byteLength: tensorByteSize(t),
      bytes: async () => {
        const { values } = await readTensorData(t);
        if (Array.isArray(values)) throw new Error(`external tensor ${t.name} holds strings`);
        return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      },
    })),
  };
}

/**
 * Where a tensor is read: by main-graph nodes (index), by subgraphs, or as a graph output. Initializers only read
 * by rewritten nodes can be dropped.
 */
export function readersOf(graph: OnnxGraph, name: string): { nodes: number[]; elsewhere: boolean } {
  const nodes: number[] = [];
  let elsewhere = graph.outputs.some((o) => o.name === name);
  graph.nodes.forEach((n, i) => {
    if (n.inputs.includes(name)) nodes.push(i);
    if (outerReferences(n).has(name)) elsewhere = true;
  });
  return { nodes, elsewhere };
}

/** Initializers that only the rewritten nodes read. */
export function droppableInitializers(graph: OnnxGraph, names: Iterable<string>, rewritten: ReadonlySet<number>): Set<string> {
  const drop = new Set<string>();
  for (const name of names) {
    const { nodes, elsewhere } = readersOf(graph, name);
    if (!elsewhere && nodes.every((i) => rewritten.has(i))) drop.add(name);
  }
  return drop;
}

/**
 * The initializer edits of a plan that rewrote `nodes` (their indices in `removeNodes`) and adds `added`: the
 * weights only the rewritten nodes read are removed, and the kept external tensors are moved inline beside the new
 * ones (inlineKeptExternal).
 */
export function replacedWeightEdits(
  model: OnnxModel,
  nodes: readonly QuantizableMatMul[],
  removeNodes: ReadonlySet<number>,
  added: readonly NewTensor[],
): { removeInitializers: Set<string>; addInitializers: NewTensor[] } {
  const removed = droppableInitializers(
    model.graph,
    nodes.map((q) => q.weight.name),
    removeNodes,
  );
  const inlined = inlineKeptExternal(
    model,
    removed,
    added.reduce((sum, t) => sum + t.byteLength, 0),
  );
  return { removeInitializers: new Set([...removed, ...inlined.remove]), addInitializers: [...added, ...inlined.add] };
}
