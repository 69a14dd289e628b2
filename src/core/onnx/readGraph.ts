/**
 * The graph as a model viewer wants it: nodes with inputs, outputs and attributes as small JSON-able
 * values, tensors as shape/type references (never values), subgraphs nested under the attribute holding them.
 */
import { dataTypeName } from './dataTypes';
import { describeType } from './describeType';
import type { ValueSummary } from './modelSummary';
import type { Int64 } from './protobufReader';
import { AttributeType, type BlobRef, type OnnxAttribute, type OnnxGraph, type OnnxNode } from './onnxModel';
import { readModel, type ReadModelOptions } from './readModel';
import { normalizeDomain, valueSummary } from './summarizeModel';
import { tensorByteSize, type SparseTensorRef, type TensorRef } from './tensorRef';

export interface TensorView {
  name: string;
  dtype: string;
  dataType: number;
  dims: number[];
  location: 'inline' | 'external';
  bytes: number;
  /** Hand back to readTensorData / tensorStatistics to get the values. */
  ref: TensorRef;
}

export interface SparseTensorView {
  name: string;
  dims: number[];
  values?: TensorView;
  indices?: TensorView;
}

export type AttributeValue =
  | number
  | string
  | boolean
  | null
  | AttributeValue[]
  | { tensor: TensorView }
  | { sparseTensor: SparseTensorView }
  | { graph: string; nodes: number }
  | { type: string }
  | { bytes: number }
  | { values: AttributeValue[]; length: number };

export interface AttributeView {
  name: string;
  /** `float`, `int`, `string`, `tensor`, `graph`, `floats`, `ints`, ... (inferred when the model leaves it out). */
  type: string;
  value: AttributeValue;
  refAttrName?: string;
}

export interface SubgraphView {
  attribute: string;
  graphs: GraphView[];
}

export interface NodeView {
  name: string;
  opType: string;
  /** `ai.onnx` for the default domain. */
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: AttributeView[];
  subgraphs: SubgraphView[];
  docString?: string;
}

export interface GraphView {
  name: string;
  nodes: NodeView[];
  inputs: ValueSummary[];
  outputs: ValueSummary[];
  initializers: TensorView[];
  sparseInitializers: SparseTensorView[];
  valueInfo: ValueSummary[];
}

export interface FunctionView {
  name: string;
  domain: string;
  overload?: string;
  inputs: string[];
  outputs: string[];
  attributes: string[];
  nodes: NodeView[];
}

export interface ModelGraph {
  path: string;
  opsetImports: { domain: string; version: number }[];
  graph: GraphView;
  functions: FunctionView[];
}

/** Lists longer than this are cut: `{ values: first MAX_LIST, length }`. */
export const MAX_LIST = 256;

const TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(AttributeType).map(([name, code]) => [code, name.toLowerCase()]),
);

export async function readGraph(path: string, options: ReadModelOptions = {}): Promise<ModelGraph> {
  const model = await readModel(path, options);
  return {
    path: model.path,
    opsetImports: model.opsetImports.map((o) => ({ domain: normalizeDomain(o.domain), version: o.version })),
    graph: graphView(model.graph),
    functions: model.functions.map((fn) => ({
      name: fn.name,
      domain: fn.domain,
      ...(fn.overload ? { overload: fn.overload } : {}),
      inputs: fn.inputs,
      outputs: fn.outputs,
      attributes: [...fn.attributes, ...fn.attributeProtos.map((a) => a.name)],
      nodes: fn.nodes.map(nodeView),
    })),
  };
}

export function graphView(graph: OnnxGraph): GraphView {
  return {
    name: graph.name,
    nodes: graph.nodes.map(nodeView),
    inputs: graph.inputs.map(valueSummary),
    outputs: graph.outputs.map(valueSummary),
    initializers: graph.initializers.map(tensorView),
    sparseInitializers: graph.sparseInitializers.map(sparseView),
    valueInfo: graph.valueInfo.map(valueSummary),
  };
}

export function nodeView(node: OnnxNode): NodeView {
  const subgraphs: SubgraphView[] = [];
  for (const attr of node.attributes) {
    const graphs = [...(attr.g ? [attr.g] : []), ...(attr.graphs ?? [])];
    if (graphs.length > 0) subgraphs.push({ attribute: attr.name, graphs: graphs.map(graphView) });
  }
  return {
    name: node.name,
    opType: node.opType,
    domain: normalizeDomain(node.domain),
    inputs: node.inputs,
    outputs: node.outputs,
    attributes: node.attributes.map(attributeView),
    subgraphs,
    ...(node.docString ? { docString: node.docString } : {}),
  };
}

export function tensorView(ref: TensorRef): TensorView {
  return {
    name: ref.name,
    dtype: dataTypeName(ref.dataType),
    dataType: ref.dataType,
    dims: ref.dims,
    location: ref.dataLocation === 'external' ? 'external' : 'inline',
    bytes: tensorByteSize(ref),
    ref,
  };
}

function sparseView(s: SparseTensorRef): SparseTensorView {
  return {
    name: s.name,
    dims: s.dims,
    ...(s.values ? { values: tensorView(s.values) } : {}),
    ...(s.indices ? { indices: tensorView(s.indices) } : {}),
  };
}

/** The attribute's type, inferred from the field that is set when `type` is missing (old models). */
export function attributeKind(attr: OnnxAttribute): number {
  if (attr.type !== AttributeType.UNDEFINED) return attr.type;
  if (attr.f !== undefined) return AttributeType.FLOAT;
  if (attr.i !== undefined) return AttributeType.INT;
  if (attr.s !== undefined) return AttributeType.STRING;
  if (attr.t !== undefined) return AttributeType.TENSOR;
  if (attr.g !== undefined) return AttributeType.GRAPH;
  if (attr.sparseTensor !== undefined) return AttributeType.SPARSE_TENSOR;
  if (attr.tp !== undefined) return AttributeType.TYPE_PROTO;
  if (attr.floats?.length) return AttributeType.FLOATS;
  if (attr.ints?.length) return AttributeType.INTS;
  if (attr.strings?.length) return AttributeType.STRINGS;
  if (attr.tensors?.length) return AttributeType.TENSORS;
  if (attr.graphs?.length) return AttributeType.GRAPHS;
  if (attr.sparseTensors?.length) return AttributeType.SPARSE_TENSORS;
  if (attr.typeProtos?.length) return AttributeType.TYPE_PROTOS;
  return AttributeType.UNDEFINED;
}

/** JSON has no NaN or Infinity: those become the strings 'NaN', 'Infinity', '-Infinity'. */
const num = (v: number): number | string => (Number.isFinite(v) ? v : String(v));
const int = (v: Int64): number | string => (typeof v === 'number' ? v : v.toString());
const str = (v: string | BlobRef): AttributeValue => (typeof v === 'string' ? v : { bytes: v.length });
const list = <T>(values: readonly T[] | undefined, map: (v: T) => AttributeValue): AttributeValue => {
  const all = values ?? [];
  if (all.length <= MAX_LIST) return all.map(map);
  return { values: all.slice(0, MAX_LIST).map(map), length: all.length };
};
const graphRef = (g: OnnxGraph): AttributeValue => ({ graph: g.name, nodes: g.nodes.length });

export function attributeView(attr: OnnxAttribute): AttributeView {
  const kind = attributeKind(attr);
  const value = ((): AttributeValue => {
    switch (kind) {
      case AttributeType.FLOAT:
        return num(attr.f ?? 0);
      case AttributeType.INT:
        return int(attr.i ?? 0);
      case AttributeType.STRING:
        return str(attr.s ?? '');
      case AttributeType.TENSOR:
        return attr.t ? { tensor: tensorView(attr.t) } : null;
      case AttributeType.GRAPH:
        return attr.g ? graphRef(attr.g) : null;
      case AttributeType.SPARSE_TENSOR:
        return attr.sparseTensor ? { sparseTensor: sparseView(attr.sparseTensor) } : null;
      case AttributeType.TYPE_PROTO:
        return { type: describeType(attr.tp) };
      case AttributeType.FLOATS:
        return list(attr.floats, num);
      case AttributeType.INTS:
        return list(attr.ints, int);
      case AttributeType.STRINGS:
        return list(attr.strings, str);
      case AttributeType.TENSORS:
        return list(attr.tensors, (t) => ({ tensor: tensorView(t) }));
      case AttributeType.GRAPHS:
        return list(attr.graphs, graphRef);
      case AttributeType.SPARSE_TENSORS:
        return list(attr.sparseTensors, (s) => ({ sparseTensor: sparseView(s) }));
      case AttributeType.TYPE_PROTOS:
        return list(attr.typeProtos, (t) => ({ type: describeType(t) }));
      default:
        return null;
    }
  })();
  return {
    name: attr.name,
    type: TYPE_NAMES[kind] ?? `unknown(${kind})`,
    value,
    ...(attr.refAttrName ? { refAttrName: attr.refAttrName } : {}),
  };
}
