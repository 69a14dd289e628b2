/**
 * The drawable graph of one InspectorGraph: graph inputs (not initializers), operator nodes and graph
 * outputs as boxes; an edge from the producer of each tensor to each of its consumers.
 *
 * Weights do not get boxes: an initializer, or the output of a Constant node (unless `showConstants`), is
 * folded into each node that takes it, as a line such as `W ⟨64×3×7×7⟩` under the node's op type and key
 * attributes, the way Netron draws them.
 */
import type {
  InspectorAttribute,
  InspectorGraph,
  InspectorNode,
  InspectorTensor,
  InspectorValue,
} from '../../src/shared/inspectorProtocol';

export type BoxKind = 'input' | 'op' | 'output';

export interface Box {
  kind: BoxKind;
  /** Op type, or the tensor name of a graph input or output. */
  label: string;
  /** Lines under the label: key attributes, then folded weights. */
  details: string[];
  /** The node's name (ops) or the tensor's (inputs, outputs), for hover and search. */
  name: string;
  /** Index in graph.nodes for ops, in graph.inputs / graph.outputs otherwise. */
  index: number;
  category: Category;
}

export type Category = 'io' | 'compute' | 'activation' | 'norm' | 'shape' | 'control' | 'other';

/** A Constant node's value folded into its consumers. */
export interface FoldedConstant {
  /** Index of the Constant node in graph.nodes. */
  node: number;
  dtype: string;
  dims: number[];
}

export interface DrawGraph {
  graph: InspectorGraph;
  boxes: Box[];
  sources: Int32Array;
  targets: Int32Array;
  /** The tensor edge i carries. */
  edgeTensors: string[];
  widths: Float64Array;
  heights: Float64Array;
  /** Tensor name -> value info, from this graph and the scopes around it. */
  values: Map<string, InspectorValue>;
  /** Initializer name -> tensor and the scope id of the graph holding it (inner scopes shadow outer ones). */
  initializers: Map<string, { tensor: InspectorTensor; graphId: string }>;
  /** Output name of a folded Constant node -> its value's type. */
  constants: Map<string, FoldedConstant>;
  /** Tensor name -> box producing it. */
  producer: Map<string, number>;
}

export interface DrawOptions {
  /** Draw Constant nodes as boxes instead of folding them into their consumers. */
  showConstants?: boolean;
}

const CATEGORIES: [Category, RegExp][] = [
  ['control', /^(If|Loop|Scan|SequenceMap)$/],
  [
    'compute',
    /^(Conv|ConvTranspose|ConvInteger|QLinearConv|MatMul|MatMulInteger|QLinearMatMul|Gemm|FusedMatMul|FusedConv|Attention|MultiHeadAttention|GroupQueryAttention|LSTM|GRU|RNN|Einsum|MatMulNBits)$/,
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

/** Input names of common operators, from the ONNX operator specs; other inputs are shown by position. */
const INPUT_NAMES: Record<string, string[]> = {
  Conv: ['X', 'W', 'B'],
  ConvTranspose: ['X', 'W', 'B'],
  ConvInteger: ['x', 'w', 'x_zero_point', 'w_zero_point'],
  Gemm: ['A', 'B', 'C'],
  MatMul: ['A', 'B'],
  MatMulInteger: ['A', 'B', 'a_zero_point', 'b_zero_point'],
  BatchNormalization: ['X', 'scale', 'B', 'mean', 'var'],
  LayerNormalization: ['X', 'Scale', 'B'],
  InstanceNormalization: ['input', 'scale', 'B'],
  GroupNormalization: ['X', 'scale', 'bias'],
  Add: ['A', 'B'],
  Sub: ['A', 'B'],
  Mul: ['A', 'B'],
  Div: ['A', 'B'],
  Pow: ['X', 'Y'],
  PRelu: ['X', 'slope'],
  Reshape: ['data', 'shape'],
  Expand: ['input', 'shape'],
  Tile: ['input', 'repeats'],
  Gather: ['data', 'indices'],
  GatherElements: ['data', 'indices'],
  Slice: ['data', 'starts', 'ends', 'axes', 'steps'],
  Squeeze: ['data', 'axes'],
  Unsqueeze: ['data', 'axes'],
  Split: ['input', 'split'],
  Pad: ['data', 'pads', 'constant_value', 'axes'],
  Resize: ['X', 'roi', 'scales', 'sizes'],
  Upsample: ['X', 'scales'],
  Clip: ['input', 'min', 'max'],
  Where: ['condition', 'X', 'Y'],
  LSTM: ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h', 'initial_c', 'P'],
  GRU: ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h'],
  RNN: ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h'],
  QuantizeLinear: ['x', 'y_scale', 'y_zero_point'],
  DequantizeLinear: ['x', 'x_scale', 'x_zero_point'],
  ReduceMean: ['data', 'axes'],
  ReduceSum: ['data', 'axes'],
  ReduceMax: ['data', 'axes'],
  ReduceMin: ['data', 'axes'],
  ConstantOfShape: ['input'],
  Einsum: [],
};

/** Attributes worth a line on the box, most telling first; others are in the side panel. */
const KEY_ATTRIBUTES = [
  'kernel_shape',
  'strides',
  'dilations',
  'group',
  'pads',
  'perm',
  'axis',
  'axes',
  'to',
  'equation',
  'mode',
  'transA',
  'transB',
  'keepdims',
  'alpha',
];
const MAX_ATTRIBUTE_LINES = 2;
const MAX_WEIGHT_LINES = 4;

/** ONNX TensorProto.DataType codes, for Cast's `to`. */
const DTYPE_NAMES: Record<string, string> = {
  '1': 'float32',
  '2': 'uint8',
  '3': 'int8',
  '4': 'uint16',
  '5': 'int16',
  '6': 'int32',
  '7': 'int64',
  '8': 'string',
  '9': 'bool',
  '10': 'float16',
  '11': 'float64',
  '12': 'uint32',
  '13': 'uint64',
  '16': 'bfloat16',
};

/** `[3, 3]` as `3×3`; other values as they are. */
function attributeLine(a: InspectorAttribute, opType: string): string | undefined {
  let text = a.text;
  if (text.length > 28) return undefined;
  if (a.name === 'to' && opType === 'Cast') text = DTYPE_NAMES[text] ?? text;
  else if (/^(kernel_shape|strides|dilations)$/.test(a.name)) {
    const dims = /^\[([\d, ]*)\]$/.exec(text)?.[1];
    if (dims === undefined) return `${a.name} ${text}`;
    const values = dims.split(',').map((s) => s.trim());
    if (a.name !== 'kernel_shape' && values.every((v) => v === '1')) return undefined; // the default
    text = values.join('×');
  } else if (a.name === 'pads' && /^\[[0, ]*\]$/.test(text)) return undefined;
  else if (a.name === 'group' && text === '1') return undefined;
  const short: Record<string, string> = { kernel_shape: 'kernel', strides: 'stride', dilations: 'dilation' };
  return `${short[a.name] ?? a.name} ${text}`;
}

export function shapeText(dims: readonly (number | string | null)[]): string {
  return dims.length ? dims.map((d) => (d === null ? '?' : String(d))).join('×') : 'scalar';
}

/** Box width for its lines: about 7 px a character for the label, 6.3 for details, within [56, 300]. */
export function boxWidth(label: string, details: readonly string[] = []): number {
  let chars = label.length * 7;
  for (const d of details) chars = Math.max(chars, d.length * 6.3);
  return Math.min(300, Math.max(56, Math.ceil(chars) + 20));
}

/** Box height: 24 px for the label and 14 a detail line. */
export function boxHeight(details: readonly string[]): number {
  return 24 + 14 * details.length;
}

/** A Constant node's output type, read from its value attribute. */
function constantType(node: InspectorNode): { dtype: string; dims: number[] } {
  const a = node.attributes[0];
  const tensor = a && /^tensor (\S+)\[([\d,]*)\]/.exec(a.text);
  if (tensor) return { dtype: tensor[1], dims: tensor[2] ? tensor[2].split(',').map(Number) : [] };
  if (a?.name === 'value_ints' || a?.name === 'value_floats') return { dtype: a.name === 'value_ints' ? 'int64' : 'float32', dims: [-1] };
  return { dtype: a?.name === 'value_int' ? 'int64' : a?.name === 'value_string' ? 'string' : 'float32', dims: [] };
}

export function buildDrawGraph(graph: InspectorGraph, outer: DrawGraph | undefined, options: DrawOptions = {}): DrawGraph {
  const steps = buildDrawGraphSteps(graph, outer, options);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

const CHUNK = 1024;
/** Category by op type, worked out once per type. */
const categoryCache = new Map<string, Category>();

/**
 * buildDrawGraph as a generator that yields every thousand nodes or so, so the page can build a large graph
 * in time slices and stay responsive (the yielded value is the fraction done).
 */
export function* buildDrawGraphSteps(
  graph: InspectorGraph,
  outer: DrawGraph | undefined,
  options: DrawOptions = {},
): Generator<number, DrawGraph, void> {
  const values = new Map(outer?.values);
  const initializers = new Map(outer?.initializers);
  const constants = new Map(outer?.constants);
  for (const v of [...graph.valueInfo, ...graph.inputs, ...graph.outputs]) values.set(v.name, v);
  // What Measure Shapes saw wins over a declared shape with symbolic dims.
  for (const v of graph.valueInfo) if (v.source === 'measured') values.set(v.name, v);
  for (const t of graph.initializers) initializers.set(t.name, { tensor: t, graphId: graph.id });
  const ownInitializers = new Set(graph.initializers.map((t) => t.name));
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  if (!options.showConstants) {
    graph.nodes.forEach((node, index) => {
      // A Constant that is a graph output keeps its box, so the output has a producer to point at.
      if (node.opType === 'Constant' && node.inputs.length === 0 && node.outputs.length === 1 && !graphOutputs.has(node.outputs[0]))
        constants.set(node.outputs[0], { node: index, ...constantType(node) });
    });
  }

  const boxes: Box[] = [];
  const producer = new Map<string, number>();
  graph.inputs.forEach((v, index) => {
    if (ownInitializers.has(v.name)) return; // old IR versions list every initializer as an input too
    producer.set(v.name, boxes.length);
    boxes.push({ kind: 'input', label: v.name, details: [], name: v.name, index, category: 'io' });
  });
  /** Box of each node, -1 for folded Constants. */
  const nodeBox = new Int32Array(graph.nodes.length).fill(-1);
  for (let index = 0; index < graph.nodes.length; index++) {
    if (index % CHUNK === CHUNK - 1) yield (0.8 * index) / graph.nodes.length;
    const node: InspectorNode = graph.nodes[index];
    const folded = node.opType === 'Constant' && constants.get(node.outputs[0])?.node === index;
    if (folded) continue;
    nodeBox[index] = boxes.length;
    for (const o of node.outputs) if (o) producer.set(o, boxes.length);
    const details: string[] = [];
    for (const name of KEY_ATTRIBUTES) {
      if (details.length >= MAX_ATTRIBUTE_LINES) break;
      const a = node.attributes.find((x) => x.name === name);
      const line = a && attributeLine(a, node.opType);
      if (line) details.push(line);
    }
    const weights: string[] = [];
    node.inputs.forEach((input, i) => {
      if (!input) return;
      const init = initializers.get(input)?.tensor;
      const constant = init ? undefined : constants.get(input);
      const dims = init?.dims ?? constant?.dims;
      if (!dims) return;
      const inputName = INPUT_NAMES[node.opType]?.[i] ?? `in${i}`;
      weights.push(`${inputName} ⟨${dims[0] === -1 ? 'list' : shapeText(dims)}⟩`);
    });
    if (weights.length > MAX_WEIGHT_LINES)
      details.push(...weights.slice(0, MAX_WEIGHT_LINES - 1), `+${weights.length - MAX_WEIGHT_LINES + 1} more`);
    else details.push(...weights);
    let category = categoryCache.get(node.opType);
    if (category === undefined) categoryCache.set(node.opType, (category = categoryOf(node.opType)));
    boxes.push({ kind: 'op', label: node.opType, details, name: node.name, index, category });
  }
  yield 0.8;
  const sources: number[] = [];
  const targets: number[] = [];
  const edgeTensors: string[] = [];
  for (let index = 0; index < graph.nodes.length; index++) {
    if (index % (4 * CHUNK) === 4 * CHUNK - 1) yield 0.8 + (0.2 * index) / graph.nodes.length;
    const node = graph.nodes[index];
    const box = nodeBox[index];
    if (box < 0) continue;
    const seen = new Set<number>();
    for (const i of node.inputs) {
      const p = i ? producer.get(i) : undefined;
      if (p !== undefined && !seen.has(p)) {
        seen.add(p);
        sources.push(p);
        targets.push(box);
        edgeTensors.push(i);
      }
    }
  }
  graph.outputs.forEach((v, index) => {
    const box = boxes.length;
    boxes.push({ kind: 'output', label: v.name, details: [], name: v.name, index, category: 'io' });
    const p = producer.get(v.name);
    if (p !== undefined) {
      sources.push(p);
      targets.push(box);
      edgeTensors.push(v.name);
    }
  });
  const widths = Float64Array.from(boxes, (b) => boxWidth(b.label, b.details));
  const heights = Float64Array.from(boxes, (b) => boxHeight(b.details));
  return {
    graph,
    boxes,
    sources: Int32Array.from(sources),
    targets: Int32Array.from(targets),
    edgeTensors,
    widths,
    heights,
    values,
    initializers,
    constants,
    producer,
  };
}

export interface SearchResult {
  /** Boxes whose node name, op type or tensor name (inputs, outputs) matches: exact matches first. */
  nodes: number[];
  /** Boxes producing a tensor whose name matches (one per tensor): exact matches first. */
  tensors: number[];
  /** The matching tensor of each entry of `tensors`. */
  tensorNames: string[];
}

/**
 * Finds nodes and tensors by name, case-insensitively: exact matches first, then names containing the
 * query, each in graph order. A node is found by its name or op type ("MatMul" finds the MatMul nodes, not
 * every node whose tensors mention MatMul); a tensor by its name, listed apart, at the box producing it.
 */
export function searchGraph(draw: DrawGraph, query: string): SearchResult {
  const q = query.trim().toLowerCase();
  const result: SearchResult = { nodes: [], tensors: [], tensorNames: [] };
  if (!q) return result;
  const exactNodes: number[] = [];
  const partialNodes: number[] = [];
  draw.boxes.forEach((b, i) => {
    const names = b.kind === 'op' ? [b.name.toLowerCase(), b.label.toLowerCase()] : [b.name.toLowerCase()];
    if (names.includes(q)) exactNodes.push(i);
    else if (names.some((n) => n.includes(q))) partialNodes.push(i);
  });
  result.nodes = [...exactNodes, ...partialNodes];
  const exact: [number, string][] = [];
  const partial: [number, string][] = [];
  for (const [tensor, box] of draw.producer) {
    const t = tensor.toLowerCase();
    if (t === q) exact.push([box, tensor]);
    else if (t.includes(q)) partial.push([box, tensor]);
  }
  for (const [box, tensor] of [...exact, ...partial.sort((a, b) => a[0] - b[0])]) {
    result.tensors.push(box);
    result.tensorNames.push(tensor);
  }
  return result;
}
