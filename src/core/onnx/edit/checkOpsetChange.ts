/**
 * Whether a model may be stamped with another ai.onnx opset without converting it: every ai.onnx node (in
 * the main graph and its subgraphs) must have the same definition at the new opset as at the old one, and
 * must exist and not be deprecated there. Otherwise the edit is refused with the first node that differs.
 */
import type { OnnxGraph, OnnxModel } from '../onnxModel';
import { definitionAt, defaultOpsetHistory, KNOWN_DEFAULT_OPSET } from './defaultOpsetHistory';
import { subgraphsOf } from './graphNames';
import { ModelEditError } from './modelEdits';

const isDefaultDomain = (domain: string): boolean => domain === '' || domain === 'ai.onnx';

/** The lowest IR version that may carry an ai.onnx opset (onnx's release table). */
export function minIrVersionFor(opset: number): number {
  if (opset <= 8) return 3;
  if (opset <= 11) return opset - 5;
  if (opset <= 14) return 7;
  return 8;
}

export interface OpsetChange {
  from: number;
  to: number;
  /** Set when the IR version had to be raised for the new opset. */
  irVersion?: number;
}

export function checkOpsetChange(model: OnnxModel, target: number): OpsetChange {
  if (!Number.isInteger(target) || target < 1) throw new ModelEditError(`--opset ${target}: an opset is a positive integer`);
  const entry = model.opsetImports.find((o) => isDefaultDomain(o.domain));
  if (entry === undefined) throw new ModelEditError('--opset: the model imports no ai.onnx opset to change');
  const from = entry.version;
  if (from === target) return { from, to: target };
  const beyond = Math.max(from, target);
  if (beyond > KNOWN_DEFAULT_OPSET) {
    throw new ModelEditError(
      `--opset ${target}: whether nodes change meaning is known for ai.onnx opsets 1 to ${KNOWN_DEFAULT_OPSET} only (the model is at ${from})`,
    );
  }
  const seen = new Set<string>();
  const visit = (graph: OnnxGraph): void => {
    for (const node of graph.nodes) {
      for (const g of subgraphsOf(node)) visit(g);
      if (!isDefaultDomain(node.domain) || seen.has(node.opType)) continue;
      seen.add(node.opType);
      const history = defaultOpsetHistory(node.opType);
      if (history === undefined) throw new ModelEditError(`--opset ${target}: ${node.opType} is not an ai.onnx operator`);
      const before = definitionAt(history, from);
      const after = definitionAt(history, target);
      if (after === undefined) {
        throw new ModelEditError(`--opset ${target}: ${node.opType} does not exist before opset ${history.versions[0]}`);
      }
      if (history.deprecatedAt !== undefined && target >= history.deprecatedAt) {
        throw new ModelEditError(`--opset ${target}: ${node.opType} is deprecated from opset ${history.deprecatedAt}`);
      }
      if (before !== after) {
        throw new ModelEditError(
          `--opset ${target}: ${node.opType} means something else at opset ${target} than at ${from} (its definition changes at opset ${Math.max(before ?? 0, after)}); convert the model instead`,
        );
      }
    }
  };
  visit(model.graph);
  const minIr = minIrVersionFor(target);
  return model.irVersion < minIr ? { from, to: target, irVersion: minIr } : { from, to: target };
}
