/**
 * Checks a set of edits against a model and works out what the edited model keeps: which nodes,
 * initializers and value infos, the graph inputs and outputs in order (each from an entry of the file or a
 * type shape inference found), tensor and node renames, dimensions, metadata, opset. Every problem is a
 * ModelEditError naming the flag; nothing here touches the file.
 */
import type { Dim } from '../shapes/shapeTypes';
import type { OnnxModel, OnnxType, OperatorSetId, StringEntry, ValueInfo } from '../onnxModel';
import { tensorByteSize } from '../tensorRef';
import { checkOpsetChange } from './checkOpsetChange';
import { allTensorNames, definedNames, outerReferences } from './graphNames';
import { ModelEditError, type ModelEdits, type Rename } from './modelEdits';
import type { NewNode, NewTensor } from './newNodes';
import { parseExtractSpec } from './parseExtractSpec';

/** Where a graph input or output of the edited model comes from. */
export type IoEntry =
  | { name: string; from: 'input' | 'output' | 'valueInfo'; index: number }
  | { name: string; from: 'inferred'; elemType: number; shape: Dim[] | null };

export interface EditPlan {
  keepNodes: boolean[];
  keepInitializers: boolean[];
  keepSparseInitializers: boolean[];
  keepValueInfo: boolean[];
  inputs: IoEntry[];
  outputs: IoEntry[];
  /** Tensor (source name) -> new name, everywhere it appears. */
  tensorRenames: Map<string, string>;
  /** Node index in the main graph -> new name. */
  nodeRenames: Map<number, string>;
  /** Tensor (source name) -> axis -> new dimension. */
  dims: Map<string, Map<number, number | string>>;
  metadata?: StringEntry[];
  opset?: number;
  irVersion?: number;
  docString?: string;
  modelVersion?: number;
  /** What the edit does, one line each, for the user. */
  changes: string[];
  droppedInitializers: { count: number; bytes: number };
  /** What a rewrite (rewriteModelFile) adds to the main graph. */
  rewrite?: GraphRewritePlan;
}

/** New nodes, initializers and opsets of a rewrite, and the tensor names its new nodes step in between. */
export interface GraphRewritePlan {
  /** Nodes written before source node i of the main graph; key `nodes.length` writes them after the last. */
  insertBefore: ReadonlyMap<number, readonly NewNode[]>;
  /** Renames of tensors where nodes read them (also in subgraphs), not where they are produced or declared. */
  inputRenames: ReadonlyMap<string, string>;
  /** Renames of main-graph node outputs, where they are produced only. */
  outputRenames: ReadonlyMap<string, string>;
  addInitializers: readonly NewTensor[];
  /** Opset imports the new nodes need: added, or raised to this version. */
  opsets: readonly OperatorSetId[];
}

/** What the planner needs to know about tensors the file gives no type for. */
export type InferTypes = () => Promise<ReadonlyMap<string, { elemType: number | null; shape: Dim[] | null }>>;

const describeDim = (d: Dim | undefined): string => (d === null || d === undefined ? '?' : String(d));

function tensorShape(type: OnnxType | undefined): { elemType: number; shape?: Dim[] } | undefined {
  return type?.kind === 'tensor' ? type : undefined;
}

export async function planModelEdit(model: OnnxModel, edits: ModelEdits, inferTypes: InferTypes): Promise<EditPlan> {
  const graph = model.graph;
  const changes: string[] = [];
  let inferred: ReadonlyMap<string, { elemType: number | null; shape: Dim[] | null }> | undefined;
  const infer = async () => (inferred ??= await inferTypes());

  const initializerNames = new Set([...graph.initializers.map((t) => t.name), ...graph.sparseInitializers.map((s) => s.name)]);
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.outputs.forEach((o) => o !== '' && producer.set(o, i)));
  const mainNames = new Set<string>([...definedNames(graph)]);
  for (const n of graph.nodes) for (const i of n.inputs) if (i !== '') mainNames.add(i);
  for (const o of graph.outputs) mainNames.add(o.name);
  const everyName = allTensorNames(graph);

  /** Where the file types a tensor of the main graph, or what inference says; undefined when nobody knows. */
  const typeEntry = async (name: string, flag: string): Promise<IoEntry> => {
    const lists = [
      ['input', graph.inputs],
      ['output', graph.outputs],
      ['valueInfo', graph.valueInfo],
    ] as const;
    for (const [from, list] of lists) {
      const index = list.findIndex((v: ValueInfo) => v.name === name && v.type !== undefined && v.type.kind !== 'unknown');
      if (index >= 0) return { name, from, index };
    }
    const t = (await infer()).get(name);
    if (t === undefined || t.elemType === null) {
      throw new ModelEditError(`${flag} ${name}: the type of ${name} is not in the file and shape inference cannot tell it`);
    }
    return { name, from: 'inferred', elemType: t.elemType, shape: t.shape };
  };

  let keepNodes = graph.nodes.map(() => true);
  let inputs: IoEntry[] = graph.inputs.map((v, index) => ({ name: v.name, from: 'input', index }));
  let outputs: IoEntry[] = graph.outputs.map((v, index) => ({ name: v.name, from: 'output', index }));
  let extracting = false;

  if (edits.extract !== undefined) {
    extracting = true;
    const spec = edits.extract;
    const { inputs: ins, outputs: outs } = typeof spec === 'string' ? parseExtractSpec(spec, (n) => mainNames.has(n)) : spec;
    if (outs.length === 0) throw new ModelEditError('--extract: name at least one output tensor');
    for (const name of [...ins, ...outs]) {
      if (!mainNames.has(name)) throw new ModelEditError(`--extract: ${name} is not a tensor of the graph`);
    }
    for (const name of ins) {
      if (initializerNames.has(name)) throw new ModelEditError(`--extract: ${name} is an initializer, not a tensor the graph computes`);
    }
    const stop = new Set(ins);
    const reached = new Set<number>();
    const graphInputs = new Set(graph.inputs.map((v) => v.name));
    const visit = (start: string): void => {
      const stack = [start];
      while (stack.length > 0) {
        const name = stack.pop() as string;
        if (name === '' || stop.has(name)) continue;
        const n = producer.get(name);
        if (n === undefined) {
          if (initializerNames.has(name)) continue;
          if (graphInputs.has(name)) {
            throw new ModelEditError(`--extract: the outputs also depend on graph input ${name}; add it to the inputs`);
          }
          throw new ModelEditError(`--extract: ${name} is not computed by any node and is not an input`);
        }
        if (reached.has(n)) continue;
        reached.add(n);
        const node = graph.nodes[n];
        for (const i of node.inputs) stack.push(i);
        for (const i of outerReferences(node)) stack.push(i);
      }
    };
    for (const name of outs) visit(name);
    keepNodes = graph.nodes.map((_, i) => reached.has(i));
    inputs = [];
    for (const name of ins) {
      const index = graph.inputs.findIndex((v) => v.name === name);
      inputs.push(index >= 0 ? { name, from: 'input', index } : await typeEntry(name, '--extract'));
    }
    outputs = [];
    for (const name of outs) {
      const index = graph.outputs.findIndex((v) => v.name === name);
      outputs.push(index >= 0 ? { name, from: 'output', index } : await typeEntry(name, '--extract'));
    }
    const dropped = keepNodes.filter((k) => !k).length;
    changes.push(
      `extracted ${reached.size} of ${graph.nodes.length} nodes between ${ins.join(', ') || '(initializers only)'} and ${outs.join(', ')}${dropped ? ` (${dropped} dropped)` : ''}`,
    );
  }

  for (const name of edits.removeOutputs ?? []) {
    const at = outputs.findIndex((o) => o.name === name);
    if (at < 0) throw new ModelEditError(`--remove-output ${name}: ${name} is not a graph output`);
    outputs.splice(at, 1);
    changes.push(`removed output ${name}`);
  }
  for (const name of edits.addOutputs ?? []) {
    const kept = !extracting || inputs.some((i) => i.name === name) || initializerNames.has(name) || keepNodes[producer.get(name) ?? -1];
    if (!mainNames.has(name) || !kept) throw new ModelEditError(`--add-output ${name}: ${name} is not a tensor of the graph`);
    if (outputs.some((o) => o.name === name)) throw new ModelEditError(`--add-output ${name}: ${name} is already a graph output`);
    const entry = await typeEntry(name, '--add-output');
    outputs.push(entry);
    changes.push(`added output ${name}`);
  }
  if (outputs.length === 0) throw new ModelEditError('the edited graph would have no outputs');

  // Renames: tensors first (inputs, outputs), then nodes. Targets must be new names, each used once.
  const tensorRenames = new Map<string, string>();
  const targets = new Set<string>();
  const rename = (flag: string, r: Rename, list: IoEntry[], what: string): void => {
    if (r.from === '' || r.to === '') throw new ModelEditError(`${flag} ${r.from}=${r.to}: both names must be non-empty`);
    if (!list.some((e) => e.name === r.from)) throw new ModelEditError(`${flag} ${r.from}=${r.to}: ${r.from} is not a graph ${what}`);
    if (tensorRenames.has(r.from)) throw new ModelEditError(`${flag} ${r.from}=${r.to}: ${r.from} is renamed twice`);
    if (everyName.has(r.to) || targets.has(r.to)) {
      throw new ModelEditError(`${flag} ${r.from}=${r.to}: the name ${r.to} is already taken by a tensor of the model`);
    }
    tensorRenames.set(r.from, r.to);
    targets.add(r.to);
    changes.push(`renamed ${what} ${r.from} -> ${r.to}`);
  };
  for (const r of edits.renameInputs ?? []) rename('--rename-input', r, inputs, 'input');
  for (const r of edits.renameOutputs ?? []) rename('--rename-output', r, outputs, 'output');

  const nodeRenames = new Map<number, string>();
  const nodeNames = new Set(graph.nodes.map((n) => n.name).filter((n) => n !== ''));
  for (const r of edits.renameNodes ?? []) {
    const flag = `--rename-node ${r.from}=${r.to}`;
    if (r.from === '' || r.to === '') throw new ModelEditError(`${flag}: both names must be non-empty`);
    const found = graph.nodes.flatMap((n, i) => (n.name === r.from && keepNodes[i] ? [i] : []));
    if (found.length === 0) throw new ModelEditError(`${flag}: no node of the graph is named ${r.from}`);
    if (found.length > 1) throw new ModelEditError(`${flag}: ${found.length} nodes are named ${r.from}`);
    if (nodeNames.has(r.to)) throw new ModelEditError(`${flag}: the name ${r.to} is already taken by a node`);
    nodeNames.add(r.to);
    nodeRenames.set(found[0], r.to);
    changes.push(`renamed node ${r.from} -> ${r.to}`);
  }

  const dims = new Map<string, Map<number, number | string>>();
  for (const d of edits.setDims ?? []) {
    const flag = `--set-dim ${d.tensor}:${d.axis}=${d.value}`;
    const entry = inputs.find((e) => e.name === d.tensor) ?? outputs.find((e) => e.name === d.tensor);
    if (entry === undefined) throw new ModelEditError(`${flag}: ${d.tensor} is not a graph input or output`);
    let shape: Dim[] | null | undefined;
    if (entry.from === 'inferred') shape = entry.shape;
    else {
      const list = entry.from === 'input' ? graph.inputs : entry.from === 'output' ? graph.outputs : graph.valueInfo;
      const t = tensorShape(list[entry.index].type);
      if (t === undefined) throw new ModelEditError(`${flag}: ${d.tensor} is not a tensor`);
      shape = t.shape;
    }
    if (shape === null || shape === undefined) throw new ModelEditError(`${flag}: ${d.tensor} has no shape (its rank is unknown)`);
    const axis = d.axis < 0 ? d.axis + shape.length : d.axis;
    if (!Number.isInteger(d.axis) || axis < 0 || axis >= shape.length) {
      throw new ModelEditError(`${flag}: axis ${d.axis} is out of range for ${d.tensor}, which has ${shape.length} dimensions`);
    }
    if (typeof d.value === 'number' && (!Number.isSafeInteger(d.value) || d.value < 0)) {
      throw new ModelEditError(`${flag}: a dimension is a non-negative integer or a name`);
    }
    if (typeof d.value === 'string' && d.value.trim() === '') throw new ModelEditError(`${flag}: a dimension name must be non-empty`);
    let axes = dims.get(d.tensor);
    if (axes === undefined) dims.set(d.tensor, (axes = new Map()));
    axes.set(axis, d.value);
    changes.push(`set ${d.tensor} dim ${axis}: ${describeDim(shape[axis])} -> ${d.value}`);
  }

  let metadata: StringEntry[] | undefined;
  if ((edits.setMeta?.length ?? 0) > 0 || (edits.removeMeta?.length ?? 0) > 0) {
    metadata = model.metadataProps.map((e) => ({ ...e }));
    for (const { key, value } of edits.setMeta ?? []) {
      if (key === '') throw new ModelEditError(`--set-meta =${value}: the key must be non-empty`);
      const existing = metadata.find((e) => e.key === key);
      if (existing) existing.value = value;
      else metadata.push({ key, value });
      changes.push(`set metadata ${key}`);
    }
    for (const key of edits.removeMeta ?? []) {
      const at = metadata.findIndex((e) => e.key === key);
      if (at < 0) throw new ModelEditError(`--remove-meta ${key}: the model has no metadata entry ${key}`);
      metadata.splice(at, 1);
      changes.push(`removed metadata ${key}`);
    }
  }

  let opset: number | undefined;
  let irVersion: number | undefined;
  if (edits.opset !== undefined) {
    const change = checkOpsetChange(model, edits.opset);
    if (change.from !== change.to) {
      opset = change.to;
      irVersion = change.irVersion;
      changes.push(`ai.onnx opset ${change.from} -> ${change.to} (no node changes meaning)`);
      if (irVersion !== undefined)
        changes.push(`IR version ${model.irVersion} -> ${irVersion} (the lowest that carries opset ${change.to})`);
    } else changes.push(`ai.onnx opset already ${change.to}`);
  }
  if (edits.modelVersion !== undefined) {
    if (!Number.isSafeInteger(edits.modelVersion)) throw new ModelEditError(`--model-version ${edits.modelVersion}: not an integer`);
    changes.push(`model version ${model.modelVersion} -> ${edits.modelVersion}`);
  }
  if (edits.docString !== undefined) changes.push('set doc string');

  // What the kept nodes and the graph's outputs read decides which initializers stay.
  const used = new Set<string>(outputs.map((o) => o.name));
  if (!extracting) for (const i of inputs) used.add(i.name);
  graph.nodes.forEach((n, i) => {
    if (!keepNodes[i]) return;
    for (const name of n.inputs) used.add(name);
    for (const name of outerReferences(n)) used.add(name);
  });
  const keepInitializers = graph.initializers.map((t) => used.has(t.name));
  const keepSparseInitializers = graph.sparseInitializers.map((s) => used.has(s.name));
  let droppedCount = 0;
  let droppedBytes = 0;
  graph.initializers.forEach((t, i) => {
    if (keepInitializers[i]) return;
    droppedCount++;
    droppedBytes += tensorByteSize(t);
  });
  droppedCount += keepSparseInitializers.filter((k) => !k).length;

  if (extracting && model.irVersion < 4) {
    // Before IR 4 every initializer is also a graph input: keep those of the kept initializers.
    const kept = new Set(graph.initializers.filter((_, i) => keepInitializers[i]).map((t) => t.name));
    graph.inputs.forEach((v, index) => {
      if (kept.has(v.name) && !inputs.some((e) => e.name === v.name)) inputs.push({ name: v.name, from: 'input', index });
    });
  }

  let keepValueInfo = graph.valueInfo.map(() => true);
  if (extracting) {
    const tensors = new Set<string>();
    graph.nodes.forEach((n, i) => {
      if (keepNodes[i]) for (const name of [...n.inputs, ...n.outputs]) tensors.add(name);
    });
    const io = new Set([...inputs, ...outputs].map((e) => e.name));
    keepValueInfo = graph.valueInfo.map((v) => tensors.has(v.name) && !io.has(v.name));
  }

  if (dims.size > 0 && graph.valueInfo.length > 0) {
    // Intermediate shapes recorded for the old dims may no longer hold: value_info is only a hint, drop it.
    const before = keepValueInfo.filter(Boolean).length;
    keepValueInfo = graph.valueInfo.map(() => false);
    if (before > 0) changes.push(`dropped ${before} value_info entries (their shapes may depend on the dims set)`);
  }

  return {
    keepNodes,
    keepInitializers,
    keepSparseInitializers,
    keepValueInfo,
    inputs,
    outputs,
    tensorRenames,
    nodeRenames,
    dims,
    metadata,
    opset,
    irVersion,
    docString: edits.docString,
    modelVersion: edits.modelVersion,
    changes,
    droppedInitializers: { count: droppedCount, bytes: droppedBytes },
  };
}
