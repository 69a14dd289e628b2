/**
 * Shape inference for an ONNX graph: every tensor's element type and shape, from the graph inputs,
 * initializers and value_info, then node by node in topological order by the standard operators' rules
 * (operatorRules), carrying symbolic dims and the values of small int shape tensors. Never throws for a
 * model: an unknown operator leaves its outputs unknown, an inconsistent node becomes a warning.
 */
import type { OnnxAttribute, OnnxGraph, OnnxNode, OnnxType } from '../onnxModel';
import { attrInt, attrInts, attrString, type NodeContext, type OutputType } from './nodeContext';
import { operatorRules } from './operatorRules';
import type { ConstantTensor, Dim, InferShapesOptions, Shape, ShapeInferenceResult, TensorType } from './shapeTypes';

/** Values longer than this are not propagated (shape tensors are short). */
const MAX_VALUES = 1024;
const DEFAULT_OPSET = 21;

interface Scope {
  types: Map<string, TensorType>;
  /** Element types of sequences and optionals. */
  elements: Map<string, TensorType>;
  values: Map<string, Dim[]>;
  parent?: Scope;
}

interface Env {
  opsets: Map<string, number>;
  constants: ReadonlyMap<string, ConstantTensor>;
  keepValues: boolean;
}

export function inferShapes(graph: OnnxGraph, options: InferShapesOptions = {}): ShapeInferenceResult {
  const opsets = new Map<string, number>();
  for (const o of options.opsetImports ?? []) opsets.set(o.domain === '' ? 'ai.onnx' : o.domain, o.version);
  return inferGraph(
    graph,
    { opsets, constants: options.constants ?? new Map(), keepValues: options.keepValues ?? false },
    undefined,
    undefined,
  ).result;
}

/** The element type of a sequence or optional of tensors. */
function elementTypeOf(t: OnnxType | undefined): TensorType | undefined {
  return t && (t.kind === 'sequence' || t.kind === 'optional') ? tensorTypeOf(t.elemType) : undefined;
}

function tensorTypeOf(t: OnnxType | undefined): TensorType | undefined {
  if (t === undefined || (t.kind !== 'tensor' && t.kind !== 'sparse_tensor')) return undefined;
  return { elemType: t.elemType || null, shape: t.shape ? [...t.shape] : null };
}

/** The file's type where it has one, completed by the inferred one; `added` when inference told more. */
function completeType(file: TensorType | undefined, inferred: TensorType): { type: TensorType; added: boolean } {
  if (file === undefined) return { type: inferred, added: true };
  let added = false;
  let elemType = file.elemType;
  if (elemType === null && inferred.elemType !== null) {
    elemType = inferred.elemType;
    added = true;
  }
  let shape = file.shape;
  if (shape === null && inferred.shape !== null) {
    shape = inferred.shape;
    added = true;
  } else if (shape !== null && inferred.shape !== null && shape.length === inferred.shape.length && shape.includes(null)) {
    const from = inferred.shape;
    shape = shape.map((d, i) => (d === null && from[i] !== null ? ((added = true), from[i]) : d));
  }
  return { type: { elemType, shape }, added };
}

function lookup<T>(scope: Scope, name: string, pick: (s: Scope) => Map<string, T>): T | undefined {
  for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) {
    const v = pick(s).get(name);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Node indices in an order where every node comes after the producers of its inputs (file order when it already is). */
function topologicalOrder(nodes: readonly OnnxNode[]): number[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, k) => n.outputs.forEach((o) => o && producer.set(o, k)));
  let sorted = true;
  for (let k = 0; k < nodes.length && sorted; k++) {
    for (const i of nodes[k].inputs) if ((producer.get(i) ?? -1) >= k) sorted = false;
  }
  if (sorted) return nodes.map((_, k) => k);
  const waiting = nodes.map(() => 0);
  const consumers: number[][] = nodes.map(() => []);
  nodes.forEach((n, k) => {
    for (const i of new Set(n.inputs)) {
      const p = producer.get(i);
      if (p !== undefined && p !== k) {
        waiting[k]++;
        consumers[p].push(k);
      }
    }
  });
  const order: number[] = [];
  const ready = nodes.map((_, k) => k).filter((k) => waiting[k] === 0);
  for (let r = 0; r < ready.length; r++) {
    order.push(ready[r]);
    for (const c of consumers[ready[r]]) if (--waiting[c] === 0) ready.push(c);
  }
  if (order.length < nodes.length) {
    const done = new Set(order);
    nodes.forEach((_, k) => done.has(k) || order.push(k)); // a cycle: the rest in file order
  }
  return order;
}

function inferGraph(
  graph: OnnxGraph,
  env: Env,
  parent: Scope | undefined,
  seeds: readonly (TensorType | undefined)[] | undefined,
): { result: ShapeInferenceResult; outputs: (TensorType | undefined)[] } {
  const scope: Scope = { types: new Map(), elements: new Map(), values: new Map(), parent };
  const result: ShapeInferenceResult = { tensors: [], warnings: [], subgraphs: [] };
  const fileTypes = new Map<string, TensorType>();
  for (const v of [...graph.valueInfo, ...graph.outputs]) {
    const t = tensorTypeOf(v.type);
    if (t) fileTypes.set(v.name, t);
  }
  const record = (name: string, type: TensorType, source: 'file' | 'inferred', value?: Dim[]): void => {
    scope.types.set(name, type);
    if (value !== undefined && value.length <= MAX_VALUES && (type.shape === null || type.shape.length <= 1)) scope.values.set(name, value);
    const known = env.keepValues ? scope.values.get(name) : undefined;
    const numbers = known?.every((d): d is number => typeof d === 'number') ? known : undefined;
    result.tensors.push({ name, elemType: type.elemType, shape: type.shape, source, ...(numbers ? { value: numbers } : {}) });
  };
  const constantValue = (name: string): Dim[] | undefined => {
    const c = env.constants.get(name);
    return c && c.dims.length <= 1 && c.values.length <= MAX_VALUES ? c.values : undefined;
  };

  graph.inputs.forEach((input, i) => {
    const element = elementTypeOf(input.type);
    if (element) scope.elements.set(input.name, element);
    const file = tensorTypeOf(input.type);
    const seed = seeds?.[i];
    const { type, added } = seed ? completeType(file, seed) : { type: file ?? { elemType: null, shape: null }, added: false };
    record(input.name, type, file && !added ? 'file' : 'inferred', constantValue(input.name));
  });
  for (const init of graph.initializers) {
    if (scope.types.has(init.name)) continue;
    record(init.name, { elemType: init.dataType || null, shape: [...init.dims] }, 'file', constantValue(init.name));
  }
  for (const sparse of graph.sparseInitializers) {
    if (scope.types.has(sparse.name)) continue;
    record(sparse.name, { elemType: sparse.values?.dataType ?? null, shape: [...sparse.dims] }, 'file');
  }

  const nodes = graph.nodes;
  for (const k of topologicalOrder(nodes)) {
    const node = nodes[k];
    const outs: (OutputType | undefined)[] = new Array(node.outputs.length);
    const domain = node.domain === '' ? 'ai.onnx' : node.domain;
    const rule = operatorRules.get(domain === 'ai.onnx' ? node.opType : `${domain}:${node.opType}`);
    if (rule !== undefined) {
      try {
        rule(
          nodeContext(
            node,
            env.opsets.get(domain) ?? (domain === 'ai.onnx' ? DEFAULT_OPSET : 1),
            scope,
            env,
            outs,
            constantValue,
            (g, attribute, inputs) => {
              const sub = inferGraph(g, env, scope, inputs);
              result.subgraphs.push({ node: node.name || `${node.opType}#${k}`, attribute, result: sub.result });
              return sub.outputs;
            },
          ),
        );
      } catch (e) {
        result.warnings.push({ node: node.name || `${node.opType}#${k}`, opType: node.opType, message: (e as Error).message });
        outs.fill(undefined);
      }
    }
    node.outputs.forEach((name, i) => {
      if (name === '') return;
      const inferred = outs[i];
      const file = fileTypes.get(name);
      if (inferred?.element) {
        scope.elements.set(name, inferred.element);
        return;
      }
      if (inferred === undefined) {
        record(name, file ?? { elemType: null, shape: null }, file ? 'file' : 'inferred');
        return;
      }
      const { type, added } = completeType(file, { elemType: inferred.elemType, shape: inferred.shape });
      record(name, type, added ? 'inferred' : 'file', inferred.value);
    });
  }
  const outputs = graph.outputs.map((o) => lookup(scope, o.name, (s) => s.types));
  return { result, outputs };
}

function nodeContext(
  node: OnnxNode,
  opset: number,
  scope: Scope,
  env: Env,
  outs: (OutputType | undefined)[],
  constantValue: (name: string) => Dim[] | undefined,
  subgraph: NodeContext['subgraph'],
): NodeContext {
  const attrs = new Map<string, OnnxAttribute>();
  for (const a of node.attributes) attrs.set(a.name, a);
  const type = (i: number): TensorType | undefined => {
    const name = node.inputs[i];
    return name ? lookup(scope, name, (s) => s.types) : undefined;
  };
  const value = (i: number): Dim[] | undefined => {
    const name = node.inputs[i];
    return name ? (lookup(scope, name, (s) => s.values) ?? env.constants.get(name)?.values) : undefined;
  };
  return {
    node,
    opset,
    outputCount: node.outputs.length,
    has: (i) => i < node.inputs.length && node.inputs[i] !== '',
    shape: (i): Shape => type(i)?.shape ?? null,
    elemType: (i) => type(i)?.elemType ?? null,
    rank: (i) => type(i)?.shape?.length ?? null,
    element: (i) => (node.inputs[i] ? lookup(scope, node.inputs[i], (s) => s.elements) : undefined),
    value,
    numbers: (i) => {
      const v = value(i);
      return v && v.every((d) => typeof d === 'number') ? (v as number[]) : undefined;
    },
    constant: constantValue,
    attr: (name) => attrs.get(name),
    int: (name, fallback) => attrInt(attrs.get(name), fallback),
    ints: (name) => attrInts(attrs.get(name)),
    float: (name, fallback) => attrs.get(name)?.f ?? fallback,
    floats: (name) => attrs.get(name)?.floats,
    str: (name, fallback) => attrString(attrs.get(name), fallback),
    set: (i, out) => {
      if (i < outs.length) outs[i] = out;
    },
    subgraph,
  };
}
