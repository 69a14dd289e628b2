/**
 * The drawable graph of one InspectorGraph: graph inputs (not initializers), operator nodes and graph
 * outputs as boxes; an edge from the producer of each tensor to each of its consumers.
 */
import type { InspectorGraph, InspectorNode, InspectorTensor, InspectorValue } from '../../src/shared/inspectorProtocol';

export type BoxKind = 'input' | 'op' | 'output';

export interface Box {
  kind: BoxKind;
  label: string;
  /** Index in graph.nodes for ops, in graph.inputs / graph.outputs otherwise. */
  index: number;
  category: Category;
}

export type Category = 'io' | 'compute' | 'activation' | 'norm' | 'shape' | 'control' | 'other';

export interface DrawGraph {
  graph: InspectorGraph;
  boxes: Box[];
  sources: Int32Array;
  targets: Int32Array;
  widths: Float64Array;
  /** Tensor name -> value info, from this graph and the scopes around it. */
  values: Map<string, InspectorValue>;
  /** Initializer name -> tensor and the scope id of the graph holding it (inner scopes shadow outer ones). */
  initializers: Map<string, { tensor: InspectorTensor; graphId: string }>;
  /** Tensor name -> box producing it. */
  producer: Map<string, number>;
}

const CATEGORIES: [Category, RegExp][] = [
  ['control', /^(If|Loop|Scan|SequenceMap)$/],
  [
    'compute',
    /^(Conv|ConvTranspose|ConvInteger|QLinearConv|MatMul|MatMulInteger|QLinearMatMul|Gemm|FusedMatMul|FusedConv|Attention|MultiHeadAttention|GroupQueryAttention|LSTM|GRU|RNN|Einsum)$/,
  ],
  [
    'activation',
    /^(Relu|LeakyRelu|PRelu|Sigmoid|HardSigmoid|Tanh|Gelu|FastGelu|BiasGelu|QuickGelu|Softmax|LogSoftmax|Elu|Selu|Celu|Softplus|Softsign|HardSwish|Mish|Erf|Clip)$/,
  ],
  ['norm', /(Norm|Normalization|Dropout|Pool)$|^(LRN)$/],
  [
    'shape',
    /^(Reshape|Transpose|Concat|Split|Slice|Gather|GatherElements|GatherND|Squeeze|Unsqueeze|Shape|Size|Flatten|Expand|Tile|Pad|Cast|Identity|Constant|ConstantOfShape|Range|Resize|DepthToSpace|SpaceToDepth|ScatterND|ScatterElements|Where|NonZero|Compress|Trilu)$/,
  ],
];

export function categoryOf(opType: string): Category {
  for (const [c, re] of CATEGORIES) if (re.test(opType)) return c;
  return 'other';
}

/** Box width for a label: about 7 px a character, within [56, 260]. */
export function labelWidth(label: string): number {
  return Math.min(260, Math.max(56, label.length * 7 + 20));
}

export function buildDrawGraph(graph: InspectorGraph, outer: DrawGraph | undefined): DrawGraph {
  const values = new Map(outer?.values);
  const initializers = new Map(outer?.initializers);
  for (const v of [...graph.valueInfo, ...graph.inputs, ...graph.outputs]) values.set(v.name, v);
  for (const t of graph.initializers) initializers.set(t.name, { tensor: t, graphId: graph.id });
  const ownInitializers = new Set(graph.initializers.map((t) => t.name));

  const boxes: Box[] = [];
  const producer = new Map<string, number>();
  graph.inputs.forEach((v, index) => {
    if (ownInitializers.has(v.name)) return; // old IR versions list every initializer as an input too
    producer.set(v.name, boxes.length);
    boxes.push({ kind: 'input', label: v.name, index, category: 'io' });
  });
  const opBase = boxes.length;
  graph.nodes.forEach((node: InspectorNode, index) => {
    for (const o of node.outputs) if (o) producer.set(o, opBase + index);
    boxes.push({ kind: 'op', label: node.opType, index, category: categoryOf(node.opType) });
  });
  const sources: number[] = [];
  const targets: number[] = [];
  graph.nodes.forEach((node, index) => {
    const seen = new Set<number>();
    for (const i of node.inputs) {
      const p = i ? producer.get(i) : undefined;
      if (p !== undefined && !seen.has(p)) {
        seen.add(p);
        sources.push(p);
        targets.push(opBase + index);
      }
    }
  });
  graph.outputs.forEach((v, index) => {
    const box = boxes.length;
    boxes.push({ kind: 'output', label: v.name, index, category: 'io' });
    const p = producer.get(v.name);
    if (p !== undefined) {
      sources.push(p);
      targets.push(box);
    }
  });
  const widths = Float64Array.from(boxes, (b) => labelWidth(b.label));
  return { graph, boxes, sources: Int32Array.from(sources), targets: Int32Array.from(targets), widths, values, initializers, producer };
}

/** Boxes whose label, node name or tensor names contain the query (case-insensitive), in box order. */
export function searchBoxes(draw: DrawGraph, query: string): number[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const hits: number[] = [];
  draw.boxes.forEach((b, i) => {
    if (b.label.toLowerCase().includes(q)) {
      hits.push(i);
      return;
    }
    if (b.kind !== 'op') return;
    const node = draw.graph.nodes[b.index];
    if (
      node.name.toLowerCase().includes(q) ||
      node.outputs.some((t) => t.toLowerCase().includes(q)) ||
      node.inputs.some((t) => t.toLowerCase().includes(q))
    ) {
      hits.push(i);
    }
  });
  return hits;
}
