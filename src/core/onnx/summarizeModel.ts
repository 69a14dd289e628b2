/** Builds a ModelSummary from a model file, reading its structure only (tensor data is never loaded). */
import { stat } from 'node:fs/promises';
import { dataTypeInfo, dataTypeName } from './dataTypes';
import { describeType } from './describeType';
import { externalDataInfo, resolveExternalLocation } from './externalData';
import type { DtypeParameters, ExternalFileSummary, FunctionSummary, ModelSummary, OperatorCount, ValueSummary } from './modelSummary';
import type { OnnxAttribute, OnnxGraph, OnnxModel, OnnxNode, ValueInfo } from './onnxModel';
import { readModelWithStats, type ReadModelOptions } from './readModel';
import { elementCount, tensorByteSize, type SparseTensorRef, type TensorRef } from './tensorRef';

export type { ModelSummary } from './modelSummary';

export const DEFAULT_DOMAIN = 'ai.onnx';
export const normalizeDomain = (domain: string): string => (domain === '' ? DEFAULT_DOMAIN : domain);

export async function summarizeModel(path: string, options: ReadModelOptions = {}): Promise<ModelSummary> {
  const { model, bytesRead } = await readModelWithStats(path, options);
  return summarizeOnnxModel(model, { bytesRead });
}

/** Summarizes a model already read; stats external data files. */
export async function summarizeOnnxModel(model: OnnxModel, extra: { bytesRead?: number } = {}): Promise<ModelSummary> {
  const tally = new Tally();
  tally.graph(model.graph, true);
  const functions: FunctionSummary[] = model.functions.map((fn) => {
    const before = tally.functionNodes;
    for (const node of fn.nodes) tally.node(node, false);
    for (const attr of fn.attributeProtos) tally.attributeTensors(attr);
    return {
      name: fn.name,
      domain: fn.domain,
      ...(fn.overload ? { overload: fn.overload } : {}),
      nodeCount: tally.functionNodes - before,
      inputs: fn.inputs,
      outputs: fn.outputs,
    };
  });

  const graph = model.graph;
  const initializerNames = new Set(graph.initializers.map((t) => t.name));
  return {
    path: model.path,
    fileSize: model.fileSize,
    bytesRead: extra.bytesRead ?? 0,
    irVersion: model.irVersion,
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    domain: model.domain,
    modelVersion: model.modelVersion,
    docString: model.docString,
    graphName: graph.name,
    opsetImports: model.opsetImports.map((o) => ({ domain: normalizeDomain(o.domain), version: o.version })),
    metadataProps: model.metadataProps,
    inputs: graph.inputs.filter((v) => !initializerNames.has(v.name)).map(valueSummary),
    outputs: graph.outputs.map(valueSummary),
    initializerCount: graph.initializers.length,
    sparseInitializerCount: graph.sparseInitializers.length,
    sparseInitializers: graph.sparseInitializers.map((s) => ({
      name: s.name,
      dtype: dataTypeName(s.values?.dataType ?? 0),
      dims: s.dims,
      nnz: s.values ? elementCount(s.values.dims) : 0,
    })),
    parameterCount: tally.parameters,
    parameterBytes: tally.bytes,
    parametersByDtype: [...tally.byDtype.values()].sort((a, b) => b.bytes - a.bytes || a.dataType - b.dataType),
    attributeTensorCount: tally.attributeTensorCount,
    operators: tally.operatorList(),
    nodeCount: tally.nodes,
    subgraphCount: tally.subgraphs,
    functions,
    externalData: await externalFiles(model, tally.external, tally.warnings),
    trainingInfoCount: model.trainingInfo.length,
    warnings: tally.finishWarnings(),
  };
}

export function valueSummary(v: ValueInfo): ValueSummary {
  const type = v.type;
  const summary: ValueSummary = { name: v.name, type: describeType(type), kind: type?.kind ?? 'unknown' };
  if (type !== undefined && (type.kind === 'tensor' || type.kind === 'sparse_tensor')) {
    summary.elemType = type.elemType;
    summary.elemTypeName = dataTypeName(type.elemType);
    if (type.shape !== undefined) summary.shape = type.shape;
  }
  if (v.docString) summary.docString = v.docString;
  return summary;
}

/** Walks graphs, subgraphs and function bodies once, counting nodes, operators and weights. */
class Tally {
  nodes = 0;
  functionNodes = 0;
  subgraphs = 0;
  parameters = 0;
  bytes = 0;
  attributeTensorCount = 0;
  private readonly warned = new Map<string, number>();
  readonly byDtype = new Map<number, DtypeParameters>();
  readonly ops = new Map<string, Map<string, number>>();
  readonly external: TensorRef[] = [];
  readonly warnings: string[] = [];

  graph(graph: OnnxGraph, counted: boolean): void {
    for (const t of graph.initializers) this.tensor(t);
    for (const s of graph.sparseInitializers) this.sparse(s);
    for (const node of graph.nodes) this.node(node, counted);
  }

  node(node: OnnxNode, counted: boolean): void {
    if (counted) {
      this.nodes++;
      const domain = normalizeDomain(node.domain);
      let ops = this.ops.get(domain);
      if (ops === undefined) this.ops.set(domain, (ops = new Map()));
      ops.set(node.opType, (ops.get(node.opType) ?? 0) + 1);
    } else {
      this.functionNodes++;
    }
    for (const attr of node.attributes) {
      this.attributeTensors(attr);
      for (const sub of [...(attr.g ? [attr.g] : []), ...(attr.graphs ?? [])]) {
        this.subgraphs++;
        this.graph(sub, counted);
      }
    }
  }

  attributeTensors(attr: OnnxAttribute): void {
    const tensors = [...(attr.t ? [attr.t] : []), ...(attr.tensors ?? [])];
    const sparse = [...(attr.sparseTensor ? [attr.sparseTensor] : []), ...(attr.sparseTensors ?? [])];
    for (const t of tensors) this.tensor(t);
    for (const s of sparse) this.sparse(s);
    this.attributeTensorCount += tensors.length + sparse.length;
  }

  /** At most 5 warnings of each kind, then one line saying how many more. */
  private warn(kind: string, message: string): void {
    const n = (this.warned.get(kind) ?? 0) + 1;
    this.warned.set(kind, n);
    if (n <= 5) this.warnings.push(message);
  }

  finishWarnings(): string[] {
    for (const [kind, n] of this.warned) if (n > 5) this.warnings.push(`${n - 5} more tensors with ${kind}`);
    return this.warnings;
  }

  sparse(s: SparseTensorRef): void {
    if (s.values) this.tensor(s.values);
    if (s.indices) this.bytesOnly(s.indices);
  }

  tensor(t: TensorRef): void {
    const count = elementCount(t.dims);
    const bytes = tensorByteSize(t);
    if (Number.isNaN(count) || Number.isNaN(bytes)) {
      this.warn('invalid dims', `tensor '${t.name}' has invalid dims [${t.dims.join(',')}] (offset ${t.offset}): not counted`);
      return;
    }
    if (dataTypeInfo(t.dataType) === undefined || t.dataType === 0) {
      this.warn('unknown data types', `tensor '${t.name}' has unknown data type ${t.dataType} (offset ${t.offset})`);
    }
    this.parameters += count;
    this.bytes += bytes;
    let entry = this.byDtype.get(t.dataType);
    if (entry === undefined) {
      entry = { dataType: t.dataType, dtype: dataTypeName(t.dataType), tensors: 0, elements: 0, bytes: 0 };
      this.byDtype.set(t.dataType, entry);
    }
    entry.tensors++;
    entry.elements += count;
    entry.bytes += bytes;
    if (t.dataLocation === 'external') this.external.push(t);
  }

  /** Sparse indices are storage, not parameters: they only add to external file bookkeeping. */
  private bytesOnly(t: TensorRef): void {
    if (t.dataLocation === 'external') this.external.push(t);
  }

  operatorList(): OperatorCount[] {
    const list: OperatorCount[] = [];
    for (const [domain, ops] of this.ops) {
      for (const [opType, count] of ops) list.push({ domain, opType, count });
    }
    return list.sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : b.count - a.count || (a.opType < b.opType ? -1 : 1)));
  }
}

async function externalFiles(model: OnnxModel, tensors: TensorRef[], warnings: string[]): Promise<ExternalFileSummary[]> {
  const files = new Map<string, ExternalFileSummary>();
  const firstTensorAt = new Map<string, number>();
  for (const t of tensors) {
    let location: string;
    let bytes: number;
    try {
      const info = externalDataInfo(t);
      location = info.location;
      bytes = info.length ?? tensorByteSize(t);
    } catch (error) {
      warnings.push((error as Error).message);
      continue;
    }
    let file = files.get(location);
    if (file === undefined) {
      files.set(location, (file = { location, tensors: 0, bytes: 0 }));
      firstTensorAt.set(location, t.offset);
    }
    file.tensors++;
    file.bytes += Number.isNaN(bytes) ? 0 : bytes;
  }
  for (const file of files.values()) {
    try {
      const real = await resolveExternalLocation(model.path, file.location, firstTensorAt.get(file.location) ?? 0);
      file.size = (await stat(real)).size;
    } catch (error) {
      file.error = (error as Error).message;
      warnings.push(file.error);
    }
  }
  return [...files.values()];
}
