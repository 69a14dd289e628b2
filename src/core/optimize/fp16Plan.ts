/**
 * The fp16 recipe's plan, a pure function of the model's structure and its tensors' element types: which nodes run
 * in float16, which stay float32, where Casts go, and what is renamed, removed, re-created and added, as a
 * GraphRewrite for rewriteModelFile. Tensor values are never read here: new tensors come from `tensors`.
 *
 * Every float32 tensor gets a native type: float16 when a converted node produces it or it is a converted weight,
 * float32 when it is a graph input, or a float32-only node produces it. A consumer that wants the other type
 * reads a Cast's output, the Cast placed straight after the producer (or first, for inputs and weights):
 * - graph inputs stay float32 and are cast once to float16; graph outputs are cast back to float32 (the producer
 *   writes `NAME_fp16`), so the signature is unchanged;
 * - float32 weights (initializers, Constant values, ConstantOfShape's value) read by a converted node become
 *   float16 under their own names; a weight only float32-only consumers read stays as it is;
 * - Cast(to=FLOAT) of a converted region casts to FLOAT16 instead;
 * - float32-only nodes (fp16BlockList.ts, `keepFp32Ops`, other domains than ai.onnx, nodes whose dtype attribute
 *   is float, and nodes that make float32 from no float input) stay as they are, re-created when an input of
 *   theirs needs a Cast's output.
 * Tensors consumers of the converted region read are renamed graph-wide (rewrite.inputRenames); a node that needs
 * another name than that for one of its inputs is re-created (removed and inserted anew with its attributes).
 */
import { AttributeType, type OnnxAttribute, type OnnxGraph, type OnnxNode } from '../onnx/onnxModel';
import type { GraphRewrite, NewAttribute, NewNode, NewTensor } from '../onnx/edit';
import { attributeKind } from '../onnx/readGraph';
import type { TensorRef } from '../onnx/tensorRef';
import { FP32_ONLY_OPS, fp32OnlyInputs, fp32OnlyOutputs } from './fp16BlockList';

const FLOAT = 1;
const FLOAT16 = 10;

/** The fp16 plan cannot be made; the message is one line. */
export class Fp16Error extends Error {
  override name = 'Fp16Error';
}

/** Where the plan gets the tensors it adds; each is produced only when written. */
export interface Fp16TensorSource {
  /** `ref`'s float32 values as float16, named `name`. */
  half(ref: TensorRef, name: string): NewTensor;
  /** `ref` as it is (a tensor attribute of a re-created node). */
  copy(ref: TensorRef): NewTensor;
  /** A float16 tensor of these values. */
  halfValues(name: string, dims: readonly number[], values: readonly number[]): NewTensor;
}

export interface Fp16PlanInput {
  graph: OnnxGraph;
  /** The default domain's opset. */
  opset: number;
  /** Element type of each tensor by name (graph inputs, initializers, node outputs); null or absent when unknown. */
  elemTypes: ReadonlyMap<string, number | null>;
  /** IR version below 4: every initializer is also listed as a graph input (the writer drops the entries of those it removes). */
  initializersAreInputs?: boolean;
  /** More ops to keep in float32. */
  keepFp32Ops?: readonly string[];
  tensors: Fp16TensorSource;
}

export interface Fp16Plan {
  rewrite: GraphRewrite;
  /** Float32 initializers made float16, and their float32 bytes. */
  convertedInitializers: number;
  convertedBytes: number;
  /** Main-graph nodes kept in float32, by op type. */
  keptFp32: Map<string, number>;
  /** Casts added: at the graph's inputs and outputs, and around float32-only nodes. */
  edgeCasts: number;
  innerCasts: number;
}

type Kind = 'half' | 'cast' | 'source' | 'keep';
type Version = 'half' | 'float';

function isDefaultDomain(domain: string): boolean {
  return domain === '' || domain === 'ai.onnx';
}

function intAttr(node: OnnxNode, name: string): number | undefined {
  const a = node.attributes.find((x) => x.name === name);
  return a?.i === undefined ? undefined : Number(a.i);
}

/** Whether a Constant or ConstantOfShape node makes float32 values (and so is a weight to convert). */
function floatSource(node: OnnxNode): boolean {
  if (!isDefaultDomain(node.domain)) return false;
  if (node.opType === 'Constant') {
    const a = node.attributes[0];
    if (a === undefined) return false;
    if (a.name === 'value') return a.t?.dataType === FLOAT;
    return a.name === 'value_float' || a.name === 'value_floats';
  }
  if (node.opType === 'ConstantOfShape') {
    const value = node.attributes.find((a) => a.name === 'value');
    return value === undefined || value.t?.dataType === FLOAT;
  }
  return false;
}

/** A node's attribute as a new node's, or a one-line refusal. */
function copyAttribute(node: OnnxNode, a: OnnxAttribute, tensors: Fp16TensorSource): NewAttribute {
  const where = `node ${node.name || node.opType} cannot be re-created: attribute ${a.name}`;
  const str = (s: string | { length: number }): string => {
    if (typeof s !== 'string') throw new Fp16Error(`${where} holds a ${s.length}-byte string`);
    return s;
  };
  switch (attributeKind(a)) {
    case AttributeType.FLOAT:
      return { name: a.name, kind: 'float', value: a.f ?? 0 };
    case AttributeType.INT:
      return { name: a.name, kind: 'int', value: a.i ?? 0 };
    case AttributeType.STRING:
      return { name: a.name, kind: 'string', value: str(a.s ?? '') };
    case AttributeType.FLOATS:
      return { name: a.name, kind: 'floats', value: a.floats ?? [] };
    case AttributeType.INTS:
      return { name: a.name, kind: 'ints', value: a.ints ?? [] };
    case AttributeType.STRINGS:
      return { name: a.name, kind: 'strings', value: (a.strings ?? []).map(str) };
    case AttributeType.TENSOR:
      return { name: a.name, kind: 'tensor', value: tensors.copy(a.t!) };
    default:
      throw new Fp16Error(`${where} is of a kind the writer does not re-create (type ${a.type})`);
  }
}

/** A converted Constant or ConstantOfShape's attributes: the float32 value as float16. */
function halfSourceAttributes(node: OnnxNode, tensors: Fp16TensorSource): NewAttribute[] {
  const out: NewAttribute[] = [];
  for (const a of node.attributes) {
    if (a.name === 'value' && a.t !== undefined) out.push({ name: 'value', kind: 'tensor', value: tensors.half(a.t, a.t.name) });
    else if (a.name === 'value_float') out.push({ name: 'value', kind: 'tensor', value: tensors.halfValues('', [], [a.f ?? 0]) });
    else if (a.name === 'value_floats')
      out.push({ name: 'value', kind: 'tensor', value: tensors.halfValues('', [a.floats?.length ?? 0], a.floats ?? []) });
    else out.push(copyAttribute(node, a, tensors));
  }
  if (node.opType === 'ConstantOfShape' && !node.attributes.some((a) => a.name === 'value'))
    out.push({ name: 'value', kind: 'tensor', value: tensors.halfValues('', [1], [0]) });
  return out;
}

export function planFp16(input: Fp16PlanInput): Fp16Plan {
  const { graph, opset, elemTypes, tensors } = input;
  const keepOps = new Set(input.keepFp32Ops ?? []);
  const isFloat = (name: string): boolean => name !== '' && elemTypes.get(name) === FLOAT;
  const withSubgraph = graph.nodes.find((n) => n.attributes.some((a) => a.g !== undefined || (a.graphs?.length ?? 0) > 0));
  if (withSubgraph) throw new Fp16Error(`it has control flow (${withSubgraph.opType} with a subgraph), which fp16 does not convert yet`);

  const initializers = new Map(graph.initializers.map((t) => [t.name, t]));
  const graphInputs = new Set(graph.inputs.map((v) => v.name));
  const graphOutputs = new Set(graph.outputs.map((v) => v.name));
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.outputs.forEach((o) => o !== '' && producer.set(o, i)));

  // 1. What each node is.
  const kinds: Kind[] = graph.nodes.map((n) => {
    if (!isDefaultDomain(n.domain) || FP32_ONLY_OPS.has(n.opType) || keepOps.has(n.opType)) return 'keep';
    if (intAttr(n, 'dtype') === FLOAT) return 'keep';
    if (floatSource(n)) return 'source';
    if (n.opType === 'Cast') return intAttr(n, 'to') === FLOAT ? 'cast' : 'half';
    if (n.outputs.some(isFloat) && !n.inputs.some(isFloat)) return 'keep'; // float32 made from no float input
    return 'half';
  });

  // 2. Which type each consumer wants of each float32 tensor it reads.
  const wants = new Map<string, Set<Version>>();
  const want = (name: string, v: Version): void => {
    let s = wants.get(name);
    if (!s) wants.set(name, (s = new Set()));
    s.add(v);
  };
  const slotWants = (i: number, k: number): Version =>
    kinds[i] === 'keep' || fp32OnlyInputs(graph.nodes[i].opType, opset).includes(k) ? 'float' : 'half';
  graph.nodes.forEach((n, i) => n.inputs.forEach((t, k) => isFloat(t) && want(t, slotWants(i, k))));
  for (const o of graphOutputs) if (isFloat(o)) want(o, 'float');

  // 3. The native type of each float32 tensor. Weights become float16 only when a converted node reads them.
  const native = new Map<string, Version>();
  const convertedInits: TensorRef[] = [];
  for (const t of graph.initializers) {
    if (t.dataType !== FLOAT) continue;
    const overridable = graphInputs.has(t.name) && input.initializersAreInputs !== true;
    const half = wants.get(t.name)?.has('half') === true && !graphOutputs.has(t.name) && !overridable;
    native.set(t.name, half ? 'half' : 'float');
    if (half) convertedInits.push(t);
  }
  for (const v of graph.inputs) if (isFloat(v.name) && !initializers.has(v.name)) native.set(v.name, 'float');
  for (const s of graph.sparseInitializers) if (isFloat(s.name)) native.set(s.name, 'float');
  graph.nodes.forEach((n, i) => {
    if (kinds[i] === 'source') {
      const o = n.outputs[0];
      if (wants.get(o)?.has('half') !== true || graphOutputs.has(o)) kinds[i] = 'keep';
    }
    n.outputs.forEach((o, k) => {
      if (!isFloat(o)) return;
      const float = kinds[i] === 'keep' || fp32OnlyOutputs(n.opType).includes(k);
      native.set(o, float ? 'float' : 'half');
    });
  });
  // A tensor of unknown type between a float32-only node and the converted region could not be given its Cast.
  graph.nodes.forEach((n, i) =>
    n.inputs.forEach((t, k) => {
      const p = producer.get(t);
      if (t === '' || p === undefined || elemTypes.get(t) != null) return;
      if ((kinds[p] === 'keep') !== (slotWants(i, k) === 'float'))
        throw new Fp16Error(`the type of tensor ${t} (from ${graph.nodes[p].opType} to ${n.opType}) is unknown, so no Cast can be placed`);
    }),
  );
  if (convertedInits.length === 0 && !kinds.includes('source'))
    throw new Fp16Error('no float32 weight is read by an op that can run in float16');

  // 4. Names of the other type, where wanted: NAME_fp16 / NAME_fp32, unique in the graph.
  const taken = new Set<string>([...graphInputs, ...graphOutputs, ...initializers.keys(), ...producer.keys()]);
  for (const v of graph.valueInfo) taken.add(v.name);
  const fresh = (base: string): string => {
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    return name;
  };
  const halfName = new Map<string, string>();
  const floatName = new Map<string, string>();
  for (const [t, v] of native) {
    const w = wants.get(t) ?? new Set();
    if (v === 'half') {
      halfName.set(t, graphOutputs.has(t) ? fresh(`${t}_fp16`) : t);
      if (w.has('float')) floatName.set(t, graphOutputs.has(t) ? t : fresh(`${t}_fp32`));
    } else {
      floatName.set(t, t);
      if (w.has('half')) halfName.set(t, fresh(`${t}_fp16`));
    }
  }
  const inputRenames = new Map<string, string>();
  for (const [t, h] of halfName) if (h !== t && wants.get(t)?.has('half') === true) inputRenames.set(t, h);
  const outputRenames = new Map<string, string>();

  // 5. Casts: after the producer, or first for graph inputs and weights.
  const casts = new Map<number, NewNode[]>(); // key p: after node p (-1: first)
  let edgeCasts = 0;
  let innerCasts = 0;
  const nodeNames = new Set(graph.nodes.map((n) => n.name));
  const castNode = (from: string, to: string, type: number): NewNode => {
    let name = `${to}_cast`;
    for (let n = 2; nodeNames.has(name); n++) name = `${to}_cast_${n}`;
    nodeNames.add(name);
    return { opType: 'Cast', name, inputs: [from], outputs: [to], attributes: [{ name: 'to', kind: 'int', value: type }] };
  };
  const addCast = (t: string, toType: Version): void => {
    const p = producer.get(t) ?? -1;
    const node =
      toType === 'half' ? castNode(floatName.get(t)!, halfName.get(t)!, FLOAT16) : castNode(halfName.get(t)!, floatName.get(t)!, FLOAT);
    const edge = (toType === 'half' && graphInputs.has(t)) || (toType === 'float' && graphOutputs.has(t));
    if (edge) edgeCasts++;
    else innerCasts++;
    casts.set(p, [...(casts.get(p) ?? []), node]);
  };
  for (const [t, v] of native) {
    if (v === 'float' && halfName.has(t)) addCast(t, 'half');
    if (v === 'half' && floatName.has(t)) addCast(t, 'float');
  }

  // 6. Nodes re-created: retargeted Casts, converted weights, and nodes an input of which needs another name.
  const readName = (t: string, v: Version): string => (v === 'half' ? halfName.get(t)! : floatName.get(t)!);
  const recreated = new Map<number, NewNode>();
  const keptFp32 = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    if (kinds[i] === 'keep') keptFp32.set(n.opType, (keptFp32.get(n.opType) ?? 0) + 1);
    const inputs = n.inputs.map((t, k) => (isFloat(t) ? readName(t, slotWants(i, k)) : t));
    const outputs = n.outputs.map((o) => (native.get(o) === 'half' ? halfName.get(o)! : o));
    const differs = inputs.some((name, k) => name !== (inputRenames.get(n.inputs[k]) ?? n.inputs[k]));
    if (kinds[i] === 'half' || kinds[i] === 'keep') {
      if (!differs) {
        outputs.forEach((o, k) => o !== n.outputs[k] && outputRenames.set(n.outputs[k], o));
        return;
      }
    }
    const attributes =
      kinds[i] === 'source'
        ? halfSourceAttributes(n, tensors)
        : n.attributes.map((a): NewAttribute =>
            kinds[i] === 'cast' && a.name === 'to' ? { name: 'to', kind: 'int', value: FLOAT16 } : copyAttribute(n, a, tensors),
          );
    if (n.overload !== '') throw new Fp16Error(`node ${n.name || n.opType} cannot be re-created: it names a function overload`);
    // Cast(float -> float) becomes a float16 no-op: Identity (ONNX Runtime 1.30 fails to load a Cast from float16 to float16).
    if (kinds[i] === 'cast' && native.get(n.inputs[0]) === 'half') {
      recreated.set(i, { opType: 'Identity', ...(n.name === '' ? {} : { name: n.name }), inputs: [inputs[0]], outputs });
      return;
    }
    recreated.set(i, {
      opType: n.opType,
      ...(n.domain === '' ? {} : { domain: n.domain }),
      ...(n.name === '' ? {} : { name: n.name }),
      inputs,
      outputs,
      attributes,
    });
  });

  const insertBefore = new Map<number, NewNode[]>();
  for (let i = 0; i <= graph.nodes.length; i++) {
    const list = [...(casts.get(i - 1) ?? []), ...(recreated.has(i) ? [recreated.get(i)!] : [])];
    if (list.length > 0) insertBefore.set(i, list);
  }
  const convertedBytes = convertedInits.reduce((sum, t) => sum + t.dims.reduce((a, d) => a * d, 1) * 4, 0);
  const sources = [...recreated.keys()].filter((i) => kinds[i] === 'source').length;
  const retargeted = kinds.filter((k) => k === 'cast').length;
  const changes = [
    `${convertedInits.length} float32 initializers (${convertedBytes} bytes) to float16` +
      (sources ? `, ${sources} Constant/ConstantOfShape values to float16` : ''),
    ...(retargeted ? [`${retargeted} Cast(to=float) now cast to float16 (Identity where the input was float already)`] : []),
    `${edgeCasts} Casts at the graph's inputs and outputs, ${innerCasts} around float32-only nodes`,
    ...(keptFp32.size ? [`kept in float32: ${[...keptFp32].map(([op, n]) => `${op} ×${n}`).join(', ')}`] : []),
  ];
  return {
    rewrite: {
      removeNodes: new Set(recreated.keys()),
      insertBefore,
      inputRenames,
      outputRenames,
      removeInitializers: new Set(convertedInits.map((t) => t.name)),
      addInitializers: convertedInits.map((t) => tensors.half(t, t.name)),
      dropValueInfo: new Set(graph.valueInfo.filter((v) => native.get(v.name) === 'half').map((v) => v.name)),
      changes,
    },
    convertedInitializers: convertedInits.length,
    convertedBytes,
    keptFp32,
    edgeCasts,
    innerCasts,
  };
}
