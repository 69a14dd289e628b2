import { describeChoices } from './inputDims';
import type { TryModelResult } from './tryModel';

/** The text `mlw try` prints and Try Model shows: shapes, first values, statistics and top-k per output. */
export function formatTryResult(r: TryModelResult): string {
  const lines = [`${r.model}: one run in ${r.runMs.toFixed(2)} ms`, ''];
  for (const i of r.inputs) lines.push(`input  ${i.name}: ${i.type}[${i.shape.join(',')}]`);
  for (const c of describeChoices(r.dimensions ?? [], r.scalars ?? [])) lines.push(`       ${c}`);
  for (const o of r.outputs) {
    lines.push(
      `output ${o.name}: ${o.dtype}[${o.shape.join(',')}]  first: ${o.first.map(String).join(', ')}${o.elements > o.first.length ? ', …' : ''}`,
    );
    if (o.min !== undefined) lines.push(`       min ${o.min}  max ${o.max}  mean ${o.mean}${o.nanCount ? `  NaN ${o.nanCount}` : ''}`);
    o.topK?.forEach((row, i) =>
      lines.push(
        `       row ${i} top-${row.length} (${o.scores}): ${row.map((e) => `#${e.index} ${(e.prob * 100).toFixed(1)}%`).join('  ')}`,
      ),
    );
  }
  if (r.skippedOutputs.length) lines.push(`skipped non-tensor outputs: ${r.skippedOutputs.join(', ')}`);
  return lines.join('\n');
}
