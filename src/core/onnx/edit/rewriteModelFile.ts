/**
 * Rewrites a model's main graph into a new file: the optimisation recipes' way of writing a model. A rewrite names
 * the source nodes and initializers it removes and the nodes and initializers it adds; everything else (every
 * other node, initializer, value info, subgraph and the external data) is copied from the source by byte range,
 * and new tensors are produced one at a time as the writer reaches them. Writing goes through the model editor's
 * splicer (writePlannedModel), so a rewrite gets its temporary file, its external-data handling and its cleanup.
 */
import type { OnnxModel, OperatorSetId } from '../onnxModel';
import { tensorByteSize } from '../tensorRef';
import { writePlannedModel, type EditModelOptions, type EditResult } from './editModelFile';
import type { NewNode, NewTensor } from './newNodes';
import type { Dim } from '../shapes/shapeTypes';
import type { EditPlan, IoEntry } from './planModelEdit';

export interface GraphRewrite {
  /** Indices of main-graph nodes left out. */
  removeNodes?: ReadonlySet<number>;
  /** New nodes written before source node i; key = node count writes them after the last node. */
  insertBefore?: ReadonlyMap<number, readonly NewNode[]>;
  /** Tensor renames where nodes read them (a consumer now reads a Cast's output instead). */
  inputRenames?: ReadonlyMap<string, string>;
  /** Renames of node outputs where they are produced (a producer now writes into a Cast). */
  outputRenames?: ReadonlyMap<string, string>;
  /** Initializers left out, by name; graph inputs of the same name (IR < 4 lists them) go with them. */
  removeInitializers?: ReadonlySet<string>;
  addInitializers?: readonly NewTensor[];
  /** value_info entries left out, by tensor name (tensors whose type the rewrite changed). */
  dropValueInfo?: ReadonlySet<string>;
  /** Opsets the new nodes need, e.g. `{ domain: 'com.microsoft', version: 1 }`. */
  opsets?: readonly OperatorSetId[];
  /** The graph inputs kept, by name, in their order (default: all but removed initializers). */
  inputs?: readonly string[];
  /** The graph outputs, replacing the source's: a source output by name, or a new one with its type. */
  outputs?: readonly (string | { name: string; elemType: number; shape: Dim[] | null })[];
  /** The IR version to stamp (IR 3 wants every initializer listed as a graph input; IR 4 lifts that). */
  irVersion?: number;
  /** What it did, one line each. */
  changes?: string[];
}

export type RewriteBuilder = (model: OnnxModel) => GraphRewrite | Promise<GraphRewrite>;

/** The edit plan of a rewrite: keep everything the rewrite does not remove. */
export function rewritePlan(model: OnnxModel, rewrite: GraphRewrite): EditPlan {
  const graph = model.graph;
  const removedInits = rewrite.removeInitializers ?? new Set<string>();
  const dropInfo = rewrite.dropValueInfo ?? new Set<string>();
  const removedNodes = rewrite.removeNodes ?? new Set<number>();
  const dropped = graph.initializers.filter((t) => removedInits.has(t.name));
  // IR 3 wants every initializer listed as a graph input; new ones are not, so the file moves to IR 4, which
  // differs from IR 3 only in allowing that.
  const irVersion = rewrite.irVersion ?? (model.irVersion < 4 && (rewrite.addInitializers?.length ?? 0) > 0 ? 4 : undefined);
  const keptInputs = rewrite.inputs === undefined ? undefined : new Set(rewrite.inputs);
  const outputEntry = (o: string | { name: string; elemType: number; shape: Dim[] | null }): IoEntry => {
    if (typeof o !== 'string') return { name: o.name, from: 'inferred', elemType: o.elemType, shape: o.shape };
    const index = graph.outputs.findIndex((v) => v.name === o);
    if (index < 0) throw new Error(`rewrite: ${o} is not a graph output; give its type`);
    return { name: o, from: 'output', index };
  };
  return {
    keepNodes: graph.nodes.map((_, i) => !removedNodes.has(i)),
    keepInitializers: graph.initializers.map((t) => !removedInits.has(t.name)),
    keepSparseInitializers: graph.sparseInitializers.map(() => true),
    keepValueInfo: graph.valueInfo.map((v) => !dropInfo.has(v.name)),
    inputs: graph.inputs.flatMap((v, index) =>
      removedInits.has(v.name) || (keptInputs !== undefined && !keptInputs.has(v.name))
        ? []
        : [{ name: v.name, from: 'input' as const, index }],
    ),
    outputs:
      rewrite.outputs === undefined
        ? graph.outputs.map((v, index) => ({ name: v.name, from: 'output' as const, index }))
        : rewrite.outputs.map(outputEntry),
    tensorRenames: new Map(),
    nodeRenames: new Map(),
    dims: new Map(),
    changes: rewrite.changes ?? [],
    ...(irVersion !== undefined ? { irVersion } : {}),
    droppedInitializers: { count: dropped.length, bytes: dropped.reduce((sum, t) => sum + tensorByteSize(t), 0) },
    rewrite: {
      insertBefore: rewrite.insertBefore ?? new Map(),
      inputRenames: rewrite.inputRenames ?? new Map(),
      outputRenames: rewrite.outputRenames ?? new Map(),
      addInitializers: rewrite.addInitializers ?? [],
      opsets: rewrite.opsets ?? [],
    },
  };
}

/** Writes the model `build` describes to OUT (a new file; the source is never touched). */
export function rewriteModelFile(
  modelPath: string,
  outPath: string,
  build: RewriteBuilder,
  options: EditModelOptions = {},
): Promise<EditResult> {
  return writePlannedModel(modelPath, outPath, async (model) => rewritePlan(model, await build(model)), options);
}
