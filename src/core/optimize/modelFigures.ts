/** The static figures of a model file (size on disk, weights by dtype, nodes, operators) and operator changes. */
import { stat } from 'node:fs/promises';
import type { ModelSummary, OperatorCount } from '../onnx/modelSummary';
import { sha256File } from '../sha256File';
import type { ModelFigures, OperatorChange } from './optimizationReport';

export type StaticFigures = Pick<
  ModelFigures,
  'path' | 'sha256' | 'fileSize' | 'weightBytes' | 'weightBytesByDtype' | 'nodes' | 'operators'
>;

export async function staticFigures(summary: ModelSummary): Promise<StaticFigures> {
  const external = summary.externalData.reduce((sum, f) => sum + (f.size ?? 0), 0);
  const { sha256 } = await sha256File(summary.path);
  const size = (await stat(summary.path)).size;
  return {
    path: summary.path,
    sha256,
    fileSize: size + external,
    weightBytes: summary.parameterBytes,
    weightBytesByDtype: Object.fromEntries(summary.parametersByDtype.map((d) => [d.dtype, d.bytes])),
    nodes: summary.nodeCount,
    operators: summary.operators,
  };
}

const opName = (o: OperatorCount): string => (o.domain === 'ai.onnx' ? o.opType : `${o.domain}.${o.opType}`);

/** Operators whose count went up (added) or down (removed), most changed first. */
export function operatorChanges(
  before: readonly OperatorCount[],
  after: readonly OperatorCount[],
): { added: OperatorChange[]; removed: OperatorChange[] } {
  const counts = new Map<string, OperatorChange>();
  for (const o of before) counts.set(opName(o), { op: opName(o), before: o.count, after: 0 });
  for (const o of after) {
    const c = counts.get(opName(o)) ?? { op: opName(o), before: 0, after: 0 };
    c.after = o.count;
    counts.set(c.op, c);
  }
  const all = [...counts.values()].sort((a, b) => Math.abs(b.after - b.before) - Math.abs(a.after - a.before) || (a.op < b.op ? -1 : 1));
  return { added: all.filter((c) => c.after > c.before), removed: all.filter((c) => c.after < c.before) };
}
