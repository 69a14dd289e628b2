import type { InspectorGraph, InspectorValue } from '../../src/shared/inspectorProtocol';

/**
 * The graph with Measure Shapes' values in its valueInfo: an entry of the same name (from the file or inference) is
 * replaced, in place, and a tensor not listed yet is added. Inputs and outputs keep their declared types. Pure.
 */
export function mergeMeasured(graph: InspectorGraph, values: readonly InspectorValue[]): InspectorGraph {
  const measured = new Map(values.map((v) => [v.name, v]));
  const valueInfo = graph.valueInfo.map((v) => measured.get(v.name) ?? v);
  const listed = new Set(valueInfo.map((v) => v.name));
  for (const v of values) if (!listed.has(v.name)) valueInfo.push(v);
  return { ...graph, valueInfo };
}
