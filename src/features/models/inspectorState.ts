/**
 * Builds what the ONNX inspector webview is sent: the summary and the graph as plain JSON with attribute
 * values turned into display text, and no tensor references (their file paths and offsets stay here, in
 * the tensor table the stats requests are answered from). No `vscode` import: unit tested in plain Node.
 */
import { basename } from 'node:path';
import { isOnnxFormatError, type OnnxModel, type TensorRef } from '../../core/onnx';
import { attributeView, graphView, type AttributeValue, type GraphView, type NodeView, type TensorView } from '../../core/onnx/readGraph';
import { readModelWithStats } from '../../core/onnx/readModel';
import { summarizeOnnxModel } from '../../core/onnx/summarizeModel';
import { inferModelShapes, type ShapeInferenceResult } from '../../core/onnx/shapes';
import { dataTypeName } from '../../core/onnx/dataTypes';
import type {
  InspectorAttribute,
  InspectorGraph,
  InspectorLoadError,
  InspectorNode,
  InspectorState,
  InspectorTensor,
  InspectorValue,
} from '../../shared/inspectorProtocol';
import { tensorKey } from '../../shared/inspectorProtocol';

export interface LoadedInspector {
  state: InspectorState;
  /** tensorKey(graphId, name) -> reference, for initializers of every graph scope. */
  tensors: Map<string, TensorRef>;
  /** The model as read (structure only), which the document checks edits against. */
  model: OnnxModel;
}

export async function loadInspectorState(path: string, signal?: AbortSignal): Promise<LoadedInspector> {
  const t0 = performance.now();
  const { model, bytesRead } = await readModelWithStats(path, { signal });
  const summary = await summarizeOnnxModel(model, { bytesRead });
  const tensors = new Map<string, TensorRef>();
  const graph = toInspectorGraph(graphView(model.graph), '', tensors);
  // Types and shapes of the tensors the file does not describe, from shape inference. A model it cannot
  // follow (custom ops, inconsistent shapes) keeps what the file says: inference never fails the load.
  try {
    addInferredValues(graph, await inferModelShapes(model, signal));
  } catch (e) {
    if (signal?.aborted) throw e;
  }
  return { state: { fileName: basename(path), summary, graph, loadMs: performance.now() - t0 }, tensors, model };
}

export function toLoadError(path: string, error: unknown): InspectorLoadError {
  const fileName = basename(path);
  if (isOnnxFormatError(error)) return { fileName, message: error.message, offset: error.offset, kind: 'format' };
  return { fileName, message: error instanceof Error ? error.message : String(error), kind: 'io' };
}

export function toInspectorGraph(graph: GraphView, id: string, tensors: Map<string, TensorRef>): InspectorGraph {
  for (const t of graph.initializers) tensors.set(tensorKey(id, t.name), t.ref);
  for (const s of graph.sparseInitializers) if (s.values) tensors.set(tensorKey(id, s.name), s.values.ref);
  return {
    id,
    name: graph.name,
    nodes: graph.nodes.map((node, i) => toInspectorNode(node, `${id}/${i}`, tensors)),
    inputs: graph.inputs,
    outputs: graph.outputs,
    initializers: [
      ...graph.initializers.map(wireTensor),
      ...graph.sparseInitializers
        .filter((s) => s.values)
        .map((s) => ({ ...wireTensor(s.values as TensorView), name: s.name, dims: s.dims })),
    ],
    valueInfo: graph.valueInfo,
  };
}

function toInspectorNode(node: NodeView, prefix: string, tensors: Map<string, TensorRef>): InspectorNode {
  return {
    name: node.name,
    opType: node.opType,
    domain: node.domain,
    inputs: node.inputs,
    outputs: node.outputs,
    attributes: node.attributes.map(wireAttribute),
    subgraphs: node.subgraphs.map((s) => ({
      attribute: s.attribute,
      graphs: s.graphs.map((g, k) => toInspectorGraph(g, `${prefix}.${s.attribute}.${k}`, tensors)),
    })),
    ...(node.docString ? { docString: node.docString } : {}),
  };
}

function wireTensor(t: TensorView): InspectorTensor {
  return { name: t.name, dtype: t.dtype, dims: t.dims, bytes: t.bytes, location: t.location };
}

function wireAttribute(a: ReturnType<typeof attributeView>): InspectorAttribute {
  return { name: a.name, type: a.type, text: attributeText(a.value) };
}

/** Display text of an attribute value; at most ~2,000 characters. */
export function attributeText(value: AttributeValue): string {
  const text = format(value);
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

function format(value: AttributeValue): string {
  if (value === null) return '—';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `[${value.map(format).join(', ')}]`;
  if ('tensor' in value)
    return `tensor ${value.tensor.dtype}[${value.tensor.dims.join(',')}]${value.tensor.name ? ` ${value.tensor.name}` : ''}`;
  if ('sparseTensor' in value) return `sparse tensor [${value.sparseTensor.dims.join(',')}]`;
  if ('graph' in value) return `graph ${value.graph || '(unnamed)'} (${value.nodes} nodes)`;
  if ('type' in value) return value.type;
  if ('bytes' in value) return `<${value.bytes} bytes>`;
  if ('values' in value) return `[${value.values.map(format).join(', ')}, … ${value.length} in all]`;
  return '?';
}

/**
 * Adds to each graph's valueInfo, marked `inferred`, the tensors inference typed that the file leaves out
 * (node outputs without value_info), in the main graph and the subgraphs inference followed.
 */
export function addInferredValues(graph: InspectorGraph, result: ShapeInferenceResult): void {
  const known = new Set([...graph.inputs, ...graph.outputs, ...graph.valueInfo].map((v) => v.name));
  for (const t of graph.initializers) known.add(t.name);
  for (const t of result.tensors) {
    if (t.source !== 'inferred' || known.has(t.name) || t.elemType === null) continue;
    const elemTypeName = dataTypeName(t.elemType);
    const value: InspectorValue = {
      name: t.name,
      type: `tensor(${elemTypeName})`,
      kind: 'tensor',
      elemType: t.elemType,
      elemTypeName,
      ...(t.shape ? { shape: t.shape } : {}),
      source: 'inferred',
    };
    graph.valueInfo.push(value);
    known.add(t.name);
  }
  // Subgraphs: inference names the node holding one by its name, or `opType#index` without one.
  graph.nodes.forEach((node, i) => {
    for (const s of node.subgraphs) {
      const found = result.subgraphs.filter((r) => r.attribute === s.attribute && r.node === (node.name || `${node.opType}#${i}`));
      s.graphs.forEach((g, k) => {
        if (found[k]) addInferredValues(g, found[k].result);
      });
    }
  });
}
