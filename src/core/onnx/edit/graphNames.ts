/**
 * Names in a graph and its subgraphs: what a graph defines, what a node's subgraphs read from the enclosing
 * scopes, and every name at any depth (so a rename never takes a name already in use).
 */
import type { OnnxGraph, OnnxNode } from '../onnxModel';

export function subgraphsOf(node: OnnxNode): OnnxGraph[] {
  const graphs: OnnxGraph[] = [];
  for (const a of node.attributes) {
    if (a.g !== undefined) graphs.push(a.g);
    for (const g of a.graphs ?? []) graphs.push(g);
  }
  return graphs;
}

/** Names a graph defines: its inputs, initializers and node outputs. */
export function definedNames(graph: OnnxGraph): Set<string> {
  const names = new Set<string>();
  for (const i of graph.inputs) names.add(i.name);
  for (const t of graph.initializers) names.add(t.name);
  for (const s of graph.sparseInitializers) names.add(s.name);
  for (const n of graph.nodes) for (const o of n.outputs) if (o !== '') names.add(o);
  return names;
}

const outerCache = new WeakMap<OnnxNode, ReadonlySet<string>>();

/** Names the node's subgraphs (at any depth) read from scopes outside the node. */
export function outerReferences(node: OnnxNode): ReadonlySet<string> {
  const cached = outerCache.get(node);
  if (cached !== undefined) return cached;
  const refs = new Set<string>();
  for (const g of subgraphsOf(node)) {
    const defined = definedNames(g);
    const use = (name: string): void => {
      if (name !== '' && !defined.has(name)) refs.add(name);
    };
    for (const n of g.nodes) {
      n.inputs.forEach(use);
      outerReferences(n).forEach(use);
    }
    for (const o of g.outputs) use(o.name);
  }
  outerCache.set(node, refs);
  return refs;
}

/** Every tensor name used at any depth (inputs, outputs, value_info, initializers, node inputs and outputs). */
export function allTensorNames(graph: OnnxGraph, into = new Set<string>()): Set<string> {
  for (const v of [...graph.inputs, ...graph.outputs, ...graph.valueInfo]) into.add(v.name);
  for (const t of graph.initializers) into.add(t.name);
  for (const s of graph.sparseInitializers) into.add(s.name);
  for (const n of graph.nodes) {
    for (const name of [...n.inputs, ...n.outputs]) if (name !== '') into.add(name);
    for (const g of subgraphsOf(n)) allTensorNames(g, into);
  }
  return into;
}

/** The renames that apply inside `graph`: those of the enclosing scope less the names the graph defines again. */
export function scopedRenames(graph: OnnxGraph, renames: ReadonlyMap<string, string>): Map<string, string> {
  const defined = definedNames(graph);
  const inner = new Map<string, string>();
  for (const [from, to] of renames) if (!defined.has(from)) inner.set(from, to);
  return inner;
}

/** True when renaming tensors changes the node: it reads or writes one, or one of its subgraphs reads one. */
export function nodeTouches(node: OnnxNode, renames: ReadonlyMap<string, string>): boolean {
  if (renames.size === 0) return false;
  for (const name of node.inputs) if (renames.has(name)) return true;
  for (const name of node.outputs) if (renames.has(name)) return true;
  for (const name of outerReferences(node)) if (renames.has(name)) return true;
  return false;
}
