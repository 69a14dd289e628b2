/**
 * Which tensors of a graph are constant, and how `simplify` gets their values:
 * - `known`: shape inference knows them (a Shape of a statically shaped tensor, and what is computed from it);
 * - `evaluate`: nodes of the standard domain whose inputs are all constant, run once in onnxruntime-node.
 * A node is never folded when it draws random numbers, holds a subgraph, produces a graph output, or would turn
 * small inputs into a large tensor (Expand, Tile, ConstantOfShape of a known shape): the model must not grow.
 */
import type { OnnxModel } from '../../onnx/onnxModel';
import { byteSizeOf, DataType } from '../../onnx/dataTypes';
import { tensorByteSize } from '../../onnx/tensorRef';
import { subgraphsOf } from '../../onnx/edit/graphNames';
import type { Dim, ShapeInferenceResult } from '../../onnx/shapes/shapeTypes';

/** A folded tensor this small may come from inputs smaller than itself. */
export const SMALL_TENSOR_BYTES = 1024;
/** What one simplify pass hands onnxruntime at most, inputs and outputs together: memory stays flat on big models. */
export const MAX_EVALUATED_BYTES = 64 * 1024 * 1024;

const NOT_FOLDED = new Set([
  'RandomNormal',
  'RandomNormalLike',
  'RandomUniform',
  'RandomUniformLike',
  'Multinomial',
  'Bernoulli',
  'Dropout',
]);

export interface KnownTensor {
  dataType: number;
  dims: number[];
  values: number[];
}

export interface FoldPlan {
  /** Tensors whose values shape inference gives. */
  known: Map<string, KnownTensor>;
  /** Main-graph nodes to evaluate, in file order, and the tensors to fetch from them. */
  evaluate: number[];
  evaluateOutputs: string[];
  /** Initializers that are constant (not overridable graph inputs). */
  constantInitializers: Set<string>;
}

const isStandard = (domain: string): boolean => domain === '' || domain === 'ai.onnx';

function staticDims(shape: Dim[] | null | undefined): number[] | undefined {
  if (!shape || !shape.every((d): d is number => typeof d === 'number' && d >= 0)) return undefined;
  return shape;
}

export function planFolds(model: OnnxModel, shapes: ShapeInferenceResult): FoldPlan {
  const graph = model.graph;
  const inferred = new Map(shapes.tensors.map((t) => [t.name, t]));
  const graphInputs = new Set(graph.inputs.map((v) => v.name));
  const graphOutputs = new Set(graph.outputs.map((v) => v.name));
  // Before IR 4 every initializer is also listed as a graph input; from IR 4 on, one that is an input is a default
  // the caller may override, so not a constant.
  const constantInitializers = new Set(
    graph.initializers.filter((t) => model.irVersion < 4 || !graphInputs.has(t.name)).map((t) => t.name),
  );
  const bytesOf = new Map<string, number>();
  for (const t of graph.initializers) if (constantInitializers.has(t.name)) bytesOf.set(t.name, tensorByteSize(t));

  // External data stays out of the evaluation, which then never loads or copies a large data file.
  const constant = new Set(
    graph.initializers.filter((t) => constantInitializers.has(t.name) && t.dataLocation !== 'external').map((t) => t.name),
  );
  const known = new Map<string, KnownTensor>();
  const evaluate: number[] = [];
  const evaluateOutputs: string[] = [];
  let evaluatedBytes = 0;

  graph.nodes.forEach((node, i) => {
    const produces = node.outputs.filter((o) => o !== '');
    if (produces.length === 0 || produces.some((o) => graphOutputs.has(o))) return;
    // Values shape inference worked out (integer tensors: shapes and indices).
    const byValue = produces.map((o) => {
      const t = inferred.get(o);
      const dims = staticDims(t?.shape);
      if (t?.value === undefined || dims === undefined || (t.elemType !== DataType.INT64 && t.elemType !== DataType.INT32))
        return undefined;
      if (t.value.length !== dims.reduce((a, b) => a * b, 1)) return undefined;
      return { dataType: t.elemType, dims, values: t.value };
    });
    if (byValue.every((k) => k !== undefined) && node.opType !== 'Constant') {
      produces.forEach((o, k) => {
        known.set(o, byValue[k] as KnownTensor);
        constant.add(o);
        bytesOf.set(o, (byValue[k] as KnownTensor).values.length * 8);
      });
      return;
    }
    if (!isStandard(node.domain) || NOT_FOLDED.has(node.opType) || subgraphsOf(node).length > 0) return;
    const inputs = node.inputs.filter((n) => n !== '');
    if (!inputs.every((n) => constant.has(n))) return;
    const inputBytes = inputs.reduce((sum, n) => sum + (bytesOf.get(n) ?? 0), 0);
    let outputBytes = 0;
    for (const o of produces) {
      const t = inferred.get(o);
      if (t?.elemType === null || t?.elemType === undefined || t.elemType === DataType.STRING) return;
      const dims = staticDims(t.shape);
      const size = dims
        ? byteSizeOf(
            t.elemType,
            dims.reduce((a, b) => a * b, 1),
          )
        : undefined;
      if (size === undefined) {
        // Unknown size: fold only what cannot grow, the ops that copy or reduce their inputs.
        if (!COPYING_OPS.has(node.opType)) return;
        outputBytes += inputBytes;
      } else outputBytes += size;
    }
    if (outputBytes > SMALL_TENSOR_BYTES && outputBytes > inputBytes) return;
    if (evaluatedBytes + inputBytes + outputBytes > MAX_EVALUATED_BYTES) return;
    evaluatedBytes += inputBytes + outputBytes;
    evaluate.push(i);
    for (const o of produces) {
      constant.add(o);
      bytesOf.set(o, outputBytes / produces.length);
      evaluateOutputs.push(o);
    }
  });
  return { known, evaluate, evaluateOutputs, constantInitializers };
}

/** Ops whose output is never larger than their inputs together (no broadcasting, widening or repeating). */
const COPYING_OPS = new Set([
  'Identity',
  'Reshape',
  'Transpose',
  'Squeeze',
  'Unsqueeze',
  'Flatten',
  'Slice',
  'Concat',
  'Neg',
  'Sqrt',
  'Abs',
  'ReduceSum',
  'ReduceMean',
  'ReduceMax',
  'ReduceMin',
  'Shape',
  'Size',
  'Constant',
]);
