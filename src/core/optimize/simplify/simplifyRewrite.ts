/**
 * The rewrite of one `simplify` pass, worked out from the model, its inferred shapes and the values of its
 * constant tensors (planFolds, then evaluateConstants):
 * - folded tensors a kept node still reads become initializers, and the nodes that made them go;
 * - no-op nodes go, their consumers reading the input instead: Identity, Dropout at inference, a Cast to the
 *   type it already has, a Reshape to the shape it already has (when such a node makes a graph output, the node
 *   before it writes that output instead);
 * - nodes nothing needs go (what no graph output depends on), and so do initializers nothing reads.
 * Pure: no file is read here.
 */
import type { OnnxModel, OnnxNode } from '../../onnx/onnxModel';
import type { GraphRewrite } from '../../onnx/edit/rewriteModelFile';
import type { NewTensor } from '../../onnx/edit/newNodes';
import { outerReferences } from '../../onnx/edit/graphNames';
import { tensorByteSize } from '../../onnx/tensorRef';
import type { ShapeInferenceResult } from '../../onnx/shapes/shapeTypes';
import { DataType } from '../../onnx/dataTypes';
import type { FoldPlan, KnownTensor } from './planFolds';

/** A constant tensor's value as raw little-endian bytes. */
export interface FoldedTensor {
  dataType: number;
  dims: number[];
  bytes: Uint8Array;
}

export interface SimplifyPass {
  rewrite: GraphRewrite;
  /** Nothing to do: the pass would write the model as it is. */
  empty: boolean;
}

export function knownBytes(k: KnownTensor): Uint8Array {
  const array = k.dataType === DataType.INT64 ? BigInt64Array.from(k.values.map((v) => BigInt(v))) : Int32Array.from(k.values);
  return new Uint8Array(array.buffer);
}

const attr = (node: OnnxNode, name: string) => node.attributes.find((a) => a.name === name);

/** What a no-op node passes on: its output and the input it equals, or undefined when the node does work. */
function noOp(
  node: OnnxNode,
  opset: number,
  shapes: ReadonlyMap<string, { elemType: number | null; shape: unknown[] | null }>,
  used: ReadonlySet<string>,
): { from: string; to: string } | undefined {
  const standard = node.domain === '' || node.domain === 'ai.onnx';
  const [input] = node.inputs;
  const [output] = node.outputs;
  if (!standard || input === undefined || input === '' || output === undefined || output === '') return undefined;
  switch (node.opType) {
    case 'Identity':
      return { from: output, to: input };
    case 'Dropout': {
      const mask = node.outputs[1];
      const training = node.inputs[2];
      if (opset < 7 || (mask !== undefined && mask !== '' && used.has(mask)) || (training !== undefined && training !== ''))
        return undefined;
      return { from: output, to: input };
    }
    case 'Cast': {
      const to = attr(node, 'to')?.i;
      const type = shapes.get(input)?.elemType;
      return to !== undefined && type !== null && type !== undefined && Number(to) === type ? { from: output, to: input } : undefined;
    }
    case 'Reshape': {
      const a = shapes.get(input)?.shape;
      const b = shapes.get(output)?.shape;
      const fixed = (s: unknown[] | null | undefined): s is number[] => Array.isArray(s) && s.every((d) => typeof d === 'number');
      return fixed(a) && fixed(b) && a.length === b.length && a.every((d, i) => d === b[i]) ? { from: output, to: input } : undefined;
    }
    default:
      return undefined;
  }
}

export function simplifyRewrite(
  model: OnnxModel,
  shapes: ShapeInferenceResult,
  folds: FoldPlan,
  evaluated: ReadonlyMap<string, FoldedTensor>,
): SimplifyPass {
  const graph = model.graph;
  const opset = Number(model.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 1);
  const typeOf = new Map(shapes.tensors.map((t) => [t.name, t]));
  const graphOutputs = new Set(graph.outputs.map((v) => v.name));
  const graphInputs = new Set(graph.inputs.map((v) => v.name));
  const initializerNames = new Set(graph.initializers.map((t) => t.name));

  const folded = new Map<string, FoldedTensor>(evaluated);
  for (const [name, k] of folds.known) folded.set(name, { dataType: k.dataType, dims: k.dims, bytes: knownBytes(k) });

  const reads = (n: OnnxNode): string[] => [...n.inputs.filter((i) => i !== ''), ...outerReferences(n)];
  const used = new Set<string>(graphOutputs);
  for (const n of graph.nodes) for (const r of reads(n)) used.add(r);

  // No-op nodes: consumers read what they pass on; a graph output they make is written by the node before.
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.outputs.forEach((o) => o !== '' && producer.set(o, i)));
  const alias = new Map<string, string>();
  const outputRenames = new Map<string, string>();
  const eliminated = new Set<number>();
  const counts = new Map<string, number>();
  graph.nodes.forEach((node, i) => {
    if (node.outputs.every((o) => o === '' || folded.has(o))) return;
    const op = noOp(node, opset, typeOf, used);
    if (op === undefined) return;
    if (graphOutputs.has(op.from)) {
      // The producer of the input writes the output itself, when the input is its alone to rename.
      const p = producer.get(op.to);
      if (
        p === undefined ||
        eliminated.has(p) ||
        graphOutputs.has(op.to) ||
        graphInputs.has(op.to) ||
        folded.has(op.to) ||
        outputRenames.has(op.to)
      )
        return;
      outputRenames.set(op.to, op.from);
      alias.set(op.to, op.from);
    } else alias.set(op.from, op.to);
    eliminated.add(i);
    counts.set(node.opType, (counts.get(node.opType) ?? 0) + 1);
  });
  const resolve = (name: string): string => {
    let n = name;
    for (let hops = 0; alias.has(n) && hops < 10_000; hops++) n = alias.get(n) as string;
    return n;
  };

  // What the graph outputs need, walking back from them through kept nodes.
  const producerOf = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    if (eliminated.has(i)) return;
    for (const o of n.outputs) if (o !== '') producerOf.set(outputRenames.get(o) ?? o, i);
  });
  const needed = new Set<string>();
  const liveNodes = new Set<number>();
  const stack = [...graphOutputs];
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (needed.has(name)) continue;
    needed.add(name);
    if (folded.has(name)) continue;
    const p = producerOf.get(name);
    if (p === undefined || liveNodes.has(p)) continue;
    liveNodes.add(p);
    for (const r of reads(graph.nodes[p])) stack.push(resolve(r));
  }

  const removeNodes = new Set<number>();
  graph.nodes.forEach((_, i) => liveNodes.has(i) || removeNodes.add(i));
  const addInitializers: NewTensor[] = [];
  for (const [name, t] of folded) {
    if (!needed.has(name) || initializerNames.has(name)) continue;
    addInitializers.push({ name, dataType: t.dataType, dims: t.dims, byteLength: t.bytes.length, bytes: () => t.bytes });
  }
  const removeInitializers = new Set<string>();
  let removedBytes = 0;
  for (const t of graph.initializers) {
    if (needed.has(t.name) || !folds.constantInitializers.has(t.name)) continue;
    removeInitializers.add(t.name);
    removedBytes += tensorByteSize(t);
  }
  const inputRenames = new Map<string, string>();
  for (const name of used) {
    const to = resolve(name);
    if (to !== name) inputRenames.set(name, to);
  }
  // value_info of tensors the rewrite takes away or renames.
  const defined = new Set<string>([...graph.inputs.map((v) => v.name), ...addInitializers.map((t) => t.name)]);
  for (const i of liveNodes) for (const o of graph.nodes[i].outputs) if (o !== '') defined.add(outputRenames.get(o) ?? o);
  const dropValueInfo = new Set(graph.valueInfo.map((v) => v.name).filter((n) => !defined.has(n) && !initializerNames.has(n)));

  const foldedNodes = [...removeNodes].filter((i) => !eliminated.has(i) && graph.nodes[i].outputs.some((o) => folded.has(o))).length;
  const dead = removeNodes.size - eliminated.size - foldedNodes;
  const changes: string[] = [];
  if (foldedNodes > 0)
    changes.push(
      `folded ${foldedNodes} constant node${foldedNodes === 1 ? '' : 's'} into ${addInitializers.length} initializer${addInitializers.length === 1 ? '' : 's'}`,
    );
  if (eliminated.size > 0)
    changes.push(
      `removed ${eliminated.size} no-op node${eliminated.size === 1 ? '' : 's'} (${[...counts].map(([op, c]) => `${op} ×${c}`).join(', ')})`,
    );
  if (dead > 0) changes.push(`removed ${dead} node${dead === 1 ? '' : 's'} no output needs`);
  if (removeInitializers.size > 0)
    changes.push(
      `removed ${removeInitializers.size} unused initializer${removeInitializers.size === 1 ? '' : 's'} (${removedBytes} bytes)`,
    );
  // New initializers are not graph inputs, which IR 3 requires and IR 4, otherwise the same, does not.
  const irVersion = model.irVersion < 4 && addInitializers.length > 0 ? 4 : undefined;
  if (irVersion !== undefined) changes.push(`IR version ${model.irVersion} -> 4, for initializers that are not graph inputs`);
  return {
    rewrite: { removeNodes, addInitializers, removeInitializers, inputRenames, outputRenames, dropValueInfo, changes, irVersion },
    empty: removeNodes.size === 0 && removeInitializers.size === 0 && addInitializers.length === 0,
  };
}
